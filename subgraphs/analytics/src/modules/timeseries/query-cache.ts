import { numberFromEnv } from "#kit/config";
import type { MetricQuery, MetricRow } from "./metric-query";

/**
 * Results of metric queries (timeseries, aggregate, summary), per organization: a dashboard
 * asking the same thing again is answered from memory until that organization's data changes.
 * Every stored batch of an organization (heard through the pub/sub, so on every replica) moves its
 * version, which retires all its entries at once; other organizations keep theirs. Entries also
 * expire after `ttlMs`, for writes that bypass trackEvents (a direct COPY, a restored backup).
 * A result computed while the version moved is not kept. Least recently used entries go first.
 * Queries filtered by a cohort bypass the cache.
 */
export class MetricQueryCache {
  private readonly versions = new Map<string, number>();
  private readonly entries = new Map<
    string,
    { version: number; expiresAt: number; rows: MetricRow[] }
  >();

  /** @param ttlMs 0 turns the cache off */
  constructor(
    private readonly maxEntries = cacheEntriesFromEnv(),
    private readonly ttlMs = cacheTtlFromEnv(),
  ) {}

  /** The organization's data changed: its cached results are no longer used. */
  invalidate(organizationId: string): void {
    this.versions.set(organizationId, (this.versions.get(organizationId) ?? 0) + 1);
  }

  /**
   * The rows of `query`, from the cache or from `compute` (a copy either way: callers may change
   * them).
   */
  async rows(
    organizationId: string,
    query: MetricQuery,
    compute: () => Promise<MetricRow[]>,
  ): Promise<MetricRow[]> {
    // A cohort's membership depends on the time and on data that moves no version (segmentation
    // runs, churn models): such results are never kept.
    if (this.ttlMs === 0 || query.filter?.cohortId) return compute();
    const key = `${organizationId}\n${JSON.stringify(query)}`;
    const version = this.versions.get(organizationId) ?? 0;
    const hit = this.entries.get(key);
    if (hit && hit.version === version && hit.expiresAt > Date.now()) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return cloneRows(hit.rows);
    }
    const rows = await compute();
    if ((this.versions.get(organizationId) ?? 0) === version) {
      this.entries.delete(key);
      this.entries.set(key, { version, expiresAt: Date.now() + this.ttlMs, rows: cloneRows(rows) });
      while (this.entries.size > this.maxEntries)
        this.entries.delete(this.entries.keys().next().value!);
    }
    return rows;
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * `ANALYTICS_CACHE_TTL_MS`: how long a result may be reused at most; 0 turns the cache off.
 * @default 60000
 */
function cacheTtlFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return numberFromEnv(env, "ANALYTICS_CACHE_TTL_MS", 60_000, { min: 0 });
}

/** `ANALYTICS_CACHE_ENTRIES`: results kept at most. @default 2000 */
function cacheEntriesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return numberFromEnv(env, "ANALYTICS_CACHE_ENTRIES", 2_000, { min: 1 });
}

/** A deep copy of result rows (their Dates and arrays included), in this realm. */
function cloneRows(rows: MetricRow[]): MetricRow[] {
  return rows.map((row) => {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      copy[key] =
        value instanceof Date
          ? new Date(value.getTime())
          : Array.isArray(value)
            ? [...value]
            : value;
    }
    return copy as unknown as MetricRow;
  });
}
