import { fitEncodedLogistic, type EncodedLogisticInput } from "./encoded-logistic";
import { searchKMeans, type KMeansSearchOptions } from "./kmeans-search";
import { fitLogistic, type LogisticOptions } from "./logistic-regression";
import type { Matrix } from "./matrix";

/** Reports a task's fraction done, from 0 to 1. */
export type TaskProgress = (fraction: number) => Promise<void> | void;

/**
 * The computations an ML worker runs (see `ml-pool.ts`), by name: pure functions of their input,
 * so a worker gives what the same call gives on the calling thread.
 */
export const ML_TASKS = {
  /** {@link searchKMeans}: k-means with its restarts and the silhouette of each k tried. */
  kmeansSearch: (input: { points: Matrix; options: KMeansSearchOptions }, progress: TaskProgress) =>
    searchKMeans(input.points, input.options, progress),
  /** {@link fitEncodedLogistic}: encoder, encoded rows and logistic fit (a churn model's). */
  fitEncodedLogistic: (input: EncodedLogisticInput) => fitEncodedLogistic(input),
  /** {@link fitLogistic}. */
  fitLogistic: (input: { x: Matrix; y: ArrayLike<number>; options?: LogisticOptions }) =>
    fitLogistic(input.x, input.y, input.options),
};

export type MlTaskName = keyof typeof ML_TASKS;
export type MlTaskInput<T extends MlTaskName> = Parameters<(typeof ML_TASKS)[T]>[0];
export type MlTaskOutput<T extends MlTaskName> = Awaited<ReturnType<(typeof ML_TASKS)[T]>>;

/** What the calling thread posts to a worker: one task. */
export interface TaskRequest {
  id: number;
  task: MlTaskName;
  input: unknown;
}

/** What a worker posts back: progress, then the output or the error. */
export type TaskMessage =
  | { id: number; kind: "progress"; fraction: number }
  | { id: number; kind: "done"; output: unknown }
  | { id: number; kind: "failed"; error: { name: string; message: string; stack?: string } };

/**
 * The buffers of the typed arrays in `value` (plain objects and arrays are searched) that can be
 * moved to another thread instead of copied: those that cover their whole buffer (a view into a
 * larger buffer would move all of it) and are not shared. Once transferred, a buffer is empty
 * (detached) on the sending side, so list only what the sender no longer reads.
 */
export function transferableBuffers(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    const { buffer } = value;
    // By tag, not instanceof: under jest, whose tests run in a realm of their own, the arrays a
    // worker sent are of the main realm.
    if (
      Object.prototype.toString.call(buffer) === "[object ArrayBuffer]" &&
      value.byteOffset === 0 &&
      value.byteLength === buffer.byteLength
    )
      found.add(buffer as ArrayBuffer);
  } else if (Array.isArray(value)) {
    for (const item of value) transferableBuffers(item, found);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) transferableBuffers(item, found);
  }
  return [...found];
}
