import { performance } from "node:perf_hooks";

/**
 * A bounded closed-loop load: `concurrency` workers, each sending its next request when the last
 * one answered.
 */
export interface LoadOptions {
  concurrency: number;
  /** Stop starting requests after this long. */
  durationMs: number;
  /** Stop starting requests after this many (a bound even if requests are very fast). */
  maxRequests: number;
  /** Stop once this many requests failed. @default 50 */
  maxErrors?: number;
  /** One request; `index` counts from 0 across workers. Throw (or reject) for a failed request. */
  request: (index: number, worker: number) => Promise<void>;
}

/** Latency percentiles, in milliseconds. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** What a load produced. */
export interface LoadResult {
  /** Requests that succeeded. */
  requests: number;
  errors: number;
  firstError?: string;
  /** From the first request sent to the last answer. */
  elapsedMs: number;
  /** Successful requests per second. */
  perSecond: number;
  /** Of the successful requests. */
  latency: LatencySummary;
}

/**
 * Runs `request` from `concurrency` concurrent workers until `durationMs` has passed,
 * `maxRequests` were started or `maxErrors` failed, and measures each request's latency.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const maxErrors = options.maxErrors ?? 50;
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  const begin = performance.now();
  const deadline = begin + options.durationMs;
  const worker = async (id: number) => {
    while (started < options.maxRequests && errors < maxErrors && performance.now() < deadline) {
      const index = started++;
      const t0 = performance.now();
      try {
        await options.request(index, id);
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message ?? String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, id) => worker(id)));
  const elapsedMs = performance.now() - begin;
  return {
    requests: latencies.length,
    errors,
    firstError,
    elapsedMs,
    perSecond: (latencies.length / elapsedMs) * 1000,
    latency: summarize(latencies),
  };
}

/** p50/p95/p99/max/mean of latencies in milliseconds (nearest-rank percentiles); zeros for none. */
export function summarize(latenciesMs: number[]): LatencySummary {
  if (latenciesMs.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(latenciesMs).sort();
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean,
  };
}

/** The nearest-rank `p`th percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** `p50 4.1 / p95 7.9 / p99 12.0 ms` */
export function formatLatency(latency: LatencySummary): string {
  const f = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
  return `p50 ${f(latency.p50)} / p95 ${f(latency.p95)} / p99 ${f(latency.p99)} ms`;
}
