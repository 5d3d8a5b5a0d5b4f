/**
 * The entry of an ML worker thread (started by `ml-pool.ts` from the compiled `ml-worker.js`):
 * runs each task posted to it with {@link ML_TASKS}, posts its progress, then its output (the
 * typed arrays in it transferred, not copied) or its error.
 */
import { parentPort } from "node:worker_threads";
import { ML_TASKS, transferableBuffers, type TaskMessage, type TaskRequest } from "./ml-tasks";

const port = parentPort;
if (!port)
  throw new TypeError(
    "ml-worker.js is the entry of a worker thread started by ml-pool.ts, not a script to run.",
  );

port.on("message", (request: TaskRequest) => void run(request));

async function run({ id, task, input }: TaskRequest): Promise<void> {
  const post = (message: TaskMessage, transfer: ArrayBuffer[] = []) =>
    port!.postMessage(message, transfer);
  try {
    if (!Object.hasOwn(ML_TASKS, task))
      throw new TypeError(
        `Unknown ML task '${String(task)}'; known: ${Object.keys(ML_TASKS).join(", ")}.`,
      );
    const work = ML_TASKS[task] as (
      input: unknown,
      progress: (fraction: number) => void,
    ) => unknown;
    const output = await work(input, (fraction) => post({ id, kind: "progress", fraction }));
    post({ id, kind: "done", output }, transferableBuffers(output));
  } catch (error) {
    const { name, message, stack } =
      error instanceof Error ? error : { name: "Error", message: String(error), stack: undefined };
    post({ id, kind: "failed", error: { name, message, stack } });
  }
}
