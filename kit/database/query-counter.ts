import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "typeorm";
import { booleanFromEnv } from "../config";

const counts = new Map<string, number>();
const background = new AsyncLocalStorage<true>();

/**
 * SQL statements a service has sent since the process started on behalf of requests, counted when
 * `SQL_QUERY_COUNTING=1` (0 otherwise): statements of work started through
 * {@link runInBackground} (timers, sweeps, pollers) are not counted, so a test can assert what one
 * request costs while the service's own loops run.
 */
export function sqlQueryCount(service: string): number {
  return counts.get(service) ?? 0;
}

let counting: boolean | undefined;

/**
 * Whether statements are counted apart from background work (`SQL_QUERY_COUNTING=true`, which the
 * test suite sets; read once). That needs an AsyncLocalStorage, whose promise hooks cost every
 * promise of the process (4% of the analytics service's CPU under load), so services do without.
 */
function separatesBackgroundWork(env: NodeJS.ProcessEnv = process.env): boolean {
  return (counting ??= booleanFromEnv(env, "SQL_QUERY_COUNTING", false));
}

/**
 * Runs `work` (and everything it starts) as the service's own background work, whose statements
 * {@link sqlQueryCount} leaves out when `SQL_QUERY_COUNTING=true`. Returns what `work` returns.
 */
export function runInBackground<T>(work: () => T): T {
  return separatesBackgroundWork() ? background.run(true, work) : work();
}

/**
 * A TypeORM logger that counts every statement of one service sent outside background work and
 * prints nothing (errors reach clients and logs through GraphQL error handling instead).
 */
export class QueryCountingLogger implements Logger {
  constructor(private readonly service: string) {}

  logQuery(): void {
    if (!separatesBackgroundWork() || background.getStore()) return;
    counts.set(this.service, (counts.get(this.service) ?? 0) + 1);
  }

  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
