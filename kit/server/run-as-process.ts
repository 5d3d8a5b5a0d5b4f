import type { RunningService } from "./graphql-service";
import { exitOnEnvironmentProblems } from "../environment";
import type { Logger } from "../logger";
import { dropOutputOnceClosed } from "./closed-output";

/**
 * Runs one service as a process of its own (`npm run start:<name>`): starts it, prints where it
 * listens, and on SIGINT/SIGTERM stops it gracefully and exits 0. A start-up failure (a port in
 * use, an unreachable database) is printed as one clear line and exits 1.
 */
export function runAsProcess(log: Logger, start: () => Promise<RunningService>): void {
  exitOnEnvironmentProblems();
  dropOutputOnceClosed();
  start().then(
    (service) => {
      log.info(`listening on ${service.url}`);
      let stopping = false;
      const shutdown = (signal: string) => {
        // Ctrl-C reaches a whole process group: a cluster worker may get SIGINT and SIGTERM.
        if (stopping) return;
        stopping = true;
        log.info(`${signal}: shutting down`);
        service.stop().then(
          () => process.exit(0),
          (error) => {
            log.error("shutdown failed", error);
            process.exit(1);
          },
        );
      };
      process.once("SIGINT", shutdown);
      process.once("SIGTERM", shutdown);
      // Started by the stack launcher (an IPC channel): stop when it is gone, however it ended.
      process.once("disconnect", () => shutdown("the launcher exited"));
    },
    (error: Error) => {
      log.error(error.message);
      process.exit(1);
    },
  );
}
