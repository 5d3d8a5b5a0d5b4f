import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { createAnalyticsDataSource } from "../subgraphs/analytics/src/data-source";
import {
  INTERRUPTED_ERROR,
  STALE_HEARTBEAT_MS,
  startBackgroundJob,
  type JobTable,
} from "../subgraphs/analytics/src/modules/jobs/background-job";
import { startAnalyticsService } from "../subgraphs/analytics/src/service";
import { withDatabase } from "#kit/database/database-url";
import { ReadReplica } from "#kit/database/read-replica";
import type { RunningService } from "#kit/server/graphql-service";
import { useSupergraph } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

// Several analytics processes share one database (replicas; and every test file starts its own
// service on the test database). A job one of them runs keeps a heartbeat on its row; another one
// starting, or sweeping, fails only the RUNNING jobs whose heartbeat is stale.
const supergraph = useSupergraph();
const databaseUrl = withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics");
const TABLES: JobTable[] = ["segmentation_runs", "churn_models"];
/** The organization of this file's job rows (no other test writes its rows). */
const ORGANIZATION = randomUUID();

let dataSource: DataSource;
const services: RunningService[] = [];

beforeAll(async () => {
  dataSource = await createAnalyticsDataSource(databaseUrl).initialize();
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await dataSource?.destroy();
});

/** Another analytics service on the same database, as a second replica would be. */
async function startReplica(jobSweepIntervalMs?: number): Promise<RunningService> {
  const { users, customers } = supergraph.stack.subgraphs;
  const service = await startAnalyticsService({
    port: 0,
    databaseUrl,
    usersBaseUrl: `http://localhost:${users.port}`,
    customersUrl: customers.url,
    jobSweepIntervalMs,
  });
  services.push(service);
  return service;
}

/** A RUNNING job row, as the mutations insert it, whose last heartbeat was `ageSeconds` ago. */
async function insertJob(table: JobTable, ageSeconds: number): Promise<string> {
  const [{ id }] = await dataSource.query(
    table === "segmentation_runs"
      ? `INSERT INTO segmentation_runs (organization_id, as_of, seed, features, heartbeat_at)
           VALUES ($1, now(), 1, '{recency}', now() - make_interval(secs => $2)) RETURNING id`
      : `INSERT INTO churn_models (organization_id, cutoff, horizon_days, seed, heartbeat_at)
           VALUES ($1, now(), 90, 1, now() - make_interval(secs => $2)) RETURNING id`,
    [ORGANIZATION, ageSeconds],
  );
  return id;
}

async function job(table: JobTable, id: string) {
  const [row] = await dataSource.query(
    `SELECT status, error, extract(epoch FROM now() - heartbeat_at)::float8 AS age FROM ${table} WHERE id = $1`,
    [id],
  );
  return row as { status: string; error: string | null; age: number };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Not true within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A job of this process that runs until `release` is called, reporting progress first. */
function heldJob(table: JobTable, id: string, heartbeatIntervalMs?: number) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const done = startBackgroundJob(
    new ReadReplica(dataSource, null),
    table,
    ORGANIZATION,
    id,
    async (progress) => {
      await progress(0.3);
      await held;
    },
    { heartbeatIntervalMs },
  );
  return { release, done };
}

describe("jobs of several analytics processes on one database", () => {
  it("a second analytics service starting fails none of the jobs another one is running, only those whose heartbeat is stale", async () => {
    const running = await Promise.all(TABLES.map((table) => insertJob(table, 0)));
    const jobs = TABLES.map((table, i) => heldJob(table, running[i]));
    // Its process stopped 5 s past the bound; the other one beat 15 s ago, within it.
    const dead = await Promise.all(
      TABLES.map((table) => insertJob(table, STALE_HEARTBEAT_MS / 1000 + 5)),
    );
    const recent = await Promise.all(TABLES.map((table) => insertJob(table, 15)));

    await startReplica();
    for (const [i, table] of TABLES.entries()) {
      expect(await job(table, running[i])).toMatchObject({ status: "RUNNING", error: null });
      expect(await job(table, dead[i])).toMatchObject({
        status: "FAILED",
        error: INTERRUPTED_ERROR,
      });
      expect(await job(table, recent[i])).toMatchObject({ status: "RUNNING", error: null });
    }

    for (const { release } of jobs) release();
    await Promise.all(jobs.map(({ done }) => done));
    for (const [i, table] of TABLES.entries()) {
      expect(await job(table, running[i])).toMatchObject({ status: "COMPLETED", error: null });
      await dataSource.query(`DELETE FROM ${table} WHERE id = ANY($1::uuid[])`, [
        [running[i], dead[i], recent[i]],
      ]);
    }
  });

  it("keeps a running job's heartbeat fresh, and a replica's periodic sweep fails a job whose process stopped", async () => {
    await startReplica(200);
    const table: JobTable = "churn_models";
    const running = await insertJob(table, 0);
    const { release, done } = heldJob(table, running, 100);
    // Its heartbeat set back (within the bound): the job's timer sets it again.
    await dataSource.query(
      `UPDATE ${table} SET heartbeat_at = now() - interval '20 seconds' WHERE id = $1`,
      [running],
    );
    await until(async () => (await job(table, running)).age < 1, 5_000);

    // A job whose process died after the replica started: failed by its sweep, not at a start.
    const dead = await insertJob(table, STALE_HEARTBEAT_MS / 1000 + 1);
    await until(async () => (await job(table, dead)).status === "FAILED", 5_000);
    expect(await job(table, dead)).toMatchObject({ error: INTERRUPTED_ERROR });
    // Several sweeps later, the running job still runs.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await job(table, running)).toMatchObject({ status: "RUNNING", error: null });

    release();
    await done;
    expect(await job(table, running)).toMatchObject({ status: "COMPLETED", error: null });
    await dataSource.query(`DELETE FROM ${table} WHERE id = ANY($1::uuid[])`, [[running, dead]]);
  });
});
