// The embedded PostgreSQL as a process of its own, as the stack launcher runs it:
//   EMBEDDED_POSTGRES_DIR=.data/postgres EMBEDDED_POSTGRES_PORT=5433 node dist/dev/postgres-main.js
// Prints `READY <server url>` once it accepts connections; SIGTERM or SIGINT stops it (a fast
// shutdown) and exits 0. A failure to start is one line on stderr and exit status 1.
import path from "node:path";
import { embeddedPostgresPort } from "#kit/config";
import { dropOutputOnceClosed } from "#kit/server/closed-output";
import { startEmbeddedPostgres } from "./embedded-postgres";

/** The line the launcher waits for: `READY postgres://...`. */
export const POSTGRES_READY_LINE = /^READY (\S+)$/m;

if (require.main === module) {
  // Its log lines meet a closed pipe once the launcher is gone: it must still stop the server.
  dropOutputOnceClosed();
  const dataDir = path.resolve(process.env.EMBEDDED_POSTGRES_DIR ?? ".data/postgres");
  startEmbeddedPostgres({
    dataDir,
    port: embeddedPostgresPort(),
    onLog: (line) => process.stdout.write(`${line}\n`),
  }).then(
    (server) => {
      process.stdout.write(`READY ${server.url}\n`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        server.stop().finally(() => process.exit(0));
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      // Started by the stack launcher (an IPC channel): stop when it is gone, however it ended.
      process.once("disconnect", stop);
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
