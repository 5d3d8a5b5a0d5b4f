import type { DemoDataset } from "#dev/demo/demo-dataset";
import type { RunningService } from "#kit/server/graphql-service";
import { startSubgraph, type SubgraphOptions } from "#kit/server/start-subgraph";
import type { ReadReplica } from "#kit/database/read-replica";
import { createAnalyticsContext } from "./context";
import { createAnalyticsDataSource } from "./data-source";
import { seedAnalyticsDemoData } from "./demo-data";
import { createPubSubFromEnv } from "#kit/pubsub/create-pubsub";
import { createLogger } from "#kit/logger";
import path from "node:path";
import { dataDir } from "#kit/config";
import { AlertEvaluator } from "./modules/alerts/alert-evaluator";
import { escalateDueAlerts } from "./modules/alerts/alert-firing";
import { NotificationDispatcher, systemClock, type Clock } from "./modules/notifications/outbox";
import { SecretBox } from "./modules/notifications/secret-box";
import type { Alerting } from "./context";
import {
  eventRetentionMonthsFromEnv,
  maintainEventPartitions,
} from "./modules/ingest/event-partitions";
import { failInterruptedJobs, JOB_SWEEP_INTERVAL_MS } from "./modules/jobs/background-job";
import { RealtimeHub } from "./modules/realtime/realtime-hub";
import {
  analyticsReadsFromEnv,
  connectAnalyticsReads,
  type AnalyticsReadsOptions,
} from "./read-replica";
import { buildAnalyticsSchema } from "./schema";
import { peopleQueryParts } from "./modules/actors/actor-parts";
import { runInBackground } from "#kit/database/query-counter";

export interface AnalyticsServiceOptions extends SubgraphOptions<DemoDataset> {
  /**
   * The customers subgraph's GraphQL URL, to read customer attributes as the caller. @default
   * CUSTOMERS_URL or http://localhost:4002/graphql
   */
  customersUrl?: string;
  /** Where the development key of the webhook secrets lives. @default <DATA_DIR>/keys */
  keysDir?: string;
  /** The time alerts are evaluated, escalated and sent at (tests inject one). @default now */
  clock?: Clock;
  /** Alert delivery: poll interval and first retry delay (tests shorten them). */
  delivery?: { pollMs?: number; retryBaseMs?: number };
  /**
   * How often this service fails the RUNNING jobs of its database whose heartbeat is stale (their
   * process stopped), besides at start-up. @default JOB_SWEEP_INTERVAL_MS
   */
  jobSweepIntervalMs?: number;
  /**
   * A streaming replica for the read-only queries, and how long a read waits for it (see
   * read-replica.ts). @default ANALYTICS_READ_DATABASE_URL, ANALYTICS_READ_REPLICA_MAX_WAIT_MS
   */
  reads?: AnalyticsReadsOptions;
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
  // Made once the database is ready: the read routing, the pub/sub of subscriptions and the alert
  // evaluator.
  let reads: ReadReplica | undefined;
  let realtime: RealtimeHub | undefined;
  let alerts: AlertEvaluator | undefined;
  let dispatcher: NotificationDispatcher | undefined;
  let alerting: Alerting | undefined;
  const clock = options.clock ?? systemClock;
  let partitionMaintenance: NodeJS.Timeout | undefined;
  let jobSweep: NodeJS.Timeout | undefined;
  return startSubgraph(
    {
      name: "analytics",
      prepare: async (dataSource) => {
        const log = createLogger("analytics");
        peopleQueryParts();
        reads = await connectAnalyticsReads(
          dataSource,
          { ...analyticsReadsFromEnv(), connect: options.connect, ...options.reads },
          log,
        );
        const replicaReads = reads;
        // Jobs whose process stopped (a stale heartbeat), now and every jobSweepIntervalMs; jobs
        // other replicas are running keep a fresh heartbeat and go on. Reads then wait for the
        // FAILED rows on the read replica.
        const sweep = () =>
          failInterruptedJobs(dataSource)
            .then(async (failed) => {
              let any = false;
              for (const [table, ids] of Object.entries(failed))
                if (ids.length) {
                  any = true;
                  log.warn(`interrupted jobs marked FAILED in ${table}: ${ids.join(", ")}`);
                }
              if (any) await replicaReads.noteGlobalWrite();
            })
            .catch((error: Error) =>
              log.error(`the sweep for interrupted jobs failed: ${error.message}`),
            );
        await sweep();
        // The service's own loops: their statements are background work (see sqlQueryCount).
        jobSweep = runInBackground(() =>
          setInterval(sweep, options.jobSweepIntervalMs ?? JOB_SWEEP_INTERVAL_MS).unref(),
        );
        const pubsub = createPubSubFromEnv("analytics");
        await pubsub.ready?.();
        const hub = new RealtimeHub(pubsub, reads);
        realtime = hub;
        const replica = reads;
        alerts = runInBackground(() => new AlertEvaluator(replica, hub, log, { clock }));
        const secrets = await SecretBox.load(options.keysDir ?? path.join(dataDir(), "keys"));
        alerting = { secrets, clock };
        dispatcher = new NotificationDispatcher(dataSource, secrets, log, {
          clock,
          ...options.delivery,
          beforeRound: async (now) => {
            await escalateDueAlerts(dataSource, now);
          },
        });
        // Replicas that must not call out (no egress) leave delivery and escalation to the others.
        if (process.env.ALERT_DELIVERY_ENABLED !== "false")
          runInBackground(() => dispatcher!.start());
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
        partitionMaintenance = runInBackground(() => setInterval(maintain, 6 * 3_600_000).unref());
      },
      stop: async () => {
        clearInterval(partitionMaintenance);
        clearInterval(jobSweep);
        alerts?.stop();
        await dispatcher?.stop();
        await realtime?.close();
        reads?.close();
        if (reads?.replica?.isInitialized) await reads.replica.destroy();
      },
      // Reads wait for the demo data on the read replica too.
      seedDemoData: async (dataSource, dataset) => {
        const loaded = await seedAnalyticsDemoData(dataSource, dataset);
        if (loaded) await reads?.noteGlobalWrite();
        return loaded;
      },
      createDataSource: createAnalyticsDataSource,
      buildSchema: buildAnalyticsSchema,
      createContext: (_dataSource, credential) =>
        createAnalyticsContext(
          reads!,
          credential?.viewer ?? null,
          customersUrl,
          credential?.accessToken ?? null,
          realtime!,
          alerting!,
        ),
    },
    options,
  );
}
