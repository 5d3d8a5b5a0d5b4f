// An embedded PostgreSQL primary configured for replication and a hot standby streaming from it,
// as a process of their own (for tests that need a real read replica: test/read-replica.e2e.test.ts):
//   node dist/dev/replicated-postgres-main.js <folder> <primary port> <standby port>
// The primary's data goes to <folder>/primary, the standby's to <folder>/standby. Prints
// `READY {"primary": url, "standby": url, "standbyName": name}` once both accept connections;
// SIGTERM, SIGINT or the parent's IPC channel closing stops the standby then the primary and exits
// 0. A failure to start is one line on stderr and exit status 1.
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from "./embedded-postgres";
import {
  REPLICATION_PRIMARY_SETTINGS,
  startStreamingReplica,
  type StreamingReplica,
} from "./streaming-replica";

/** The line a parent waits for: `READY {...}`. */
export const REPLICATED_POSTGRES_READY_LINE = /^READY (\{.*\})$/m;

/** Small servers: two of them share the machine with the tests' own. */
const SMALL = { shared_buffers: "128MB", effective_cache_size: "256MB" };

async function main(folder: string, primaryPort: number, standbyPort: number): Promise<void> {
  let primary: EmbeddedPostgresServer | undefined;
  let standby: StreamingReplica | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await standby?.stop().catch(() => undefined);
      await primary?.stop().catch(() => undefined);
      process.exit(0);
    })();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.once("disconnect", stop);
  try {
    primary = await startEmbeddedPostgres({
      dataDir: path.join(folder, "primary"),
      port: primaryPort,
      settings: { ...REPLICATION_PRIMARY_SETTINGS, ...SMALL },
    });
    standby = await startStreamingReplica({
      primaryUrl: primary.url,
      primaryDataDir: primary.dataDir,
      dataDir: path.join(folder, "standby"),
      port: standbyPort,
      settings: SMALL,
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    await standby?.stop().catch(() => undefined);
    await primary?.stop().catch(() => undefined);
    process.exit(1);
  }
  process.stdout.write(
    `READY ${JSON.stringify({ primary: primary.url, standby: standby.url, standbyName: standby.name })}\n`,
  );
}

if (require.main === module) {
  const [folder, primaryPort, standbyPort] = process.argv.slice(2);
  if (!folder || !Number(primaryPort) || !Number(standbyPort)) {
    process.stderr.write(
      "Usage: node dist/dev/replicated-postgres-main.js <folder> <primary port> <standby port>\n",
    );
    process.exit(2);
  }
  void main(path.resolve(folder), Number(primaryPort), Number(standbyPort));
}
