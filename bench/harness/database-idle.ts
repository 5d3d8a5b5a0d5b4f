import { performance } from "node:perf_hooks";
import { Client } from "pg";

/** What {@link waitForIdleQueries} saw. */
export interface IdleWait {
  /** Statements of the application still running when the wait began. */
  activeAtStart: number;
  /** How long until none was running (or the limit). */
  waitedMs: number;
  /** False when statements were still running at the limit. */
  idle: boolean;
}

/**
 * Waits until no statement of `applicationName` (e.g. the analytics service's pool) is running on
 * the server, polling `pg_stat_activity` every 250 ms for at most `maxMs`. Statements whose HTTP
 * request was already abandoned (a gateway timeout) keep running in PostgreSQL, and would slow
 * down whatever is measured next.
 */
export async function waitForIdleQueries(
  databaseUrl: string,
  applicationName: string,
  maxMs = 60_000,
): Promise<IdleWait> {
  const client = new Client({
    connectionString: databaseUrl,
    application_name: "bench-idle-check",
  });
  await client.connect();
  try {
    const active = async () =>
      Number(
        (
          await client.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()",
            [applicationName],
          )
        ).rows[0].n,
      );
    const started = performance.now();
    const activeAtStart = await active();
    let now = activeAtStart;
    for (
      let polls = 0;
      now > 0 && polls < maxMs / 250 && performance.now() - started < maxMs;
      polls++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      now = await active();
    }
    return { activeAtStart, waitedMs: performance.now() - started, idle: now === 0 };
  } finally {
    await client.end();
  }
}
