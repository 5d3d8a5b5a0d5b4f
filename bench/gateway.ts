import { readFileSync } from "node:fs";
import type { BenchContext } from "./harness/context";
import { createBenchUsers, signInAll } from "./harness/bench-users";
import { startCpuAccounting, type CpuAccounting } from "./harness/cpu-usage";
import { prepareGatewayBenchData } from "./harness/gateway-data";
import { GATEWAY_OPERATIONS, type GatewayOperation } from "./harness/gateway-operations";
import {
  describeCpuPerPage,
  describeFigures,
  gatewayHeadline,
  gatewayRow,
  LABELS,
  type Endpoint,
  type LoadFigures,
} from "./harness/gateway-report";
import { summarize } from "./harness/load";
import { BENCH_DATA_DIR } from "./harness/paths";
import {
  PEER_GATEWAYS,
  startPeerGateway,
  writeBenchSupergraph,
  type PeerGateway,
  type PeerGatewayName,
} from "./harness/peer-gateways";
import { PlanCapture } from "./harness/plan-capture";
import type { BenchOutcome, ResultRow } from "./harness/report";
import {
  graphqlAnswerIsRight,
  runUserLoad,
  sendTreeOnce,
  type RequestTree,
} from "./harness/user-load";

/** Numbers of distinct users measured (`BENCH_GATEWAY_USERS`, comma-separated). */
const USER_LEVELS = (process.env.BENCH_GATEWAY_USERS || "1,20,50")
  .split(",")
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
/** Seconds of each measured load, and of the unmeasured warm-up before it. */
const MEASURE_SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS) || 8;
const WARMUP_SECONDS = Number(process.env.BENCH_GATEWAY_WARMUP_SECONDS) || 2;
/** Seconds of the subgraphs alone before an operation's endpoints, at each level (unmeasured). */
const SUBGRAPH_WARMUP_SECONDS = 4;
/** Each endpoint is measured this many times per operation and level, in alternating order. */
const ROUNDS = Number(process.env.BENCH_GATEWAY_ROUNDS) || 2;
/** Identical requests sent at once with one token to see which gateways merge them. */
const MERGE_PROBE = 10;

/**
 * The `gateway` benchmark: each operation at 1, 20 and 50 distinct users (each user signed in with
 * a token of their own, on a connection of their own, with variables of their own: a page of
 * their own), sending page after page, against our gateway, a bare `@apollo/gateway` and
 * `@graphql-hive/gateway`, each with its defaults and with its merging of identical subgraph
 * requests off (bare Apollo has none); against "the subgraphs alone" (the requests the query plan
 * sends to the subgraphs, recorded once per user and replayed straight by the load generator:
 * what a gateway costing nothing would reach); and, for the plain page, the page's own document
 * straight at the customers subgraph. Every endpoint's data is first checked to equal ours for
 * every user. Figures are the mean of {@link ROUNDS} rounds in alternating order.
 */
