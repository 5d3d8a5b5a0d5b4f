/** What an API key may do. A key holds one or both. */
export enum ApiKeyScope {
  /**
   * Only the `trackEvents` and `identify` mutations (and the `knownCustomerIds` query identify
   * checks its customer with).
   */
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
  [ApiKeyScope.EVENTS_WRITE]: ["trackEvents", "identify"],
  [ApiKeyScope.CUSTOMERS_WRITE]: ["upsertCustomers"],
};

/**
 * The queries each writing scope allows without `READ`: a key may run a query when one of its
 * scopes allows every root field. `knownCustomerIds` answers only which of the given ids are
 * customers (no customer data): analytics' `identify` asks it with the caller's credential.
 */
export const SCOPE_QUERIES: Partial<Record<ApiKeyScope, readonly string[]>> = {
  [ApiKeyScope.EVENTS_WRITE]: ["knownCustomerIds"],
};

export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return Object.values(ApiKeyScope).includes(value as ApiKeyScope);
}
