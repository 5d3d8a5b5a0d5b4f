import { DataSource, type MixedList, type EntitySchema, type MigrationInterface } from "typeorm";
import type { ServiceName } from "./database-url";
import { SqlMetricsSubscriber } from "../metrics/sql-metrics-subscriber";
import { QueryCountingLogger } from "./query-counter";
import { useFastTimestampParser } from "./timestamp-parser";

export interface ServiceDataSourceOptions {
  name: ServiceName;
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type of entity classes
  entities: MixedList<Function | string | EntitySchema>;
  migrations: (new () => MigrationInterface)[];
  /** `application_name` of its connections. @default the service name */
  applicationName?: string;
}

/**
 * A service's TypeORM data source on PostgreSQL: explicit entities and migrations, never
 * `synchronize`; the pool size comes from `<SERVICE>_DB_POOL_SIZE` (default 10) and connections are
 * tagged with the service name (`application_name`, or `applicationName`) so `pg_stat_activity`
 * shows who is who. Timestamps are read with {@link useFastTimestampParser}.
 */
export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  useFastTimestampParser();
  return new DataSource({
    type: "postgres",
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    // Counts and times every statement for the service's /metrics.
    subscribers: [SqlMetricsSubscriber],
    synchronize: false,
    migrationsRun: false,
    applicationName: options.applicationName ?? options.name,
    // Every statement goes through the counting logger (see sqlQueryCount), which prints nothing.
    logger: new QueryCountingLogger(options.name),
    logging: ["query"],
    extra: { max: Number(process.env[`${options.name.toUpperCase()}_DB_POOL_SIZE`] ?? 10) },
  });
}