export async function runGatewayBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  ctx.log(
    "gateway: preparing an organization (customers, campaigns, events, a segmentation run and a churn model)",
  );
  const data = await prepareGatewayBenchData(ctx.gatewayUrl);
  const maxUsers = Math.max(...USER_LEVELS);
  const users = await createBenchUsers(ctx.gatewayUrl, data.organization, maxUsers);
  ctx.log(`gateway: ${users.length} users in the organization`);
  const supergraphPath = writeBenchSupergraph(ctx.services, BENCH_DATA_DIR);
  const capture = await PlanCapture.start(readFileSync(supergraphPath, "utf8"));
  const peers: Partial<Record<PeerGatewayName, PeerGateway>> = {};
  const notes: string[] = [];
  const rows: ResultRow[] = [];
  const headline: { operation: GatewayOperation; users: number; figures: Figures }[] = [];
  try {
    for (const name of Object.keys(PEER_GATEWAYS) as PeerGatewayName[]) {
      const args = (process.env[`BENCH_NODE_ARGS_${name.toUpperCase().replace(/-/g, "_")}`] ?? "")
        .split(/\s+/)
        .filter(Boolean);
      peers[name] = await startPeerGateway(name, supergraphPath, ctx.services, args);
      ctx.log(`gateway: ${PEER_GATEWAYS[name].label} started (pid ${peers[name]!.pid})`);
    }
    const gateways: Record<"ours" | PeerGatewayName, { url: string; pid: number }> = {
      ours: { url: ctx.gatewayUrl, pid: ctx.services.services.gateway.pid },
      ...(Object.fromEntries(
        Object.entries(peers).map(([name, peer]) => [name, { url: peer.url, pid: peer.pid }]),
      ) as Record<PeerGatewayName, { url: string; pid: number }>),
    };
    notes.push(await mergingProbe(ctx, gateways, users[0], data.organization.accessToken));

    for (const operation of GATEWAY_OPERATIONS) {
      // Fresh tokens per operation: each lasts 15 minutes, an operation takes about six.
      const tokens = await signInAll(ctx.gatewayUrl, users);
      const now = new Date();
      const trees = await pagesOf(ctx, operation, gateways, tokens, now, capture);
      ctx.log(
        `gateway: ${operation.name}: every endpoint gives every one of ${tokens.length} users the same data as ours; the plan sends ${countRequests(trees.subgraphs![0])} subgraph requests per page`,
      );
      for (const level of USER_LEVELS) {
        const runs = new Map<Endpoint, LoadFigures[]>();
        const endpoints = Object.keys(trees) as Endpoint[];
        // The subgraphs warmed up on this operation first, unmeasured: else the endpoint measured
        // first in round 1 pays for it (the users subgraph's CPU per deep page came out 1.6 times
        // the replay's for the first two endpoints, falling with each later one).
        await runUserLoad({
          users: trees.subgraphs!.slice(0, level),
          warmupMs: SUBGRAPH_WARMUP_SECONDS * 1000,
          durationMs: 1,
          verify: graphqlAnswerIsRight,
        });
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? endpoints : [...endpoints].reverse();
          for (const endpoint of order) {
            const pages = trees[endpoint]!.slice(0, level);
            const pid = endpoint in gateways ? gateways[endpoint as keyof typeof gateways].pid : 0;
            const figures = await measure(ctx, pages, pid);
            runs.set(endpoint, [...(runs.get(endpoint) ?? []), figures]);
            ctx.log(
              `gateway: ${operation.name}, ${level} users, ${LABELS[endpoint]}, round ${round + 1}: ${describeFigures(figures)}`,
            );
          }
        }
        const figures = Object.fromEntries(
          [...runs].map(([endpoint, rounds]) => [endpoint, meanFigures(rounds)]),
        ) as Figures;
        rows.push(gatewayRow(operation, level, figures));
        headline.push({ operation, users: level, figures });
        notes.push(
          `gateway: ${operation.name}, ${level} users, ms of CPU per page by process: ` +
            (Object.keys(figures) as Endpoint[])
              .map((endpoint) => `${LABELS[endpoint]}: ${describeCpuPerPage(figures[endpoint]!)}`)
              .join("; ") +
            ".",
        );
      }
    }
  } finally {
    await Promise.all(Object.values(peers).map((peer) => peer!.stop()));
    await capture.stop();
  }
  notes.push(
    `gateway: one organization with ${data.customers} customers, ${data.campaigns} campaigns, ${data.events} events, a segmentation run (k = 4) and a churn model, created through our gateway, and ${users.length} users (its ADMIN and VIEWERs made with createUser), each signed in for a token of their own. ` +
      `At N users, N users each send their page again as soon as the last one was answered (one page in flight per user, on connections of their own): the customer pages are 50 customers of one of 5 locations in one of 6 orders, the deep query 5 to 10 campaigns over the user's own 30 to 79 days. ` +
      `The peers forward the Authorization header and nothing else, with no plugins or caches, over the same supergraph (schema/supergraph.graphql with the bench ports as routing URLs) and the same subgraph processes. ` +
      `"The subgraphs alone" replays, per user, the subgraph requests of the query plan (recorded once through an in-process @apollo/gateway, the planner of ours and of the bare peer), in the plan's order (sequences and parallel branches), straight from the load generator: a gateway that cost nothing would reach it. Before each operation, every endpoint's data was checked to equal ours for every user.`,
    `gateway: before each operation and number of users, ${SUBGRAPH_WARMUP_SECONDS} s of the subgraphs alone, unmeasured; then ${WARMUP_SECONDS} s warm-up and ${MEASURE_SECONDS} s measured per endpoint, ${ROUNDS} rounds in alternating order; figures are the means (latency percentiles: of all pages of all rounds). ` +
      `The load generator is the bench's own lean HTTP/1.1 client (bench/harness/lean-http.ts: prepared requests written straight to keep-alive sockets), the same for every endpoint; it, the gateways, the subgraphs and PostgreSQL share the machine's cores, so the ratios matter more than the absolute figures. "ms CPU/page" is the gateway's own process (user + system) over the measured seconds divided by its pages.`,
  );
  return { rows, notes, headline: gatewayHeadline(headline) };
}

