import type { DemoDataset } from "#dev/demo/demo-dataset";
import type { RunningService } from "#kit/server/graphql-service";
import { startSubgraph, type SubgraphOptions } from "#kit/server/start-subgraph";
import { createAnalyticsContext } from "./context";
import { createAnalyticsDataSource } from "./data-source";
import { seedAnalyticsDemoData } from "./demo-data";
import { createPubSubFromEnv } from "#kit/pubsub/create-pubsub";
import { createLogger } from "#kit/logger";
import { AlertEvaluator } from "./modules/alerts/alert-evaluator";
import {
  eventRetentionMonthsFromEnv,
  maintainEventPartitions,
} from "./modules/ingest/event-partitions";
import { failInterruptedJobs, JOB_SWEEP_INTERVAL_MS } from "./modules/jobs/background-job";
import { RealtimeHub } from "./modules/realtime/realtime-hub";
import { buildAnalyticsSchema } from "./schema";

export interface AnalyticsServiceOptions extends SubgraphOptions<DemoDataset> {
  /**
   * The customers subgraph's GraphQL URL, to read customer attributes as the caller. @default
   * CUSTOMERS_URL or http://localhost:4002/graphql
   */
  customersUrl?: string;
  /**
   * How often this service fails the RUNNING jobs of its database whose heartbeat is stale (their
   * process stopped), besides at start-up. @default JOB_SWEEP_INTERVAL_MS
   */
  jobSweepIntervalMs?: number;
}

/**
 * Starts the analytics subgraph (events, metrics, segmentation, churn, and the fields it adds to
 * Customer and Campaign).
 */
export function startAnalyticsService(
  options: AnalyticsServiceOptions = {},
): Promise<RunningService> {
  const customersUrl =
    options.customersUrl ??
    process.env.CUSTOMERS_URL ??
    `http://localhost:${process.env.CUSTOMERS_PORT ?? 4002}/graphql`;
  // Made once the database is ready: the pub/sub of subscriptions and the alert evaluator.
  let realtime: RealtimeHub | undefined;
  let alerts: AlertEvaluator | undefined;
  let partitionMaintenance: NodeJS.Timeout | undefined;
  let jobSweep: NodeJS.Timeout | undefined;
  return startSubgraph(
    {
      name: "analytics",
      prepare: async (dataSource) => {
        const log = createLogger("analytics");
        // Jobs whose process stopped (a stale heartbeat), now and every jobSweepIntervalMs; jobs
        // other replicas are running keep a fresh heartbeat and go on.
        const sweep = () =>
          failInterruptedJobs(dataSource).then(
            (failed) => {
              for (const [table, ids] of Object.entries(failed))
                if (ids.length)
                  log.warn(`interrupted jobs marked FAILED in ${table}: ${ids.join(", ")}`);
            },
            (error: Error) => log.error(`the sweep for interrupted jobs failed: ${error.message}`),
          );
        await sweep();
        jobSweep = setInterval(sweep, options.jobSweepIntervalMs ?? JOB_SWEEP_INTERVAL_MS).unref();
        const pubsub = createPubSubFromEnv("analytics");
        await pubsub.ready?.();
        realtime = new RealtimeHub(pubsub, dataSource);
        alerts = new AlertEvaluator(dataSource, realtime, createLogger("analytics"));
        // Partitions for the months ahead, and retention, now and every 6 hours.
        const maintain = () =>
          maintainEventPartitions(dataSource, eventRetentionMonthsFromEnv())
            .then(
              ({ dropped, forgottenIds }) =>
                dropped.length &&
                log.info(
                  `event retention: dropped the partitions of ${dropped.join(", ")} (${forgottenIds} event ids forgotten)`,
                ),
            )
            .catch((error: Error) =>
              log.error(`event partition maintenance failed: ${error.message}`),
            );
        await maintain();
        partitionMaintenance = setInterval(maintain, 6 * 3_600_000).unref();
      },
      stop: async () => {
        clearInterval(partitionMaintenance);
        clearInterval(jobSweep);
        alerts?.stop();
        await realtime?.close();
      },
      seedDemoData: seedAnalyticsDemoData,
      createDataSource: createAnalyticsDataSource,
      buildSchema: buildAnalyticsSchema,
      createContext: (dataSource, credential) =>
        createAnalyticsContext(
          dataSource,
          credential?.viewer ?? null,
          customersUrl,
          credential?.accessToken ?? null,
          realtime!,
        ),
    },
    options,
  );
}
