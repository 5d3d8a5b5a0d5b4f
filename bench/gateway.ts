import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import type { BenchContext } from "./harness/context";
import { startCpuAccounting } from "./harness/cpu-usage";
import { prepareGatewayBenchData } from "./harness/gateway-data";
import { postJson } from "./harness/http-client";
import { formatLatency, summarize, type LatencySummary } from "./harness/load";
import { login } from "./harness/organization";
import { BENCH_DATA_DIR } from "./harness/paths";
import {
  PEER_GATEWAYS,
  startPeerGateway,
  writeBenchSupergraph,
  type PeerGateway,
  type PeerGatewayName,
} from "./harness/peer-gateways";
import type { BenchOutcome, ResultRow } from "./harness/report";

/** Concurrent connections of every load (the figure for the customer page). */
export const CONNECTIONS = Number(process.env.BENCH_GATEWAY_CONNECTIONS) || 50;
/** Seconds of each measured load, and of the unmeasured warm-up before it. */
const MEASURE_SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS) || 10;
const WARMUP_SECONDS = 3;
/**
 * Each gateway is measured this many times per operation, in alternating order; the figures are the
 * mean.
 */
const ROUNDS = 2;
/**
 * Ours must be within 15% of the bare @apollo/gateway, and at least as fast as
 * @graphql-hive/gateway.
 */
const MIN_RATIO_TO_APOLLO = 0.85;
const MIN_RATIO_TO_HIVE = 1.0;
const CUSTOMER_PAGE_P95_MS = 60;

/** One operation of the benchmark. */
interface GatewayOperation {
  name: string;
  query: string;
  /** Subgraphs it touches, for the report. */
  path: string;
  /** The same query sent straight to this subgraph is the reference without a gateway. */
  direct?: "customers";
  p95TargetMs?: number;
}

export const GATEWAY_OPERATIONS: GatewayOperation[] = [
  {
    name: "single-subgraph query",
    query:
      "query CustomerNames { customers(first: 50) { edges { node { id name email location } } } }",
    path: "customers",
    direct: "customers",
  },
  {
    name: "federated customer page",
    query:
      "query CustomerPage { customers(first: 50) { edges { node { id name stats { orders totalSpent averageOrderValue lastSeenAt } segment { label } churnRisk { probability band } } } } }",
    path: "customers → analytics (stats, segment, churnRisk)",
    p95TargetMs: CUSTOMER_PAGE_P95_MS,
  },
  {
    name: "deep federated query",
    query:
      "query CampaignsDeep { campaigns(first: 10) { edges { node { name budget createdBy { email organization { name } } performance { revenue conversions spend roas } } } } }",
    path: "customers → users (createdBy → organization) and analytics (performance)",
  },
];

type Target = "ours" | PeerGatewayName;
const LABELS: Record<Target | "direct", string> = {
  ours: "our gateway",
  "apollo-gateway": PEER_GATEWAYS["apollo-gateway"].label,
  "hive-gateway": PEER_GATEWAYS["hive-gateway"].label,
  "ours-without-deduplication": PEER_GATEWAYS["ours-without-deduplication"].label,
  direct: "customers subgraph directly",
};

/** One measured load against one endpoint. */
interface LoadFigures {
  requestsPerSecond: number;
  /** Every 2xx response time, ms. */
  latencies: number[];
  latency: LatencySummary;
  requests: number;
  non2xx: number;
  errors: number;
  /** CPU milliseconds of the endpoint's own process per request. */
  cpuMsPerRequest: number;
}

/**
 * The `gateway` benchmark: autocannon at {@link CONNECTIONS} connections against our gateway, a
 * bare `@apollo/gateway` and `@graphql-hive/gateway`, all over the same supergraph and the same
 * running subgraphs, on three operations; the single-subgraph query also straight to the customers
 * subgraph (the cost of having a gateway at all). Every endpoint's answer is first checked to be
 * the same data as ours. Figures are the mean of {@link ROUNDS} rounds in alternating order.
 */
