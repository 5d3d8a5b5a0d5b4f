import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "typeorm";

const counts = new Map<string, number>();
const background = new AsyncLocalStorage<true>();

/**
 * SQL statements a service has sent since the process started on behalf of requests: statements
 * of work started through {@link runInBackground} (timers, sweeps, pollers) are not counted, so a
 * test can assert what one request costs while the service's own loops run.
 */
export function sqlQueryCount(service: string): number {
  return counts.get(service) ?? 0;
}

/**
 * Runs `work` (and everything it starts) as the service's own background work, whose statements
 * {@link sqlQueryCount} leaves out. Returns what `work` returns.
 */
export function runInBackground<T>(work: () => T): T {
  return background.run(true, work);
}

/**
 * A TypeORM logger that counts every statement of one service sent outside background work and
 * prints nothing (errors reach clients and logs through GraphQL error handling instead).
 */
export class QueryCountingLogger implements Logger {
  constructor(private readonly service: string) {}

  logQuery(): void {
    if (background.getStore()) return;
    counts.set(this.service, (counts.get(this.service) ?? 0) + 1);
  }

  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
