import { existsSync, readFileSync, appendFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCHMARKS_DOC, REPO_ROOT } from "./paths";

/** One line of the results table. */
export interface ResultRow {
  benchmark: string;
  target: string;
  measured: string;
  /** A reference figure measured in the same run (e.g. COPY, plain SQL), or `—`. */
  reference: string;
  /** `yes`, `no`, or `—` when the row has no target. */
  met: "yes" | "no" | "—";
}

/**
 * What a benchmark hands back: its table rows, observations worth writing down, and optionally a
 * headline (Markdown lines, e.g. a table of the figures that matter most) shown before the table.
 */
export interface BenchOutcome {
  rows: ResultRow[];
  notes: string[];
  headline?: string[];
}

/** The machine and software a run measured. */
export interface BenchEnvironment {
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  packages: Record<string, string>;
  /** 1-minute load average when the run started (other work on the machine skews figures). */
  loadAverage: number;
}

const PACKAGES = ["@apollo/gateway", "@apollo/server", "graphql", "@graphql-hive/gateway"];

/**
 * Describes this machine (CPU model from /proc/cpuinfo, cores, memory), Node, PostgreSQL and the
 * key package versions.
 */
export function describeEnvironment(
  postgresVersion: string,
  postgresSettings: Record<string, string>,
): BenchEnvironment {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    cpu =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  const packages: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      packages[name] = JSON.parse(
        readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8"),
      ).version;
    } catch {
      packages[name] = "not installed";
    }
  }
  return {
    cpu,
    cores: os.cpus().length,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: postgresVersion,
    postgresSettings,
    packages,
    loadAverage: os.loadavg()[0],
  };
}

/** The results as a Markdown table. */
export function formatTable(rows: ResultRow[]): string {
  const escape = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    "| benchmark | target | measured | reference (same run) | met? |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      (row) =>
        `| ${escape(row.benchmark)} | ${escape(row.target)} | ${escape(row.measured)} | ${escape(row.reference)} | ${row.met} |`,
    ),
  ].join("\n");
}

/** A run's section of docs/BENCHMARKS.md. */
export interface ReportSection {
  startedAt: Date;
  command: string;
  environment: BenchEnvironment;
  /** Wall-clock seconds per benchmark. */
  durations: Record<string, number>;
  rows: ResultRow[];
  notes: string[];
  /** The benchmarks' headlines, shown first. */
  headlines?: string[];
}

