import { formatLatency, runLoad, type LoadResult } from "./load";

/** One measured GraphQL query: its document, variables, target p95 and a check of its answer. */
export interface QueryCase {
  name: string;
  targetP95Ms: number;
  /**
   * Which load the target holds for: the issue asks the two series for 10 concurrent clients, and
   * names no concurrency for the group-by and the summary (their target is then one client's p95;
   * the 10-client figures are reported all the same).
   */
  judgedAt: "10 clients" | "1 client";
  query: string;
  variables: Record<string, unknown>;
  /** Throws when the answer is not what the data set should give. */
  check(data: any): void;
}

/** Concurrent clients of each query's (and each reference's) load. */
export const QUERY_CLIENTS = 10;
/** A bound on requests per query even if they are very fast. */
export const MAX_REQUESTS = 200_000;
/**
 * Seconds of the single-client run after each query's load (longer for slow queries, see below).
 */
const SINGLE_CLIENT_SECONDS = 5;
/** The single-client run goes on (up to 30 s) until it has this many requests: a p95 needs them. */
const SINGLE_CLIENT_MIN_REQUESTS = 40;
const SINGLE_CLIENT_MAX_SECONDS = 30;

/**
 * One client's requests, one after another, for SINGLE_CLIENT_SECONDS, or longer (at most
 * SINGLE_CLIENT_MAX_SECONDS) until SINGLE_CLIENT_MIN_REQUESTS were timed.
 */
export async function runSingleClient(send: () => Promise<unknown>): Promise<LoadResult> {
  const first = await runLoad({
    concurrency: 1,
    durationMs: SINGLE_CLIENT_SECONDS * 1000,
    maxRequests: MAX_REQUESTS,
    request: async () => void (await send()),
  });
  if (first.requests >= SINGLE_CLIENT_MIN_REQUESTS) return first;
  const perRequestMs = (SINGLE_CLIENT_SECONDS * 1000) / Math.max(1, first.requests);
  const durationMs = Math.min(
    SINGLE_CLIENT_MAX_SECONDS * 1000,
    Math.ceil(SINGLE_CLIENT_MIN_REQUESTS * perRequestMs * 1.1),
  );
  return runLoad({
    concurrency: 1,
    durationMs,
    maxRequests: SINGLE_CLIENT_MIN_REQUESTS,
    request: async () => void (await send()),
  });
}

/** A load's latency, rate and errors, for the results table. */
export function describeLoad(result: LoadResult): string {
  const rate = result.perSecond >= 10 ? result.perSecond.toFixed(0) : result.perSecond.toFixed(1);
  return `${formatLatency(result.latency)}, ${rate} req/s (${fmt(result.requests)} requests)${result.errors ? `, ${result.errors} errors (first: ${result.firstError})` : ""}`;
}

/** Throws "Unexpected answer" unless the condition holds. */
export function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`Unexpected answer: expected ${what}.`);
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en");
}
