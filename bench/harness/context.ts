import type { BenchDatabase } from "./embedded-database";
import type { RunningServices } from "./services";

/**
 * What every benchmark gets: the running services, their database server, and a progress log
 * (stderr).
 */
export interface BenchContext {
  /** The gateway's `/graphql` on 127.0.0.1. */
  gatewayUrl: string;
  services: RunningServices;
  database: BenchDatabase;
  log(line: string): void;
}
