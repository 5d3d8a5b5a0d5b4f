import type { Logger } from "typeorm";

const counts = new Map<string, number>();

/** SQL statements a service has sent since the process started (for tests and metrics). */
export function sqlQueryCount(service: string): number {
  return counts.get(service) ?? 0;
}

/**
 * A TypeORM logger that counts every statement of one service and prints nothing (errors reach
 * clients and logs through GraphQL error handling instead).
 */
export class QueryCountingLogger implements Logger {
  constructor(private readonly service: string) {}

  logQuery(): void {
    counts.set(this.service, (counts.get(this.service) ?? 0) + 1);
  }

  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
