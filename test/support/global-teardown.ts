import { rm } from "node:fs/promises";
import type { EmbeddedPostgresServer } from "#dev/embedded-postgres";

/** Stops the embedded PostgreSQL global setup started, and deletes its folder. */
export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as Record<string, unknown>).__EMBEDDED_POSTGRES__ as
    { server: EmbeddedPostgresServer; dir: string } | undefined;
  if (!embedded) return;
  await embedded.server.stop();
  await rm(embedded.dir, { recursive: true, force: true });
}
