import type { GatewayOperation, GatewayTargets } from "./gateway-operations";
import { formatLatency, type LatencySummary } from "./load";
import { PEER_GATEWAYS, type PeerGatewayName } from "./peer-gateways";
import type { ResultRow } from "./report";

/** What the gateway benchmark loads: a gateway, the subgraphs alone, or a subgraph directly. */
export type Endpoint = "ours" | PeerGatewayName | "subgraphs" | "direct";

export const LABELS: Record<Endpoint, string> = {
  ours: "our gateway",
  "ours-without-deduplication": PEER_GATEWAYS["ours-without-deduplication"].label,
  "apollo-gateway": PEER_GATEWAYS["apollo-gateway"].label,
  "hive-gateway": PEER_GATEWAYS["hive-gateway"].label,
  "hive-gateway-without-deduplication": PEER_GATEWAYS["hive-gateway-without-deduplication"].label,
  subgraphs: "the subgraphs alone (the plan's subgraph requests, replayed)",
  direct: "straight at the customers subgraph",
};

/** One endpoint's load at one number of users. */
export interface LoadFigures {
  /** Pages answered right per second. */
  perSecond: number;
  /** Every right page's time, ms. */
  latencies: number[];
  latency: LatencySummary;
  failed: number;
  firstFailure?: string;
  /** CPU milliseconds of the gateway's own process per page; null for no gateway. */
  cpuMsPerPage: number | null;
  /**
   * CPU milliseconds per page of each process the page costs (the endpoint's gateway, the
   * subgraphs, PostgreSQL with its backends, the bench client) and of the whole machine.
   */
  cpuMsPerPageBy: Record<string, number>;
}

/** `gateway 0.61, customers 0.93, ..., machine 2.10` (ms of CPU per page). */
export function describeCpuPerPage(f: LoadFigures): string {
  return Object.entries(f.cpuMsPerPageBy)
    .filter(([name]) => name !== "stolen" && name !== "other processes")
    .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
    .join(", ");
}

const SHORT: Record<keyof GatewayTargets["ratios"], string> = {
  subgraphs: "the subgraphs alone",
  direct: "straight at the subgraph",
  "apollo-gateway": "bare @apollo/gateway",
  "hive-gateway": "@graphql-hive/gateway",
};

/** `412 req/s, p50 ... ms, 1.21 ms CPU/page, 3 failed` */
export function describeFigures(f: LoadFigures): string {
  return (
    `${f.perSecond.toFixed(0)} req/s, ${formatLatency(f.latency)}` +
    (f.cpuMsPerPage === null ? "" : `, ${f.cpuMsPerPage.toFixed(2)} ms CPU/page`) +
    (f.failed ? `, ${f.failed} failed (first: ${f.firstFailure?.slice(0, 120)})` : "")
  );
}

/** The target text of an operation at a number of users, or `—`. */
function targetText(targets: GatewayTargets | undefined): string {
  if (!targets) return "—";
  return [
    ...(targets.p95Ms !== undefined ? [`p95 < ${targets.p95Ms} ms`] : []),
    ...Object.entries(targets.ratios).map(
      ([against, ratio]) =>
        `requests/s ≥ ${ratio}× ${SHORT[against as keyof GatewayTargets["ratios"]]}`,
    ),
  ].join("; ");
}

const ratio = (figures: Partial<Record<Endpoint, LoadFigures>>, of: Endpoint, to: Endpoint) => {
  const a = figures[of]?.perSecond;
  const b = figures[to]?.perSecond;
  return a !== undefined && b ? a / b : null;
};

/** Whether ours met the targets (and nothing failed): yes, no, or — without targets. */
function met(
  targets: GatewayTargets | undefined,
  figures: Partial<Record<Endpoint, LoadFigures>>,
): "yes" | "no" | "—" {
  const failed = Object.values(figures).some((f) => f!.failed > 0);
  if (!targets) return failed ? "no" : "—";
  const ours = figures.ours!;
  const p95 = targets.p95Ms === undefined || ours.latency.p95 < targets.p95Ms;
  const ratios = Object.entries(targets.ratios).every(
    ([against, wanted]) => (ratio(figures, "ours", against as Endpoint) ?? 0) >= wanted,
  );
  return p95 && ratios && !failed ? "yes" : "no";
}

const times = (value: number | null) => (value === null ? "—" : `${value.toFixed(2)}×`);

/** The results table's row of one operation at one number of users. */
export function gatewayRow(
  operation: GatewayOperation,
  users: number,
  figures: Partial<Record<Endpoint, LoadFigures>>,
): ResultRow {
  const targets = operation.targets[users];
  const against = (["subgraphs", "direct", "apollo-gateway", "hive-gateway"] as const)
    .filter((endpoint) => figures[endpoint])
    .map((endpoint) => `${times(ratio(figures, "ours", endpoint))} ${SHORT[endpoint]}`);
  const undeduplicated = figures["ours-without-deduplication"];
  const others = (Object.keys(figures) as Endpoint[]).filter((endpoint) => endpoint !== "ours");
  return {
    benchmark: `gateway: ${operation.name} (${operation.path}), ${users} distinct user${users === 1 ? "" : "s"} (a token and a connection each)`,
    target: targetText(targets),
    measured:
      `ours ${describeFigures(figures.ours!)}; ${against.join(", ")}` +
      (figures["hive-gateway-without-deduplication"]
        ? `, ${times(ratio(figures, "ours", "hive-gateway-without-deduplication"))} @graphql-hive/gateway without merging`
        : "") +
      (undeduplicated ? `. Ours without merging: ${describeFigures(undeduplicated)}` : ""),
    reference: others
      .filter((endpoint) => endpoint !== "ours-without-deduplication")
      .map((endpoint) => `${LABELS[endpoint]} ${describeFigures(figures[endpoint]!)}`)
      .join("; "),
    met: met(targets, figures),
  };
}

/**
 * The headline of a gateway run: for each operation and number of users, our requests/s and p95
 * and the ratios to every reference, with the target and whether it was met.
 */
export function gatewayHeadline(
  results: {
    operation: GatewayOperation;
    users: number;
    figures: Partial<Record<Endpoint, LoadFigures>>;
  }[],
): string[] {
  if (results.length === 0) return [];
  const cell = (value: number | null) => (value === null ? "" : value.toFixed(2));
  const levels = [...new Set(results.map((result) => result.users))];
  return [
    `Gateway at ${levels.join(", ")} distinct users (a token, a connection and a page of their own each); requests/s of ours divided by each reference's, measured in the same run:`,
    "",
    "| operation | users | ours req/s | ours p95 ms | ÷ subgraphs alone | ÷ straight at the subgraph | ÷ bare @apollo/gateway | ÷ @graphql-hive/gateway | ÷ hive, merging off | ours, merging off: req/s | target | met? |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map(({ operation, users, figures }) => {
      const ours = figures.ours!;
      return `| ${operation.name} | ${users} | ${ours.perSecond.toFixed(0)} | ${ours.latency.p95.toFixed(1)} | ${cell(ratio(figures, "ours", "subgraphs"))} | ${cell(ratio(figures, "ours", "direct"))} | ${cell(ratio(figures, "ours", "apollo-gateway"))} | ${cell(ratio(figures, "ours", "hive-gateway"))} | ${cell(ratio(figures, "ours", "hive-gateway-without-deduplication"))} | ${figures["ours-without-deduplication"]?.perSecond.toFixed(0) ?? ""} | ${targetText(operation.targets[users])} | ${met(operation.targets[users], figures)} |`;
    }),
  ];
}
