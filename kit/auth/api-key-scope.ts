/** What an API key may do. A key holds one or both. */
export enum ApiKeyScope {
  /** Only the `trackEvents` mutation. */
  EVENTS_WRITE = "EVENTS_WRITE",
  /** Only queries (and subscriptions): no mutation at all. */
  READ = "READ",
  /** Only the `upsertCustomers` mutation (imports and CRM syncs). */
  CUSTOMERS_WRITE = "CUSTOMERS_WRITE",
}

/**
 * The mutations each writing scope allows; a key may call a mutation when one of its scopes allows
 * every root field.
 */
export const SCOPE_MUTATIONS: Partial<Record<ApiKeyScope, readonly string[]>> = {
  [ApiKeyScope.EVENTS_WRITE]: ["trackEvents"],
  [ApiKeyScope.CUSTOMERS_WRITE]: ["upsertCustomers"],
};

export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return Object.values(ApiKeyScope).includes(value as ApiKeyScope);
}
