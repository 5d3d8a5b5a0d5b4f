import type { DataSource, QueryRunner } from "typeorm";
import type { PostgresConnectionOptions } from "typeorm/driver/postgres/PostgresConnectionOptions";

/** One read-only statement and its parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** A snapshot id as `pg_export_snapshot()` returns it (hex words and dashes). */
const SNAPSHOT_ID = /^[0-9A-F]+(-[0-9A-F]+)+$/i;

/**
 * The statements {@link queryOnSharedSnapshot} sends for `count` statements, transaction control
 * included: 1 for one; else per connection START TRANSACTION, the statement and ROLLBACK, plus one
 * export and an import on each connection but the first (4 per statement).
 */
export function statementsOnSharedSnapshot(count: number): number {
  return count === 1 ? 1 : 4 * count;
}

/**
 * Settings of the transactions of {@link onSharedSnapshot}, each set for the transaction alone
 * (`set_config(name, value, true)`, as `SET LOCAL` does; one more
 * statement per setting and connection; one statement alone then runs in a transaction too, with
 * START TRANSACTION and ROLLBACK around it).
 */
export type TransactionSettings = Record<string, string>;

/** Per data source: how many sets of statements run now, and who waits for a turn. */
interface Turns {
  running: number;
  waiting: (() => void)[];
}
const turnsBySource = new WeakMap<DataSource, Turns>();

/**
 * Runs `statements` at the same time, each on a connection of its own, all reading one snapshot
 * ({@link onSharedSnapshot}): their answers are as consistent as one statement's, and PostgreSQL
 * can give each a core of its own. Returns each statement's rows, in order. One statement runs as
 * a plain query. Rejects with the first error (and at once when there are more statements than
 * the pool has connections).
 */
export async function queryOnSharedSnapshot<Row>(
  dataSource: DataSource,
  statements: Statement[],
): Promise<Row[][]> {
  if (statements.length === 1)
    return [await dataSource.query(statements[0].sql, statements[0].params)];
  return onSharedSnapshot(dataSource, statements.length, (runner, i) =>
    runner.query(statements[i].sql, statements[i].params),
  );
}

/**
 * Runs `work` `count` times at once, each on a connection of its own (its runner, and its index
 * from 0), all in transactions reading one snapshot (the first exports it with
 * `pg_export_snapshot()`, the others import it with `SET TRANSACTION SNAPSHOT`; REPEATABLE READ,
 * READ ONLY; a hot standby can export one too), with `settings` set in each. One runs on a
 * connection without a transaction, unless there are settings. Returns what each returned, in
 * order; rejects with the first error (and at once when `count` exceeds the pool's connections).
 * Every transaction is ended and every connection released either way.
 *
 * A set holds its connections while it waits for the others, so sets take turns per data source:
 * at most (pool size / count) run at once, which leaves no set waiting for a connection that
 * only another waiting set could give back.
 */
export async function onSharedSnapshot<T>(
  dataSource: DataSource,
  count: number,
  work: (runner: QueryRunner, index: number) => Promise<T>,
  settings: TransactionSettings = {},
): Promise<T[]> {
  const release = await takeTurn(dataSource, count);
  const runners = Array.from({ length: count }, () => dataSource.createQueryRunner());
  const names = Object.keys(settings);
  const inTransaction = count > 1 || names.length > 0;
  const configure = async (runner: QueryRunner) => {
    for (const name of names)
      await runner.query(`SELECT set_config($1, $2, true)`, [name, settings[name]]);
  };
  try {
    if (!inTransaction) return [await work(runners[0], 0)];
    const [exporter, ...importers] = runners;
    await exporter.connect();
    await exporter.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (count > 1) {
      const [{ snapshot }]: { snapshot: string }[] = await exporter.query(
        "SELECT pg_export_snapshot() AS snapshot",
      );
      if (!SNAPSHOT_ID.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
      // Settled, not raced: no connection may still be on its way when the runners are released.
      valuesOrFirstError(
        await Promise.allSettled(importers.map((runner) => importSnapshot(runner, snapshot))),
      );
    }
    valuesOrFirstError(await Promise.allSettled(runners.map(configure)));
    return valuesOrFirstError(await Promise.allSettled(runners.map(work)));
  } finally {
    await Promise.all(runners.map((runner) => endAndRelease(runner, inTransaction)));
    release();
  }
}

function valuesOrFirstError<T>(results: PromiseSettledResult<T>[]): T[] {
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

async function importSnapshot(runner: QueryRunner, snapshot: string): Promise<void> {
  await runner.connect();
  await runner.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  await runner.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
}

/** Ends the runner's transaction (`inTransaction`), if it started one, and gives its connection back. */
async function endAndRelease(runner: QueryRunner, inTransaction: boolean): Promise<void> {
  try {
    if (inTransaction && hasConnection(runner)) await runner.query("ROLLBACK");
  } catch {
    // A broken connection: releasing it below is all that is left to do.
  } finally {
    await runner.release().catch(() => undefined);
  }
}

/** True once the runner holds a pool connection (a failed set may not have reached it). */
function hasConnection(runner: QueryRunner): boolean {
  return (runner as unknown as { databaseConnection?: unknown }).databaseConnection !== undefined;
}

/** Waits until a set of `size` statements may run on `dataSource`; returns what ends its turn. */
async function takeTurn(dataSource: DataSource, size: number): Promise<() => void> {
  const poolSize = Number((dataSource.options as PostgresConnectionOptions).extra?.max ?? 10);
  if (size > poolSize)
    throw new Error(
      `${size} statements on one snapshot need more connections than the pool's ${poolSize}`,
    );
  const allowed = Math.max(1, Math.floor(poolSize / size));
  let turns = turnsBySource.get(dataSource);
  if (!turns) turnsBySource.set(dataSource, (turns = { running: 0, waiting: [] }));
  const state = turns;
  if (state.running >= allowed) await new Promise<void>((resume) => state.waiting.push(resume));
  else state.running++;
  return () => {
    const next = state.waiting.shift();
    if (next) next();
    else state.running--;
  };
}
