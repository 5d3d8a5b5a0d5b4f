import os from "node:os";
import { performance } from "node:perf_hooks";
import type { BenchContext } from "./harness/context";
import { BENCH_DATA_DIR, BENCHMARKS_DOC } from "./harness/paths";
import {
  appendReport,
  describeEnvironment,
  formatTable,
  type BenchOutcome,
  type ResultRow,
} from "./harness/report";
import {
  describeBenchDatabase,
  startBenchStack,
  type BenchDatabase,
  type BenchServices,
} from "./harness/bench-stack";
import { runGatewayBenchmark } from "./gateway";
import { runIngestBenchmark } from "./ingest";
import { runQueriesBenchmark } from "./queries";
import { runSubscriptionsBenchmark } from "./subscriptions";
import { runNabBenchmark } from "./nab/nab-benchmark";

/** The benchmarks by name, in the order `npm run bench` runs them. */
export const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchOutcome>> = {
  ingest: runIngestBenchmark,
  queries: runQueriesBenchmark,
  subscriptions: runSubscriptionsBenchmark,
  gateway: runGatewayBenchmark,
  nab: runNabBenchmark,
};

/** The whole run is abandoned (everything stopped) after this long. */
const RUN_TIME_LIMIT_MS = 75 * 60_000;

/**
 * `npm run bench [-- <name>...]`: starts an embedded PostgreSQL and the four services as child
 * processes, runs the named benchmarks (all without a name), stops everything, prints the results
 * table and appends it to docs/BENCHMARKS.md. Exits 1 when a benchmark could not run, 2 on a bad
 * name.
 */
async function main(argv: string[]): Promise<number> {
  const names = argv.length ? argv : Object.keys(BENCHMARKS);
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length) {
    console.error(
      `Unknown benchmark ${unknown.join(", ")}. Usage: npm run bench [-- ${Object.keys(BENCHMARKS).join(" | ")}]`,
    );
    return 2;
  }
  const log = (line: string) =>
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const startedAt = new Date();
  // The BENCH_* settings of this run belong to the command that reproduces it.
  const settings = Object.entries(process.env)
    .filter(
      ([name, value]) => name.startsWith("BENCH_") && !name.startsWith("BENCH_NODE_ARGS") && value,
    )
    .map(([name, value]) => `${name}=${value} `)
    .sort()
    .join("");
  const command = `${settings}${argv.length ? `npm run bench -- ${names.join(" ")}` : "npm run bench"}`;

  let database: BenchDatabase | undefined;
  let services: BenchServices | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await services
        ?.stop()
        .catch((error) => log(`stopping the services failed: ${(error as Error).message}`));
    })());
  const abort = (reason: string, code: number) => {
    log(`${reason}: stopping everything`);
    cleanUp().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => abort("SIGINT", 130));
  process.once("SIGTERM", () => abort("SIGTERM", 143));
  const watchdog = setTimeout(
    () => abort(`time limit of ${RUN_TIME_LIMIT_MS / 60_000} minutes reached`, 1),
    RUN_TIME_LIMIT_MS,
  );
  watchdog.unref();

  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const headlines: string[] = [];
  const durations: Record<string, number> = {};
  let failed = false;
  const postgresLog: string[] = [];
  try {
    log(
      `starting the embedded PostgreSQL (${BENCH_DATA_DIR}/postgres), users, customers, analytics and the gateway, a process each`,
    );
    services = await startBenchStack({
      dataDir: BENCH_DATA_DIR,
      embedded: true,
      output: {
        line: (name, _stream, text) => {
          if (name !== "postgres") return;
          postgresLog.push(text);
          postgresLog.splice(0, postgresLog.length - 200);
        },
        event: () => undefined,
      },
    });
    database = await describeBenchDatabase(services.stack.serverUrl!, BENCH_DATA_DIR);
    log(`PostgreSQL ${database.version}; gateway at ${services.gatewayUrl}`);
    const environment = describeEnvironment(database.version, database.settings);
    const ctx: BenchContext = { gatewayUrl: services.gatewayUrl, services, database, log };
    for (const name of names) {
      const started = performance.now();
      const loadBefore = os.loadavg()[0];
      try {
        const outcome = await BENCHMARKS[name](ctx);
        rows.push(...outcome.rows);
        notes.push(...outcome.notes);
        if (outcome.headline) headlines.push(...outcome.headline);
      } catch (error) {
        failed = true;
        log(`${name} failed: ${(error as Error).stack ?? error}`);
        rows.push({
          benchmark: name,
          target: "runs",
          measured: `failed: ${(error as Error).message.split("\n")[0]}`,
          reference: "—",
          met: "no",
        });
      }
      durations[name] = (performance.now() - started) / 1000;
      notes.push(
        `${name}: 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after (${os.cpus().length} cores).`,
      );
      log(`${name} took ${durations[name].toFixed(0)} s`);
    }
    await cleanUp();
    if (headlines.length) console.log(headlines.join("\n"));
    console.log(formatTable(rows));
    appendReport({ startedAt, command, environment, durations, rows, notes, headlines });
    log(`appended to ${BENCHMARKS_DOC}`);
  } catch (error) {
    failed = true;
    log(`could not run: ${(error as Error).message}`);
    if (postgresLog.length)
      log(`PostgreSQL's last log lines:\n${postgresLog.slice(-20).join("\n")}`);
  } finally {
    await cleanUp();
    clearTimeout(watchdog);
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
