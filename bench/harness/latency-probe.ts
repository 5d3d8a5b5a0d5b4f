import { performance } from "node:perf_hooks";

/** One request of a {@link startLatencyProbe}. */
export interface ProbeSample<T> {
  /** When the request was due, in `performance.now()` milliseconds. */
  dueAt: number;
  /** From when it was due to its answer. */
  latencyMs: number;
  /** What `send` resolved; undefined when it rejected. */
  value?: T;
  /** The rejection's message. */
  error?: string;
}

/** A running probe: `stop()` sends no more requests and resolves every sample, in order. */
export interface LatencyProbe<T> {
  stop(): Promise<ProbeSample<T>[]>;
}

/**
 * Sends one small request at a time, the next one due `intervalMs` after the previous one was due
 * (or at once, when the previous answer came later), and measures each latency from when the
 * request was due, not from when it was sent. A client sharing this process's event loop (the
 * in-process supergraph of the tests and benchmarks) cannot send while the loop is blocked; counted
 * from the due time, a blocked loop still shows in the latency, as it would for a client in another
 * process.
 */
export function startLatencyProbe<T>(send: () => Promise<T>, intervalMs: number): LatencyProbe<T> {
  const samples: ProbeSample<T>[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const loop = (async () => {
    let dueAt = performance.now();
    while (!stopped) {
      const wait = dueAt - performance.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, wait);
        });
        if (stopped) break;
      }
      try {
        const value = await send();
        samples.push({ dueAt, latencyMs: performance.now() - dueAt, value });
      } catch (error) {
        samples.push({ dueAt, latencyMs: performance.now() - dueAt, error: String(error) });
      }
      dueAt = Math.max(dueAt + intervalMs, performance.now());
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
      return samples;
    },
  };
}
