/** What an API key may do. A key holds one or both. */
export enum ApiKeyScope {
  /** Only the `trackEvents` mutation. */
  EVENTS_WRITE = "EVENTS_WRITE",
  /** Only queries (and subscriptions): no mutation at all. */
  READ = "READ",
}

export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return value === ApiKeyScope.EVENTS_WRITE || value === ApiKeyScope.READ;
}