type Figures = Partial<Record<Endpoint, LoadFigures>>;

/**
 * What each user sends to each endpoint for one operation: the page to each gateway, the page's
 * document straight to its subgraph (with `direct`), and the plan's subgraph requests (captured).
 * Throws naming the endpoint and user when an answer is not the same data as ours.
 */
async function pagesOf(
  ctx: BenchContext,
  operation: GatewayOperation,
  gateways: Record<string, { url: string }>,
  tokens: string[],
  now: Date,
  capture: PlanCapture,
): Promise<Partial<Record<Endpoint, RequestTree[]>>> {
  const trees: Partial<Record<Endpoint, RequestTree[]>> = {};
  const add = (endpoint: Endpoint, tree: RequestTree) => (trees[endpoint] ??= []).push(tree);
  for (const [user, token] of tokens.entries()) {
    const variables = operation.variables(user, now);
    const body = JSON.stringify({ query: operation.query, variables });
    const headers = { authorization: `Bearer ${token}` };
    let reference: string | undefined;
    for (const [endpoint, { url }] of Object.entries(gateways)) {
      const tree: RequestTree = { kind: "request", url, body, headers };
      const data = await dataOf(tree, endpoint as Endpoint, user);
      reference ??= data;
      if (data !== reference)
        throw new Error(
          `${operation.name}: ${LABELS[endpoint as Endpoint]} gave user ${user} other data than ours.`,
        );
      add(endpoint as Endpoint, tree);
    }
    if (operation.direct) {
      const tree: RequestTree = {
        kind: "request",
        url: ctx.services.services[operation.direct].url,
        body,
        headers,
      };
      if ((await dataOf(tree, "direct", user)) !== reference)
        throw new Error(
          `${operation.name}: the ${operation.direct} subgraph gave user ${user} other data.`,
        );
      add("direct", tree);
    }
    const plan = await capture.capture(operation.query, variables, headers.authorization);
    await sendTreeOnce(plan);
    add("subgraphs", plan);
  }
  return trees;
}

/** The `data` of the one answer to a one-request tree, as JSON text. */
async function dataOf(tree: RequestTree, endpoint: Endpoint, user: number): Promise<string> {
  let bodies: string[];
  try {
    bodies = await sendTreeOnce(tree);
  } catch (error) {
    throw new Error(`${LABELS[endpoint]} failed for user ${user}: ${(error as Error).message}`);
  }
  return JSON.stringify((JSON.parse(bodies[0]) as { data: unknown }).data);
}

function countRequests(tree: RequestTree): number {
  return tree.kind === "request"
    ? 1
    : tree.nodes.reduce((sum, node) => sum + countRequests(node), 0);
}

/**
 * A load with its warm-up, measured after it; with a gateway's pid, that process's CPU time over
 * the measured part.
 */
