import "reflect-metadata";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { startEmbeddedPostgres } from "#dev/embedded-postgres";
import { freePort } from "#kit/http/ports";
import { startStack } from "../../stack/start-stack";
import globalTeardown from "./global-teardown";
import { TEST_ENV, testDataDir } from "./test-database";

/**
 * Starts the run's PostgreSQL: `TEST_DATABASE_URL` (a server URL; its users, customers and
 * analytics databases are created when missing) or an embedded server on a free port in a fresh
 * folder. Then starts the supergraph once so migrations run and the demo data loads before any test
 * file starts its own supergraph in parallel.
 */
export default async function globalSetup(): Promise<void> {
  process.env.LOG_LEVEL ??= "silent";
  process.env.NODE_ENV ??= "test";
  // Alert messages are sent by any replica on the database, every test file's included: only the
  // file that tests delivery turns it on, so that no other file's services send its messages.
  process.env.ALERT_DELIVERY_ENABLED ??= "false";
  const dir = testDataDir();
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const server = await startEmbeddedPostgres({
      dataDir: path.join(dir, "postgres"),
      port: await freePort(),
    });
    (globalThis as Record<string, unknown>).__EMBEDDED_POSTGRES__ = { server, dir };
    serverUrl = server.url;
  }
  const keysDir = path.join(dir, "keys");
  await mkdir(keysDir, { recursive: true });
  process.env[TEST_ENV.serverUrl] = serverUrl;
  process.env[TEST_ENV.keysDir] = keysDir;
  try {
    const stack = await startStack({
      serverUrl,
      keysDir,
      demoData: true,
      ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
    });
    await stack.stop();
  } catch (error) {
    // Jest runs no teardown after a failed setup: the embedded server must not outlive the run.
    await globalTeardown();
    throw error;
  }
}
