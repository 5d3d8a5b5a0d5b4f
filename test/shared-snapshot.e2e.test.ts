import { Client } from "pg";
import { DataSource } from "typeorm";
import { withDatabase } from "#kit/database/database-url";
import { onSharedSnapshot, queryOnSharedSnapshot } from "#kit/database/shared-snapshot";
import { TEST_ENV } from "./support/test-database";

/**
 * queryOnSharedSnapshot on the run's PostgreSQL: statements on connections of their own that read
 * one snapshot, sets that take turns so that a small pool never deadlocks, and connections that
 * all come back after an error.
 */
const url = () => withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics");
const TABLE = `shared_snapshot_test_${process.pid}`;
const APPLICATION = `shared-snapshot-test-${process.pid}`;

let dataSource: DataSource;
let writer: Client;

beforeAll(async () => {
  dataSource = await new DataSource({
    type: "postgres",
    url: url(),
    applicationName: APPLICATION,
    extra: { max: 2 },
  }).initialize();
  writer = new Client({ connectionString: url() });
  await writer.connect();
  await writer.query(`CREATE TABLE ${TABLE} (n int)`);
});

afterAll(async () => {
  await writer?.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await writer?.end();
  await dataSource?.destroy();
});

interface CountRow {
  n: number;
  pid: number;
  snapshot: string;
}
const count = {
  sql: `SELECT count(*)::int AS n, pg_backend_pid() AS pid, pg_current_snapshot()::text AS snapshot FROM ${TABLE}`,
  params: [],
};

it("runs each statement on a connection of its own, all on one snapshot while rows keep coming", async () => {
  // Another connection commits a row while each set runs: statements on snapshots of their own
  // would count different numbers (and see different snapshots) now and then.
  for (let run = 0; run < 20; run++) {
    const write = writer.query(`INSERT INTO ${TABLE} VALUES (1)`);
    const [[a], [b]] = await queryOnSharedSnapshot<CountRow>(dataSource, [count, count]);
    await write;
    expect(a.pid).not.toBe(b.pid);
    expect({ n: b.n, snapshot: b.snapshot }).toEqual({ n: a.n, snapshot: a.snapshot });
    // The row written meanwhile is seen or not, never half: run rows before, run + 1 after.
    expect([run, run + 1]).toContain(a.n);
  }
  const [{ n }] = await dataSource.query(count.sql);
  expect(n).toBe(20);
});

it("lets sets of statements take turns on a small pool instead of waiting for each other", async () => {
  // Pool of 2, sets of 2: five sets at once would each hold one connection and wait for another.
  const sets = Array.from({ length: 5 }, () => queryOnSharedSnapshot(dataSource, [count, count]));
  const answers = await Promise.all(sets);
  expect(answers).toHaveLength(5);
  for (const [[a], [b]] of answers) expect(a).not.toEqual(b);
});

it("rejects with a statement's error, ends every transaction and gives every connection back", async () => {
  const broken = { sql: "SELECT 1 / 0 AS n", params: [] };
  await expect(queryOnSharedSnapshot(dataSource, [count, broken])).rejects.toThrow(
    /division by zero/,
  );
  // Both connections are idle again and outside a transaction: a new set gets them.
  const [[a], [b]] = await queryOnSharedSnapshot<CountRow>(dataSource, [count, count]);
  expect(a.n).toBe(b.n);
  const sessions = await writer.query(
    `SELECT state FROM pg_stat_activity WHERE application_name = $1`,
    [APPLICATION],
  );
  expect(sessions.rows).toEqual([{ state: "idle" }, { state: "idle" }]);
});

it("refuses more statements than the pool has connections", async () => {
  await expect(queryOnSharedSnapshot(dataSource, [count, count, count])).rejects.toThrow(
    /more connections than the pool's 2/,
  );
});

it("sets settings for the transactions alone, one statement or several", async () => {
  const setting = "SELECT current_setting('work_mem') AS value";
  const before: { value: string }[] = await dataSource.query(setting);
  for (const statements of [1, 2]) {
    const values = await onSharedSnapshot(
      dataSource,
      statements,
      async (runner) => ((await runner.query(setting)) as { value: string }[])[0].value,
      { work_mem: "7MB" },
    );
    expect(values).toEqual(Array(statements).fill("7MB"));
  }
  // Both pooled connections are back to what they had.
  const after = await Promise.all([dataSource.query(setting), dataSource.query(setting)]);
  expect(after).toEqual([before, before]);
});
