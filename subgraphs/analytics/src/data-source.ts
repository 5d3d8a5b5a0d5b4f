import type { DataSource } from "typeorm";
import { createServiceDataSource } from "#kit/database/service-data-source";
import { CreateEventsAndMetricDefinitions1763900000000 } from "../migrations/1763900000000-CreateEventsAndMetricDefinitions";
import { CreateEventRollups1763900001000 } from "../migrations/1763900001000-CreateEventRollups";
import { CreateSegmentationAndChurn1763900002000 } from "../migrations/1763900002000-CreateSegmentationAndChurn";
import { CreateCustomerActivity1763900003000 } from "../migrations/1763900003000-CreateCustomerActivity";
import { CreateAlertRules1763900004000 } from "../migrations/1763900004000-CreateAlertRules";
import { AlterChurnPredictionsForBulkWrites1763900005000 } from "../migrations/1763900005000-AlterChurnPredictionsForBulkWrites";
import { PartitionEventsByMonth1763900006000 } from "../migrations/1763900006000-PartitionEventsByMonth";
import { DropEventsPrimaryKey1763900007000 } from "../migrations/1763900007000-DropEventsPrimaryKey";
import { CoverCustomerActivityDays1763900008000 } from "../migrations/1763900008000-CoverCustomerActivityDays";
import { CreateEventTypeRollups1763900009000 } from "../migrations/1763900009000-CreateEventTypeRollups";
import { CustomerActivityTwoMonths1763900010000 } from "../migrations/1763900010000-CustomerActivityTwoMonths";
import { MergeInvoiceLineEvents1763900020000 } from "../migrations/1763900020000-MergeInvoiceLineEvents";
import { CreateIdentities1763900030000 } from "../migrations/1763900030000-CreateIdentities";
import { CoverEventTypeIndexWithActors1763900031000 } from "../migrations/1763900031000-CoverEventTypeIndexWithActors";
import { AddJobHeartbeats1763900040000 } from "../migrations/1763900040000-AddJobHeartbeats";
import { AddChurnPredictionLogOdds1763900041000 } from "../migrations/1763900041000-AddChurnPredictionLogOdds";
import { KeyModelsByOrganization1763900050000 } from "../migrations/1763900050000-KeyModelsByOrganization";
import { CreateNotificationChannels1763900060000 } from "../migrations/1763900060000-CreateNotificationChannels";
import { CreateCohorts1763900070000 } from "../migrations/1763900070000-CreateCohorts";
import { ShardEventTypeIndexByActor1763900080000 } from "../migrations/1763900080000-ShardEventTypeIndexByActor";
import { OrderEventTypesByActor1763900090000 } from "../migrations/1763900090000-OrderEventTypesByActor";
import { CreateCustomerTotals1763900100000 } from "../migrations/1763900100000-CreateCustomerTotals";
import { MetricDefinitionEntity } from "./modules/metric/metric-definition.entity";

/**
 * A streaming replica of the analytics database, for read-only queries (read-replica.ts): the same
 * entities, no migrations (it replays the primary's), connections named `analytics-read`.
 */
export function createAnalyticsReadDataSource(url: string): DataSource {
  return createServiceDataSource({
    name: "analytics",
    applicationName: "analytics-read",
    url,
    entities: [MetricDefinitionEntity],
    migrations: [],
  });
}

/** The analytics database. */
export function createAnalyticsDataSource(url: string): DataSource {
  return createServiceDataSource({
    name: "analytics",
    url,
    // Events, rollups and the models are read and written with SQL; only metric definitions are
    // entities.
    entities: [MetricDefinitionEntity],
    migrations: [
      CreateEventsAndMetricDefinitions1763900000000,
      CreateEventRollups1763900001000,
      CreateSegmentationAndChurn1763900002000,
      CreateCustomerActivity1763900003000,
      CreateAlertRules1763900004000,
      AlterChurnPredictionsForBulkWrites1763900005000,
      PartitionEventsByMonth1763900006000,
      DropEventsPrimaryKey1763900007000,
      CoverCustomerActivityDays1763900008000,
      CreateEventTypeRollups1763900009000,
      CustomerActivityTwoMonths1763900010000,
      MergeInvoiceLineEvents1763900020000,
      CreateIdentities1763900030000,
      CoverEventTypeIndexWithActors1763900031000,
      AddJobHeartbeats1763900040000,
      AddChurnPredictionLogOdds1763900041000,
      KeyModelsByOrganization1763900050000,
      CreateNotificationChannels1763900060000,
      CreateCohorts1763900070000,
      ShardEventTypeIndexByActor1763900080000,
      OrderEventTypesByActor1763900090000,
      CreateCustomerTotals1763900100000,
    ],
  });
}
