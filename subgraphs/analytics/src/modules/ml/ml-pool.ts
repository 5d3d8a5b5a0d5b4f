import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type {
  MlTaskInput,
  MlTaskName,
  MlTaskOutput,
  TaskMessage,
  TaskProgress,
  TaskRequest,
} from "./ml-tasks";

export interface MlTaskOptions {
  /**
   * Buffers of the input moved to the worker instead of copied (see `transferableBuffers`): they
   * are empty (detached) in the caller afterwards. @default [] // the input is copied
   */
  transfer?: ArrayBuffer[];
  /**
   * Gets the task's progress, one report at a time and in order (a report waits for the previous
   * one's promise). A report that rejects makes the task reject with that error when it ends.
   */
  onProgress?: TaskProgress;
}

export interface MlWorkerPoolOptions {
  /** Workers running tasks at once; more tasks wait in order. @default {@link defaultPoolSize} */
  size?: number;
  /** A worker with no task for this long is terminated. @default 5_000 // 5 seconds */
  idleMs?: number;
  /** The compiled worker entry. @default {@link mlWorkerEntry} */
  entry?: string;
}

/**
 * Workers at once by default: one less than the cores, at least 1 and at most 2. On a 2-core
 * machine that is one worker: it takes one core for a training, the service's event loop and
 * PostgreSQL keep the other, and a second training waits for the first instead of taking the
 * core the requests are served on. More than 2 would buy little (trainings are rare) for the
 * memory each holds (its copy of the training matrix: 100,000 x 40 doubles are 32 MB).
 */
export function defaultPoolSize(cores = os.availableParallelism()): number {
  return Math.min(2, Math.max(1, cores - 1));
}

/**
 * The compiled worker entry, `ml-worker.js`, beside this file when it runs compiled (the services
 * run `node dist/...`). From the TypeScript sources (ts-jest), the same path under `dist/` of the
 * project (`<project>/subgraphs/....ts` is compiled to `<project>/dist/subgraphs/....js`), written
 * by `npm run build`, which `npm test` runs first: a worker thread cannot load TypeScript.
 */
export function mlWorkerEntry(dir = __dirname, file = __filename): string {
  if (!file.endsWith(".ts")) return path.join(dir, "ml-worker.js");
  let root = dir;
  while (!existsSync(path.join(root, "tsconfig.json"))) {
    if (path.dirname(root) === root)
      throw new TypeError(
        `No tsconfig.json above ${dir}: cannot tell where ml-worker.js is built.`,
      );
    root = path.dirname(root);
  }
  return path.join(root, "dist", path.relative(root, dir), "ml-worker.js");
}

interface Job {
  request: TaskRequest;
  transfer: ArrayBuffer[];
  onProgress?: TaskProgress;
  resolve: (output: unknown) => void;
  reject: (error: unknown) => void;
  /** The progress reports so far, chained. */
  reported: Promise<void>;
  progressError?: { error: unknown };
}

interface Slot {
  worker: Worker;
  job?: Job;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Runs the computations of `ML_TASKS` (k-means with its restarts and silhouettes, the logistic
 * regression fit) in `node:worker_threads` workers, off the event loop that serves requests. A
 * worker runs one task at a time and is reused for the next; one idle for `idleMs` is terminated,
 * and an idle worker never keeps the process alive. A task's input is copied to the worker except
 * for the buffers in `transfer`, which move; the typed arrays of its output move back. A task that
 * throws rejects with an error of the same message (and class, for the built-in ones); a worker
 * that dies rejects its task and is replaced for the next.
 */
export class MlWorkerPool {
  readonly size: number;
  private readonly idleMs: number;
  private readonly entry: string;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: MlWorkerPoolOptions = {}) {
    this.size = options.size ?? defaultPoolSize();
    if (!Number.isInteger(this.size) || this.size < 1)
      throw new TypeError(`An ML worker pool needs a size of at least 1, got ${this.size}.`);
    this.idleMs = options.idleMs ?? 5_000;
    this.entry = options.entry ?? mlWorkerEntry();
  }

  /** Runs `task` on `input` in a worker; resolves its output. */
  run<T extends MlTaskName>(
    task: T,
    input: MlTaskInput<T>,
    options: MlTaskOptions = {},
  ): Promise<MlTaskOutput<T>> {
    if (this.closed) return Promise.reject(new TypeError("The ML worker pool is closed."));
    return new Promise((resolve, reject) => {
      this.queue.push({
        request: { id: this.nextId++, task, input },
        transfer: options.transfer ?? [],
        onProgress: options.onProgress,
        resolve: resolve as (output: unknown) => void,
        reject,
        reported: Promise.resolve(),
      });
      this.pump();
    });
  }

