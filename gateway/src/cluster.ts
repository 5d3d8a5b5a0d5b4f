import cluster, { type Worker } from "node:cluster";
import os from "node:os";
import type { Logger } from "#kit/logger";
import { dropOutputOnceClosed } from "#kit/server/closed-output";

/**
 * `GATEWAY_WORKERS`: gateway processes sharing the port, one per core for `auto`. @default 1 (no
 * cluster: this process serves). Throws naming the variable for anything but a positive whole
 * number or `auto`.
 */
export function gatewayWorkersFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.GATEWAY_WORKERS;
  if (value === undefined || value === "") return 1;
  if (value === "auto") return os.availableParallelism();
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(
      `GATEWAY_WORKERS must be a whole number of at least 1 or 'auto', got '${value}'.`,
    );
  return workers;
}

/**
 * A worker that dies this soon after it started is not restarted again (it would only crash again).
 */
const CRASH_LOOP_MS = 5_000;

/**
 * The primary of a gateway cluster (`node:cluster`): forks `workers` gateway processes, which share
 * the listening socket (each accepts its own connections), restarts one that dies
 * unexpectedly, and on SIGINT/SIGTERM asks every worker to shut down gracefully (each drains its
 * own HTTP requests and WebSockets) and exits when they have. Exits 1 when a worker dies right
 * after starting (a bad configuration, a taken port).
 */
export function runGatewayPrimary(workers: number, log: Logger): void {
  // Not the primary handing connections out in turn (node's default): a connection handed to a
  // worker that has just died is lost there and hangs until its client gives up. With a shared
  // socket the kernel queues it for a worker that is alive; on Linux it spreads connections as
  // evenly (docs/SCALING.md).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  dropOutputOnceClosed();
  let stopping = false;
  const startedAt = new Map<Worker, number>();
  const fork = () => startedAt.set(cluster.fork(), Date.now());
  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) process.exit(0);
      return;
    }
    if (lived < CRASH_LOOP_MS) {
      log.error(`a gateway worker exited ${code ?? signal} ${lived} ms after it started; stopping`);
      stopping = true;
      for (const other of startedAt.keys()) other.process.kill("SIGTERM");
      process.exitCode = 1;
      if (startedAt.size === 0) process.exit(1);
      return;
    }
    log.warn(`a gateway worker exited (${code ?? signal}); starting another`);
    fork();
  });
  const shutdown = (signal: string) => {
    log.info(`${signal}: stopping ${startedAt.size} gateway workers`);
    stopping = true;
    // The signal itself (not worker.kill(), which first disconnects and closes the worker's
    // server): each worker then shuts down as a lone gateway does.
    for (const worker of startedAt.keys()) worker.process.kill("SIGTERM");
    if (startedAt.size === 0) process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  // Started by the stack launcher (an IPC channel): stop when it is gone, however it ended.
  process.once("disconnect", () => shutdown("the launcher exited"));
  log.info(`starting ${workers} gateway workers (GATEWAY_WORKERS)`);
  for (let i = 0; i < workers; i++) fork();
}
