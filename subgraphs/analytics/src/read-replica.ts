import type { DataSource } from "typeorm";
import { numberFromEnv } from "#kit/config";
import { initializeWithRetry, type ConnectOptions } from "#kit/database/connect";
import { redactUrl } from "#kit/database/database-url";
import { ReadReplica } from "#kit/database/read-replica";
import type { Logger } from "#kit/logger";
import { metricsFor } from "#kit/metrics/service-metrics";
import { createAnalyticsReadDataSource } from "./data-source";

export interface AnalyticsReadsOptions {
  /** A streaming replica of the analytics database; null or empty: the primary answers all. */
  url?: string | null;
  /** @default ANALYTICS_READ_REPLICA_MAX_WAIT_MS or 100 // ms */
  maxWaitMs?: number;
  connect?: ConnectOptions;
}

/** `ANALYTICS_READ_DATABASE_URL` and `ANALYTICS_READ_REPLICA_MAX_WAIT_MS`. */
export function analyticsReadsFromEnv(env: NodeJS.ProcessEnv = process.env): AnalyticsReadsOptions {
  return {
    url: env.ANALYTICS_READ_DATABASE_URL || null,
    maxWaitMs: numberFromEnv(env, "ANALYTICS_READ_REPLICA_MAX_WAIT_MS", 100, { min: 0 }),
  };
}

/**
 * Where the analytics service's read-only queries go (see {@link ReadReplica}): with a replica URL,
 * connects to it (retrying while it starts) and checks that it is a standby, else rejects naming
 * the URL; without one, every read is the primary's and nothing changes. Every read from now on
 * waits for the replica to have replayed the primary's state as of now (the migrations).
 */
export async function connectAnalyticsReads(
  primary: DataSource,
  options: AnalyticsReadsOptions,
  log: Logger,
): Promise<ReadReplica> {
  if (!options.url) return new ReadReplica(primary, null);
  const replica = createAnalyticsReadDataSource(options.url);
  await initializeWithRetry(replica, options.url, {
    ...options.connect,
    onRetry: (attempt, error) =>
      log.warn(
        `the read replica at ${redactUrl(options.url!)} is not reachable yet (attempt ${attempt}): ${(error as Error).message}`,
      ),
  });
  const [{ standby }]: { standby: boolean }[] = await replica.query(
    "SELECT pg_is_in_recovery() AS standby",
  );
  if (!standby) {
    await replica.destroy();
    throw new Error(
      `ANALYTICS_READ_DATABASE_URL (${redactUrl(options.url)}) is not a standby (pg_is_in_recovery() is false there): it must be a streaming replica of ANALYTICS_DATABASE_URL.`,
    );
  }
  const routed = metricsFor("analytics").readsRouted;
  const reads = new ReadReplica(primary, replica, {
    maxWaitMs: options.maxWaitMs,
    log,
    onRoute: (route) => routed.inc({ route }),
  });
  await reads.noteGlobalWrite();
  log.info(`read-only queries go to the replica at ${redactUrl(options.url)}`);
  return reads;
}
