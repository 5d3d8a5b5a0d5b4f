import { SERVICE_NAMES, type ServiceName } from "#kit/database/database-url";

/** What the launcher runs: PostgreSQL (when embedded), the three subgraphs and the gateway. */
export type StackProcessName = "postgres" | ServiceName | "gateway";

/** The services in start order: users first (the others verify credentials with it). */
export const SERVICE_START_ORDER = ["users", "customers", "analytics", "gateway"] as const;
export type StackServiceName = (typeof SERVICE_START_ORDER)[number];

/** The subgraphs, each with a database of its own of the same name. */
export const SUBGRAPHS: readonly ServiceName[] = SERVICE_NAMES;

/** Each process's entry point, built by `npm run build` (relative to the repository root). */
export const ENTRY_POINTS: Record<StackProcessName, string> = {
  postgres: "dist/dev/postgres-main.js",
  users: "dist/subgraphs/users/src/index.js",
  customers: "dist/subgraphs/customers/src/index.js",
  analytics: "dist/subgraphs/analytics/src/index.js",
  gateway: "dist/gateway/src/index.js",
};

/** Where a service says it is ready: a subgraph once its database answers, the gateway once up. */
export const READY_PATHS: Record<StackServiceName, string> = {
  users: "/ready",
  customers: "/ready",
  analytics: "/ready",
  gateway: "/health",
};
