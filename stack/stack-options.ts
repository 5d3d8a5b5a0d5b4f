import type { ServiceName } from "#kit/database/database-url";
import type { RunningService } from "#kit/server/graphql-service";
import type { StackProcessName } from "./services";
import type { Supervisor, SupervisorOutput } from "./supervisor";

/** The four services' ports. */
export interface StackPorts {
  gateway: number;
  users: number;
  customers: number;
  analytics: number;
}

/** How to start the supergraph; everything defaults from the environment. */
export interface StackOptions {
  /**
   * `in-process`: every service in this process (fast: most tests). `processes`: PostgreSQL (when
   * embedded) and each service in a child process of its own, restarted when it dies (`npm
   * start`, the benchmark, the fault tests). @default "in-process"
   */
  mode?: "in-process" | "processes";
  /** Ports of the four services; 0 picks free ones. @default from the environment (4000-4003) */
  ports?: StackPorts;
  /**
   * A PostgreSQL server URL on which to use (and create) the databases `users`, `customers` and
   * `analytics`. @default the `*DATABASE_URL` variables, or else an embedded server
   */
  serverUrl?: string;
  /** The embedded server's data folder and port. @default `<DATA_DIR>/postgres`, EMBEDDED_POSTGRES_PORT */
  embedded?: { dataDir: string; port: number };
  /** Drop the services' databases first, so that they start empty (benchmarks). @default false */
  resetDatabases?: boolean;
  /** Load the demo data the first time. @default true */
  demoData?: boolean;
  /** In process: where the development signing key lives. @default <DATA_DIR>/keys */
  keysDir?: string;
  /** In processes: the services' `DATA_DIR` (their signing key is under it). @default DATA_DIR */
  dataDir?: string;
  /** In processes: environment variables of every child, applied last. */
  env?: Record<string, string>;
  /** In processes: extra `node` arguments per process (e.g. `--cpu-prof`). */
  nodeArgs?: Partial<Record<StackProcessName, string[]>>;
  /** In processes: start a process that dies again (with back-off). @default true */
  restart?: boolean;
  /** In processes: where the processes' output and the launcher's messages go. @default stdout */
  output?: SupervisorOutput;
}

/** The running supergraph: its four services and how to stop them all. */
export interface RunningStack {
  gateway: RunningService;
  subgraphs: Record<ServiceName, RunningService>;
  /** The PostgreSQL server the services' databases are on, when the stack knows it. */
  serverUrl?: string;
  /** In processes: the processes by name (pids, signals, restarts). */
  processes?: Supervisor;
  /** Stops the gateway, then the subgraphs, then the embedded PostgreSQL if one was started. */
  stop(): Promise<void>;
}