const INTRO = `# Benchmarks

What \`npm run bench\` measures, against the real services: the gateway, users, customers and
analytics each run as a child process (\`node dist/...\`, \`NODE_ENV=production\`) on an embedded
PostgreSQL of their own (\`.data/bench/postgres\`, a free port; its three databases are dropped and
created again at every run, so it never touches the demo data in \`.data/postgres\`). All traffic
goes to 127.0.0.1. Each run appends a section below with the machine, the versions, the command
that reproduces it and a table of targets against measurements, next to a reference measured in
the same run (PostgreSQL \`COPY\` for ingestion, plain SQL for queries).

- **ingest**: 1,000,000 events through the gateway's \`trackEvents\` in batches of 1,000 with an
  \`EVENTS_WRITE\` API key, from 4 and then 8 concurrent senders; afterwards an SQL count checks that
  exactly 1,000,000 were stored and none rejected. Reports events/s and the analytics process's
  peak RSS (\`VmRSS\` sampled every 250 ms).
- **queries**: 10,000,000 events over 180 days for one organization, written by
  \`bench/generate-events.ts\` (COPY, then the rollup and customer_activity tables), then 10 concurrent clients for 20 s
  per query through the gateway with a user token: p50/p95/p99 latency and requests/s, then 5 s
  from a single client (the latency without queueing). The reference is the same daily revenue as
  plain SQL, on the raw events and on the hourly rollups. Between measurements the benchmark waits
  (at most 60 s) until the analytics service has no statement left running in PostgreSQL.
- **subscriptions**: 100, 1,000 and 10,000 WebSocket subscribers (\`eventTracked\`) to the gateway,
  spread over organizations like tenants (10 or 100 per organization), while 1,000 events/s go in
  through \`trackEvents\` in batches of 10: delivery latency, deliveries expected against received
  (each event exactly once per subscriber), gateway memory per connection. \`BENCH_SUBSCRIBER_LEVELS\`
  chooses the levels; \`BENCH_GATEWAY_WORKERS=2\` runs the gateway as 2 processes (\`GATEWAY_WORKERS\`;
  memory and CPU are then those of the primary and its workers together).
- **gateway**: what many users send. Three operations (the plain page \`customers(first: 50)\`,
  answered by the customers subgraph alone; the federated customer page, the same with \`stats\`,
  \`segment\` and \`churnRisk\` from analytics; a query through all three subgraphs) at 1, 20 and 50
  distinct users: users of one organization, each signed in with a token of its own, on
  connections of its own, asking for a page of its own (a location and an order of the customer
  list; a number of campaigns and a date range), and asking again as soon as it is answered.
  Against our gateway, a bare \`@apollo/gateway\` (bench/peers/apollo-gateway.ts), and
  \`@graphql-hive/gateway\` (bench/peers/hive-gateway.ts) with its defaults (it merges identical
  subgraph requests in flight) and with that off (\`deduplicateInflightRequests: false\`), our own
  with \`SUBGRAPH_DEDUPLICATE_QUERIES=false\`, "the subgraphs alone" (the query plan's subgraph
  requests, recorded per user and replayed straight by the load generator, in the plan's order:
  what a gateway that cost nothing would reach), and, for the plain page, its document straight at
  the customers subgraph; all over the same supergraph and the same subgraph processes. Every
  endpoint's data is first checked to equal ours for every user. Each run's section starts with a
  headline table: our requests/s and p95 per operation and number of users, and their ratio to
  each reference. The load generator is the bench's own lean HTTP/1.1 client
  (bench/harness/lean-http.ts), the same for every endpoint. \`BENCH_GATEWAY_USERS\` (1,20,50),
  \`BENCH_GATEWAY_SECONDS\` (8), \`BENCH_GATEWAY_WARMUP_SECONDS\` (2) and \`BENCH_GATEWAY_ROUNDS\` (2)
  choose the levels and durations. Gateway runs before 2026-12-06 used autocannon at 50
  connections sharing one token, where merging identical requests in flight made most of the
  difference between the gateways: not what many users send.

\`\`\`sh
npm run bench              # everything (about 45 minutes on the machine below)
npm run bench -- ingest    # or: queries, subscriptions, gateway
node dist/bench/generate-events.js --events 10000000 --days 180   # the data generator alone (after npm run build)
\`\`\`

The services run with the analytics result cache off (\`ANALYTICS_CACHE_TTL_MS=0\`), so repeated
queries measure the queries; \`BENCH_ANALYTICS_CACHE_TTL_MS=60000\` measures them warm.

\`BENCH_NODE_ARGS_ANALYTICS="--cpu-prof --cpu-prof-dir=.data/bench/profiles"\` (or \`_GATEWAY\`,
\`_USERS\`, \`_CUSTOMERS\`) passes extra \`node\` arguments to a service, e.g. to profile it during a run.

The figures come from one small machine (2 cores) where the load generator, the four Node
processes and PostgreSQL share the same two cores: they are comparable between runs on that
machine, not a capacity plan. That machine is also shared with other work; each section records
the load average and, per measurement, the CPU share of "other processes", so that a run slowed
down by something else can be recognized.
`;

/** Appends a run's section to docs/BENCHMARKS.md, creating the file with its introduction first. */
export function appendReport(section: ReportSection, file = BENCHMARKS_DOC): void {
  if (!existsSync(file)) writeFileSync(file, INTRO);
  const env = section.environment;
  const minutes = (seconds: number) =>
    seconds >= 60
      ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
      : `${Math.round(seconds)} s`;
  const lines = [
    "",
    `## ${section.startedAt.toISOString()}: \`${section.command}\``,
    "",
    `- Machine: ${env.cpu}, ${env.cores} cores, ${env.memory} memory, ${env.kernel}; load average ${env.loadAverage.toFixed(2)} at the start.`,
    `- Node ${env.node}; PostgreSQL ${env.postgres} (embedded; ${Object.entries(
      env.postgresSettings,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}).`,
    `- ${Object.entries(env.packages)
      .map(([name, version]) => `${name} ${version}`)
      .join(", ")}.`,
    `- Reproduce: \`${section.command}\`.`,
    `- Took: ${Object.entries(section.durations)
      .map(([name, seconds]) => `${name} ${minutes(seconds)}`)
      .join(", ")}.`,
    "",
    ...(section.headlines?.length ? [...section.headlines, ""] : []),
    formatTable(section.rows),
    "",
    ...(section.notes.length
      ? ["Notes:", "", ...section.notes.map((note) => `- ${note}`), ""]
      : []),
  ];
  appendFileSync(file, lines.join("\n"));
}
