import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Supervisor } from "../../stack/supervisor";
import type { BenchServices } from "./bench-stack";
import { freePort } from "./ports";
import { REPO_ROOT } from "./paths";

/**
 * The gateways a user might pick instead of ours, each run as its own process over the same
 * subgraphs with its default settings and with its merging of identical subgraph requests in
 * flight off (bare @apollo/gateway does not merge), and ours once more with that off too
 * (`SUBGRAPH_DEDUPLICATE_QUERIES=false`).
 */
export const PEER_GATEWAYS = {
  "apollo-gateway": {
    label: "bare @apollo/gateway",
    entry: "dist/bench/peers/apollo-gateway.js",
    ready: "/graphql?query=%7B__typename%7D",
  },
  "hive-gateway": {
    label: "@graphql-hive/gateway",
    entry: "dist/bench/peers/hive-gateway.js",
    ready: "/healthcheck",
  },
  "hive-gateway-without-deduplication": {
    label: "@graphql-hive/gateway, deduplicateInflightRequests: false",
    entry: "dist/bench/peers/hive-gateway.js",
    ready: "/healthcheck",
  },
  "ours-without-deduplication": {
    label: "our gateway, SUBGRAPH_DEDUPLICATE_QUERIES=false",
    entry: "dist/gateway/src/index.js",
    ready: "/health",
  },
} as const;
export type PeerGatewayName = keyof typeof PEER_GATEWAYS;

/** A peer gateway process. */
export interface PeerGateway {
  name: PeerGatewayName;
  pid: number;
  /** Its `/graphql` on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The committed supergraph with each subgraph's routing URL pointing at the bench services, written
 * to `<dataDir>/bench-supergraph.graphql`; returns its path.
 */
export function writeBenchSupergraph(services: BenchServices, dataDir: string): string {
  let sdl = readFileSync(path.join(REPO_ROOT, "schema", "supergraph.graphql"), "utf8");
  for (const name of ["users", "customers", "analytics"] as const) {
    const pattern = new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*(")`);
    if (!pattern.test(sdl)) throw new Error(`The supergraph has no @join__graph for ${name}.`);
    sdl = sdl.replace(pattern, `$1${services.services[name].url}$2`);
  }
  const file = path.join(dataDir, "bench-supergraph.graphql");
  writeFileSync(file, sdl);
  return file;
}

/** Starts a peer gateway on a free port over `supergraphPath` and waits until it answers. */
export async function startPeerGateway(
  name: PeerGatewayName,
  supergraphPath: string,
  services: BenchServices,
  nodeArgs: string[] = [],
): Promise<PeerGateway> {
  const port = await freePort();
  const peer = PEER_GATEWAYS[name];
  // Our gateway reads its own variables (and, like the bench services, no rate limits or logs).
  const ours = {
    GATEWAY_PORT: String(port),
    USERS_BASE_URL: services.services.users.url.replace(/\/graphql$/, ""),
    SUBGRAPH_DEDUPLICATE_QUERIES: "false",
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "0",
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "0",
  };
  const env = {
    PORT: String(port),
    SUPERGRAPH_PATH: supergraphPath,
    NODE_ENV: "production",
    ...(name === "ours-without-deduplication" ? ours : {}),
    ...(name === "hive-gateway-without-deduplication" ? { PEER_DEDUPLICATE: "false" } : {}),
  };
  return { name, ...(await startPeerProcess(peer, port, env, nodeArgs)) };
}

/**
 * The reference server of the subscriptions benchmark (bench/peers/ws-fanout.ts), on a free port.
 */
export async function startWsFanoutReference(): Promise<{
  pid: number;
  url: string;
  stop(): Promise<void>;
}> {
  const peer = {
    label: "ws fan-out reference",
    entry: "dist/bench/peers/ws-fanout.js",
    ready: "/health",
  };
  const port = await freePort();
  return startPeerProcess(peer, port, { PORT: String(port), NODE_ENV: "production" });
}

/** The peers' processes: nothing restarts one that dies, and their output is not printed. */
const peers = new Supervisor({ line: () => undefined, event: () => undefined }, { restart: false });

/**
 * Runs `peer.entry` with `env` on top of the bench's environment and waits until `peer.ready`
 * answers on `port`.
 */
async function startPeerProcess(
  peer: { label: string; entry: string; ready: string },
  port: number,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ pid: number; url: string; stop(): Promise<void> }> {
  const base = `http://127.0.0.1:${port}`;
  const name = `${peer.label} on ${port}`;
  const started = await peers.start({
    name,
    entry: peer.entry,
    env: { ...process.env, ...env },
    nodeArgs,
    ready: { url: `${base}${peer.ready}`, headers: { "apollo-require-preflight": "true" } },
  });
  return { pid: started.pid, url: `${base}/graphql`, stop: () => peers.stop(name) };
}
