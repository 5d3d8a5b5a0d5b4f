import type { BenchDatabase, BenchServices } from "./bench-stack";

/**
 * What every benchmark gets: the running services, their database server, and a progress log
 * (stderr).
 */
export interface BenchContext {
  /** The gateway's `/graphql` on 127.0.0.1. */
  gatewayUrl: string;
  services: BenchServices;
  database: BenchDatabase;
  log(line: string): void;
}