async function measure(ctx: BenchContext, pages: RequestTree[], pid: number): Promise<LoadFigures> {
  let cpu: CpuAccounting | undefined;
  let usage: ReturnType<CpuAccounting["finish"]> | undefined;
  const { services } = ctx.services;
  const processes = {
    ...(pid ? { gateway: { pid } } : {}),
    users: { pid: services.users.pid },
    customers: { pid: services.customers.pid },
    analytics: { pid: services.analytics.pid },
    postgres: { pid: ctx.database.postmasterPid, tree: true },
  };
  const result = await runUserLoad({
    users: pages,
    warmupMs: WARMUP_SECONDS * 1000,
    durationMs: MEASURE_SECONDS * 1000,
    verify: graphqlAnswerIsRight,
    onMeasureStart: () => (cpu = startCpuAccounting(processes)),
    onMeasureEnd: () => (usage = cpu?.finish()),
  });
  ctx.services.assertAlive();
  const pageCount = result.latencies.length;
  const perPage = (seconds: number) => (pageCount ? (seconds * 1000) / pageCount : 0);
  return {
    perSecond: result.perSecond,
    latencies: result.latencies,
    latency: summarize(result.latencies),
    failed: result.failed,
    firstFailure: result.firstFailure,
    cpuMsPerPage: pid && usage && pageCount ? perPage(usage.seconds.gateway ?? 0) : null,
    cpuMsPerPageBy: Object.fromEntries(
      Object.entries(usage?.seconds ?? {}).map(([name, seconds]) => [name, perPage(seconds)]),
    ),
  };
}

/** Several rounds as one: the mean rate and CPU, latency percentiles over all their pages. */
function meanFigures(rounds: LoadFigures[]): LoadFigures {
  const avg = (pick: (f: LoadFigures) => number) =>
    rounds.reduce((sum, f) => sum + pick(f), 0) / rounds.length;
  const latencies = rounds.flatMap((f) => f.latencies);
  return {
    perSecond: avg((f) => f.perSecond),
    latencies,
    latency: summarize(latencies),
    failed: rounds.reduce((sum, f) => sum + f.failed, 0),
    firstFailure: rounds.find((f) => f.firstFailure)?.firstFailure,
    cpuMsPerPage: rounds[0].cpuMsPerPage === null ? null : avg((f) => f.cpuMsPerPage ?? 0),
    cpuMsPerPageBy: Object.fromEntries(
      Object.keys(rounds[0].cpuMsPerPageBy).map((name) => [
        name,
        avg((f) => f.cpuMsPerPageBy[name] ?? 0),
      ]),
    ),
  };
}

/**
 * Sends {@link MERGE_PROBE} identical customer-page requests at once, with one token, through each
 * gateway, and counts the requests the customers subgraph received meanwhile (its
 * `graphql_requests_total`): which gateways merge identical subgraph requests in flight with their
 * settings here. A note for the report.
 */
async function mergingProbe(
  ctx: BenchContext,
  gateways: Record<string, { url: string }>,
  user: { email: string },
  token: string,
): Promise<string> {
  const metricsUrl = ctx.services.services.customers.url.replace(/\/graphql$/, "/metrics");
  const served = async () => {
    const text = await (await fetch(metricsUrl)).text();
    let total = 0;
    for (const match of text.matchAll(/^graphql_requests_total\{[^}]*\} (\S+)$/gm))
      total += Number(match[1]);
    return total;
  };
  const page = GATEWAY_OPERATIONS[1];
  const body = JSON.stringify({ query: page.query, variables: page.variables(0, new Date()) });
  const counts: string[] = [];
  for (const [endpoint, { url }] of Object.entries(gateways)) {
    const tree: RequestTree = {
      kind: "request",
      url,
      body,
      headers: { authorization: `Bearer ${token}` },
    };
    await sendTreeOnce(tree);
    const before = await served();
    await Promise.all(Array.from({ length: MERGE_PROBE }, () => sendTreeOnce(tree)));
    counts.push(`${LABELS[endpoint as Endpoint]} ${(await served()) - before}`);
  }
  return `gateway: ${MERGE_PROBE} identical customer-page requests at once with one token (${user.email}) reached the customers subgraph as this many requests: ${counts.join(", ")} (fewer than ${MERGE_PROBE}: merged). With a token per user, as measured above, no two requests in flight are alike.`;
}