export async function runGatewayBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  ctx.log(
    "gateway: preparing an organization (customers, campaigns, events, a segmentation run and a churn model)",
  );
  const data = await prepareGatewayBenchData(ctx.gatewayUrl);
  const supergraphPath = writeBenchSupergraph(ctx.services, BENCH_DATA_DIR);
  const peers: Partial<Record<PeerGatewayName, PeerGateway>> = {};
  const notes: string[] = [];
  const rows: ResultRow[] = [];
  try {
    for (const name of Object.keys(PEER_GATEWAYS) as PeerGatewayName[]) {
      const args = (process.env[`BENCH_NODE_ARGS_${name.toUpperCase().replace(/-/g, "_")}`] ?? "")
        .split(/\s+/)
        .filter(Boolean);
      peers[name] = await startPeerGateway(name, supergraphPath, ctx.services, args);
      ctx.log(`gateway: ${PEER_GATEWAYS[name].label} started (pid ${peers[name]!.pid})`);
    }
    const endpoints: Record<Target, { url: string; pid: number }> = {
      ours: { url: ctx.gatewayUrl, pid: ctx.services.services.gateway.pid },
      ...(Object.fromEntries(
        Object.entries(peers).map(([name, peer]) => [name, { url: peer.url, pid: peer.pid }]),
      ) as Record<PeerGatewayName, { url: string; pid: number }>),
    };

    for (const operation of GATEWAY_OPERATIONS) {
      // A token per operation: each lasts 15 minutes, an operation takes about two.
      const authorization = `Bearer ${await login(ctx.gatewayUrl, data.organization)}`;
      const body = JSON.stringify({ query: operation.query });
      const targets: { key: Target | "direct"; url: string; pid: number }[] = (
        Object.keys(endpoints) as Target[]
      ).map((key) => ({ key, ...endpoints[key] }));
      if (operation.direct)
        targets.push({
          key: "direct",
          url: ctx.services.services[operation.direct].url,
          pid: ctx.services.services[operation.direct].pid,
        });

      const expected = await sameAnswerEverywhere(operation, targets, body, authorization);
      ctx.log(
        `gateway: ${operation.name}: all ${targets.length} endpoints give the same ${expected} bytes of data`,
      );

      const runs = new Map<string, LoadFigures[]>();
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of order) {
          await load(target.url, body, authorization, WARMUP_SECONDS);
          const figures = await measure(ctx, target, body, authorization);
          runs.set(target.key, [...(runs.get(target.key) ?? []), figures]);
          ctx.log(
            `gateway: ${operation.name}, ${LABELS[target.key]}, round ${round + 1}: ${figures.requestsPerSecond.toFixed(0)} req/s, ${formatLatency(figures.latency)}, ${figures.cpuMsPerRequest.toFixed(2)} ms CPU/request`,
          );
        }
      }
      const mean = (key: string) => meanFigures(runs.get(key)!);
      const ours = mean("ours");
      const apollo = mean("apollo-gateway");
      const hive = mean("hive-gateway");
      const undeduplicated = mean("ours-without-deduplication");
      const toApollo = ours.requestsPerSecond / apollo.requestsPerSecond;
      const toHive = ours.requestsPerSecond / hive.requestsPerSecond;
      const failures = [...runs.values()].flat().reduce((sum, f) => sum + f.non2xx + f.errors, 0);
      const p95Met =
        operation.p95TargetMs === undefined || ours.latency.p95 < operation.p95TargetMs;
      const describe = (f: LoadFigures) =>
        `${f.requestsPerSecond.toFixed(0)} req/s, ${formatLatency(f.latency)}, ${f.cpuMsPerRequest.toFixed(2)} ms CPU/request`;
      rows.push({
        benchmark: `gateway: ${operation.name} (${operation.path}), ${CONNECTIONS} connections, autocannon`,
        target:
          `requests/s ≥ ${MIN_RATIO_TO_HIVE.toFixed(1)}× @graphql-hive/gateway and ≥ ${MIN_RATIO_TO_APOLLO}× bare @apollo/gateway` +
          (operation.p95TargetMs ? `; p95 < ${operation.p95TargetMs} ms` : ""),
        measured:
          `ours ${describe(ours)}; ratio to hive ${toHive.toFixed(2)}, to bare apollo ${toApollo.toFixed(2)}. ` +
          `Ours without subgraph query deduplication ${describe(undeduplicated)}; ratio to hive ${(undeduplicated.requestsPerSecond / hive.requestsPerSecond).toFixed(2)}, to bare apollo ${(undeduplicated.requestsPerSecond / apollo.requestsPerSecond).toFixed(2)}`,
        reference:
          `bare @apollo/gateway ${describe(apollo)}; @graphql-hive/gateway ${describe(hive)}` +
          (runs.has("direct")
            ? `; customers subgraph directly (no gateway) ${describe(mean("direct"))}`
            : "") +
          (failures ? `; ${failures} failed requests` : ""),
        met:
          toHive >= MIN_RATIO_TO_HIVE && toApollo >= MIN_RATIO_TO_APOLLO && p95Met && failures === 0
            ? "yes"
            : "no",
      });
    }
  } finally {
    await Promise.all(Object.values(peers).map((peer) => peer!.stop()));
  }
  notes.push(
    `gateway: one organization with ${data.customers} customers, ${data.campaigns} campaigns, ${data.events} events, a segmentation run (k = 4) and a churn model, created through our gateway. ` +
      `Every endpoint answers with the ADMIN's access token (the subgraphs verify it); the peers forward the Authorization header and nothing else, with no plugins or caches. ` +
      `The peers read the same supergraph (schema/supergraph.graphql with the bench ports as routing URLs) and call the same subgraph processes. Before each operation, every endpoint's data is checked to equal ours.`,
    `gateway: autocannon ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up then ${MEASURE_SECONDS} s measured per endpoint, ${ROUNDS} rounds in alternating order, figures are the means (latency percentiles: of all requests of all rounds). ` +
      `The load generator, the gateways, the subgraphs and PostgreSQL share the machine's cores, so the ratios matter more than the absolute figures. "ms CPU/request" is the endpoint's own process (user + system) over the measured seconds divided by its requests.`,
  );
  return { rows, notes };
}

