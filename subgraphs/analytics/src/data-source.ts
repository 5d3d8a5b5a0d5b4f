import { DataSource } from "typeorm";
import { CreateEventsAndMetricDefinitions1763900000000 } from "../migrations/1763900000000-CreateEventsAndMetricDefinitions";
import { EventEntity } from "./modules/event/event.entity";
import { MetricDefinitionEntity } from "./modules/metric/metric-definition.entity";

/** The analytics database: explicit entities and migrations, never `synchronize`. */
export function createAnalyticsDataSource(url: string): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities: [EventEntity, MetricDefinitionEntity],
    migrations: [CreateEventsAndMetricDefinitions1763900000000],
    synchronize: false,
    migrationsRun: false,
    applicationName: "analytics",
    extra: { max: Number(process.env.ANALYTICS_DB_POOL_SIZE ?? 10) },
  });
}
