import type { DataSource } from "typeorm";
import type { ReadReplica } from "#kit/database/read-replica";
import { runInBackground } from "#kit/database/query-counter";

/** Reports a job's progress, from 0 to 1; awaiting it also lets other requests run. */
export type ReportProgress = (fraction: number) => Promise<void>;

/** Tables holding a job's `status`, `progress`, `error` and `heartbeat_at` columns. */
export type JobTable = "segmentation_runs" | "churn_models";

const JOB_TABLES: readonly JobTable[] = ["segmentation_runs", "churn_models"];

/**
 * How often the process running a job sets its row's `heartbeat_at` to now() (progress writes set
 * it too). @default 5_000 // 5 seconds
 */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * A RUNNING job whose heartbeat is older than this is taken for one whose process stopped (see
 * {@link failInterruptedJobs}): six missed heartbeats, so a busy event loop or a slow database
 * does not fail a job that is still running. @default 30_000 // 30 seconds
 */
export const STALE_HEARTBEAT_MS = 30_000;

/**
 * How often every analytics process sweeps for interrupted jobs (besides at start-up), so that a
 * job whose process died is failed within about STALE_HEARTBEAT_MS + this, whichever replica
 * notices. @default 15_000 // 15 seconds
 */
export const JOB_SWEEP_INTERVAL_MS = 15_000;

/** The error of a job failed by {@link failInterruptedJobs}. */
export const INTERRUPTED_ERROR = `interrupted: the analytics process running it stopped (no heartbeat for ${STALE_HEARTBEAT_MS / 1000} s)`;

/**
 * Runs a long computation (a segmentation, a model training) in the background of this process:
 * `work` yields to the event loop whenever it reports progress, so other requests keep being
 * served. The row's `progress` is kept current (at most every half second), its `heartbeat_at` is
 * set to now() with each progress write and every HEARTBEAT_INTERVAL_MS while the job runs (so that
 * other processes on the database see it is alive), and its `status` becomes COMPLETED, or FAILED
 * with the error's message; then the organization's reads wait for the job's writes on the read
 * replica (`reads.noteWrite`). Writes go to `reads.primary`. Resolves when the job ends, never
 * rejects.
 */
export function startBackgroundJob(
  reads: ReadReplica,
  table: JobTable,
  organizationId: string,
  id: string,
  work: (progress: ReportProgress) => Promise<void>,
  options: {
    /** @default HEARTBEAT_INTERVAL_MS */
    heartbeatIntervalMs?: number;
  } = {},
): Promise<void> {
  const dataSource = reads.primary;
  let lastWrite = 0;
  const progress: ReportProgress = async (fraction) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (Date.now() - lastWrite < 500) return;
    lastWrite = Date.now();
    await dataSource.query(
      `UPDATE ${table} SET progress = $3, heartbeat_at = now() WHERE organization_id = $1 AND id = $2 AND status = 'RUNNING'`,
      [organizationId, id, Math.min(0.99, fraction)],
    );
  };
  // One at once (the row may have waited), then one every interval; a failed heartbeat is retried
  // by the next one, and six in a row would have to fail before the job looks stopped.
  const beat = () =>
    void dataSource
      .query(
        `UPDATE ${table} SET heartbeat_at = now() WHERE organization_id = $1 AND id = $2 AND status = 'RUNNING'`,
        [organizationId, id],
      )
      .catch(() => undefined);
  // The job outlives the request that started it: its statements are background work.
  return runInBackground(() => runJob());
  function runJob(): Promise<void> {
    beat();
    const heartbeat = setInterval(beat, options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    heartbeat.unref();
    return work(progress)
      .finally(() => clearInterval(heartbeat))
      .then(
        () =>
          dataSource.query(
            `UPDATE ${table} SET status = 'COMPLETED', progress = 1, error = NULL, heartbeat_at = now() WHERE organization_id = $1 AND id = $2`,
            [organizationId, id],
          ),
        (error: Error) =>
          dataSource.query(
            `UPDATE ${table} SET status = 'FAILED', error = $3, heartbeat_at = now() WHERE organization_id = $1 AND id = $2`,
            [organizationId, id, error.message],
          ),
      )
      .then(() => reads.noteWrite(organizationId))
      .then(
        () => undefined,
        () => undefined,
      );
  }
}

/** Waits for a job at most `seconds`; resolves true when it ended in time. */
export async function waitFor(job: Promise<void>, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>(
    (resolve) => (timer = setTimeout(() => resolve(false), seconds * 1000)),
  );
  try {
    return await Promise.race([job.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Marks FAILED ({@link INTERRUPTED_ERROR}) the jobs of the database left RUNNING by a process that
 * stopped: those whose heartbeat is older than `staleAfterMs`. Jobs that other processes (replicas
 * on the same database) are still running keep their recent heartbeat and are left alone. Called
 * as a service starts and every JOB_SWEEP_INTERVAL_MS. Resolves the ids it failed, per table.
 */
export async function failInterruptedJobs(
  dataSource: DataSource,
  staleAfterMs = STALE_HEARTBEAT_MS,
): Promise<Record<JobTable, string[]>> {
  const failed = {} as Record<JobTable, string[]>;
  for (const table of JOB_TABLES) {
    // As a SELECT, so that the driver answers with the rows (an UPDATE answers [rows, count]).
    const rows: { id: string }[] = await dataSource.query(
      `WITH failed AS (
         UPDATE ${table} SET status = 'FAILED', error = $1
          WHERE status = 'RUNNING' AND heartbeat_at < now() - make_interval(secs => $2)
          RETURNING id)
       SELECT id FROM failed`,
      [INTERRUPTED_ERROR, staleAfterMs / 1000],
    );
    failed[table] = rows.map((row) => row.id);
  }
  return failed;
}