/**
 * Sends the operation once to every target and checks that each answer's `data` equals the first's
 * and has no errors; returns the size of that data. Throws naming the endpoint that differs.
 */
async function sameAnswerEverywhere(
  operation: GatewayOperation,
  targets: { key: string; url: string }[],
  body: string,
  authorization: string,
): Promise<number> {
  let reference: string | undefined;
  for (const target of targets) {
    const answer = await postJson(target.url, body, { authorization });
    const parsed = JSON.parse(answer.body) as { data?: unknown; errors?: { message: string }[] };
    if (answer.status !== 200 || parsed.errors?.length || !parsed.data) {
      throw new Error(
        `${operation.name}: ${LABELS[target.key as Target]} answered HTTP ${answer.status}: ${answer.body.slice(0, 300)}`,
      );
    }
    const data = JSON.stringify(parsed.data);
    reference ??= data;
    if (data !== reference)
      throw new Error(
        `${operation.name}: ${LABELS[target.key as Target]} gave other data than ${LABELS[targets[0].key as Target]}.`,
      );
  }
  return reference!.length;
}

/** Measures one load: autocannon's rate and every response time, and the endpoint's CPU time. */
async function measure(
  ctx: BenchContext,
  target: { url: string; pid: number },
  body: string,
  authorization: string,
): Promise<LoadFigures> {
  const cpu = startCpuAccounting({ endpoint: { pid: target.pid } });
  const started = performance.now();
  const result = await load(target.url, body, authorization, MEASURE_SECONDS);
  const usage = cpu.finish();
  ctx.services.assertAlive();
  const seconds = (performance.now() - started) / 1000;
  const requests = result.latencies.length;
  return {
    requestsPerSecond: requests / seconds,
    latencies: result.latencies,
    latency: summarize(result.latencies),
    requests,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuMsPerRequest: requests ? ((usage.seconds.endpoint ?? 0) * 1000) / requests : 0,
  };
}

/** Runs autocannon for `seconds`; resolves every 2xx response time (ms) and the failures. */
function load(
  url: string,
  body: string,
  authorization: string,
  seconds: number,
): Promise<{ latencies: number[]; non2xx: number; errors: number }> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: "POST",
        connections: CONNECTIONS,
        duration: seconds,
        body,
        headers: { "content-type": "application/json", authorization },
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({ latencies, non2xx: result.non2xx, errors: result.errors + result.timeouts }),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/**
 * Several rounds as one: the mean rate and CPU per request, latency percentiles over all their
 * requests.
 */
function meanFigures(rounds: LoadFigures[]): LoadFigures {
  const avg = (pick: (f: LoadFigures) => number) =>
    rounds.reduce((sum, f) => sum + pick(f), 0) / rounds.length;
  const latencies = rounds.flatMap((f) => f.latencies);
  return {
    requestsPerSecond: avg((f) => f.requestsPerSecond),
    latencies,
    latency: summarize(latencies),
    requests: rounds.reduce((sum, f) => sum + f.requests, 0),
    non2xx: rounds.reduce((sum, f) => sum + f.non2xx, 0),
    errors: rounds.reduce((sum, f) => sum + f.errors, 0),
    cpuMsPerRequest: avg((f) => f.cpuMsPerRequest),
  };
}