  /** Workers alive now (running a task or idle). */
  get workers(): number {
    return this.slots.size;
  }

  /** Rejects the waiting tasks and terminates every worker (their running tasks reject). */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.reject(new TypeError("The ML worker pool is closed."));
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = [...this.slots].find((s) => !s.job);
      if (!slot) {
        if (this.slots.size >= this.size) return;
        try {
          slot = this.spawn();
        } catch (error) {
          this.queue.shift()!.reject(error);
          continue;
        }
      }
      this.dispatch(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    if (!existsSync(this.entry))
      throw new Error(
        `The ML worker ${this.entry} is missing: run \`npm run build\` (workers run the compiled JavaScript, also under jest).`,
      );
    const slot: Slot = { worker: new Worker(this.entry) };
    slot.worker.on("message", (message: TaskMessage) => this.received(slot, message));
    // An uncaught error (or running out of memory) stops the worker: "error", then "exit".
    slot.worker.on("error", (error) => this.lost(slot, error));
    slot.worker.on("exit", (code) =>
      this.lost(
        slot,
        new Error(
          `The ML worker stopped (exit code ${code}) before it finished '${slot.job?.request.task}'.`,
        ),
      ),
    );
    this.slots.add(slot);
    return slot;
  }

  private dispatch(slot: Slot, job: Job): void {
    clearTimeout(slot.idleTimer);
    slot.worker.ref();
    slot.job = job;
    try {
      slot.worker.postMessage(job.request, job.transfer);
    } catch (error) {
      // An input that cannot be cloned (a function, a detached buffer): nothing was sent.
      slot.job = undefined;
      this.release(slot);
      job.reject(error);
    }
  }

  private received(slot: Slot, message: TaskMessage): void {
    const job = slot.job;
    if (!job || message.id !== job.request.id) return;
    if (message.kind === "progress") {
      const report = job.onProgress;
      if (report)
        job.reported = job.reported
          .then(() => (job.progressError ? undefined : report(message.fraction)))
          .catch((error: unknown) => void (job.progressError ??= { error }));
      return;
    }
    slot.job = undefined;
    this.release(slot);
    void job.reported.then(() => {
      if (message.kind === "failed") job.reject(remoteError(message.error));
      else if (job.progressError) job.reject(job.progressError.error);
      else job.resolve(message.output);
    });
  }

  /** A worker that stopped: its task rejects, and a new worker takes the waiting tasks. */
  private lost(slot: Slot, error: Error): void {
    if (!this.slots.delete(slot)) return;
    clearTimeout(slot.idleTimer);
    const job = slot.job;
    slot.job = undefined;
    const reason = this.closed
      ? new TypeError(`The ML worker pool was closed before '${job?.request.task}' finished.`)
      : error;
    if (job) void job.reported.then(() => job.reject(reason));
    if (!this.closed) this.pump();
  }

  /** A worker done with its task: the next waiting task, else idle until `idleMs` has passed. */
  private release(slot: Slot): void {
    if (this.queue.length) return this.pump();
    slot.worker.unref();
    slot.idleTimer = setTimeout(() => {
      if (slot.job || !this.slots.delete(slot)) return;
      void slot.worker.terminate();
    }, this.idleMs);
    slot.idleTimer.unref();
  }
}

/** The worker's error as an error of this thread: same class (built-in ones), message and stack. */
function remoteError(error: { name: string; message: string; stack?: string }): Error {
  const builtIn: Record<string, ErrorConstructor> = {
    TypeError,
    RangeError,
    SyntaxError,
    ReferenceError,
  };
  const Class = Object.hasOwn(builtIn, error.name) ? builtIn[error.name] : Error;
  const local = new Class(error.message);
  if (local.name !== error.name) local.name = error.name;
  if (error.stack) local.stack = error.stack;
  return local;
}

let shared: MlWorkerPool | undefined;

/**
 * Runs an ML task in this process's shared pool (created on first use, with the defaults of
 * {@link MlWorkerPool}).
 */
export function runMlTask<T extends MlTaskName>(
  task: T,
  input: MlTaskInput<T>,
  options?: MlTaskOptions,
): Promise<MlTaskOutput<T>> {
  return (shared ??= new MlWorkerPool()).run(task, input, options);
}
