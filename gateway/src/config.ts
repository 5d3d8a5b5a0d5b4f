import path from "node:path";
import { booleanFromEnv, portFromEnv, usersBaseUrlFromEnv } from "#kit/config";

/** The gateway's settings; each has an environment variable and a default that works locally. */
export interface GatewayConfig {
  /** `GATEWAY_PORT`. @default 4000; 0 picks a free port */
  port: number;
  /** `SUPERGRAPH_PATH`. @default "schema/supergraph.graphql" */
  supergraphPath: string;
  /**
   * Where each subgraph really is, overriding the supergraph's routing URLs
   * (`USERS_URL`, `CUSTOMERS_URL`, `ANALYTICS_URL`), e.g. container host names or test ports.
   */
  subgraphUrls: Record<string, string>;
  /** `SUBGRAPH_TIMEOUT_MS`: how long one subgraph fetch may take. @default 10_000 // 10 seconds */
  subgraphTimeoutMs: number;
  /**
   * `SUBGRAPH_DEDUPLICATE_QUERIES`: identical subgraph queries in flight at once (same subgraph,
   * credential and body) are sent once and share the answer. @default true
   */
  deduplicateSubgraphQueries: boolean;
  /**
   * `SINGLE_SUBGRAPH_PASSTHROUGH`: an operation one subgraph answers alone is sent to it as written
   * and its answer returned as is, without query plan execution (see SubgraphPassthrough).
   * @default true
   */
  singleSubgraphPassthrough: boolean;
  /**
   * `OWN_PLAN_EXECUTION`: signed-in users' federated queries run on the gateway's own execution of
   * their query plan, below Apollo Server, when every subgraph answers cleanly (see
   * PlannedQueries); with it off, without the passthrough, or with OpenTelemetry tracing on (whose
   * spans are `@apollo/gateway`'s), `@apollo/gateway` runs them.
   * @default true
   */
  ownPlanExecution: boolean;
  /**
   * `USERS_BASE_URL`: where credentials are checked (JWKS, API key exchange). @default
   * http://localhost:4001
   */
  usersBaseUrl: string;
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const name of ["users", "customers", "analytics"]) {
    const url = env[`${name.toUpperCase()}_URL`];
    if (url) subgraphUrls[name] = url;
  }
  return {
    port: portFromEnv("gateway", env),
    supergraphPath: path.resolve(env.SUPERGRAPH_PATH ?? "schema/supergraph.graphql"),
    subgraphUrls,
    subgraphTimeoutMs: Number(env.SUBGRAPH_TIMEOUT_MS ?? 10_000),
    deduplicateSubgraphQueries: booleanFromEnv(env, "SUBGRAPH_DEDUPLICATE_QUERIES", true),
    singleSubgraphPassthrough: booleanFromEnv(env, "SINGLE_SUBGRAPH_PASSTHROUGH", true),
    ownPlanExecution: booleanFromEnv(env, "OWN_PLAN_EXECUTION", true),
    usersBaseUrl: usersBaseUrlFromEnv(env),
  };
}
