import os from "node:os";
import path from "node:path";

/** Environment variables global setup hands to the test workers. */
export const TEST_ENV = {
  /** A PostgreSQL server URL holding the users, customers and analytics databases. */
  serverUrl: "FA_TEST_SERVER_URL",
  /** Where the test signing key lives, shared by every users subgraph the tests start. */
  keysDir: "FA_TEST_KEYS_DIR",
} as const;

/**
 * A fresh folder for this run's embedded PostgreSQL; world-traversable parents, as PostgreSQL runs
 * as its own user under root.
 */
export function testDataDir(): string {
  return path.join(
    os.tmpdir(),
    `federated-analytics-test-${process.pid}-${Date.now().toString(36)}`,
  );
}
