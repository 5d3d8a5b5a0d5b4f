import type { DataSource } from "typeorm";
import type { ReadReplica } from "#kit/database/read-replica";

/** Reports a job's progress, from 0 to 1; awaiting it also lets other requests run. */
export type ReportProgress = (fraction: number) => Promise<void>;

/** Tables holding a job's `status`, `progress` and `error` columns. */
export type JobTable = "segmentation_runs" | "churn_models";

/**
 * Runs a long computation (a segmentation, a model training) in the background of this process:
 * `work` yields to the event loop whenever it reports progress, so other requests keep being
 * served. The row's `progress` is kept current (at most every half second), and its `status`
 * becomes COMPLETED, or FAILED with the error's message; then the organization's reads wait for
 * the job's writes on the read replica (`reads.noteWrite`). Writes go to `reads.primary`.
 * Resolves when the job ends, never rejects.
 */
export function startBackgroundJob(
  reads: ReadReplica,
  table: JobTable,
  organizationId: string,
  id: string,
  work: (progress: ReportProgress) => Promise<void>,
): Promise<void> {
  const dataSource = reads.primary;
  let lastWrite = 0;
  const progress: ReportProgress = async (fraction) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (Date.now() - lastWrite < 500) return;
    lastWrite = Date.now();
    await dataSource.query(
      `UPDATE ${table} SET progress = $3 WHERE organization_id = $1 AND id = $2 AND status = 'RUNNING'`,
      [organizationId, id, Math.min(0.99, fraction)],
    );
  };
  return work(progress)
    .then(
      () =>
        dataSource.query(
          `UPDATE ${table} SET status = 'COMPLETED', progress = 1 WHERE organization_id = $1 AND id = $2`,
          [organizationId, id],
        ),
      (error: Error) =>
        dataSource.query(
          `UPDATE ${table} SET status = 'FAILED', error = $3 WHERE organization_id = $1 AND id = $2`,
          [organizationId, id, error.message],
        ),
    )
    .then(() => reads.noteWrite(organizationId))
    .then(
      () => undefined,
      () => undefined,
    );
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

/** Marks jobs left RUNNING by a process that stopped as FAILED (called at start-up). */
export async function failInterruptedJobs(dataSource: DataSource): Promise<void> {
  for (const table of ["segmentation_runs", "churn_models"] as const) {
    await dataSource.query(
      `UPDATE ${table} SET status = 'FAILED', error = 'interrupted: the analytics service stopped during the run' WHERE status = 'RUNNING'`,
    );
  }
}
