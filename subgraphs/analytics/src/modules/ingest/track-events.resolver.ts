import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { ApiKeyScope } from "#kit/auth/api-key-scope";
import { requireWriter } from "#kit/auth/guards";
import { badUserInput } from "#kit/errors";
import { assertAnonymousId } from "../actors/actor-sql";
import { createLogger } from "#kit/logger";
import { metricsFor } from "#kit/metrics/service-metrics";
import type { AnalyticsContext } from "../../context";
import { EventInput } from "./event.input";
import { MAX_EVENTS_PER_BATCH, validateEvent, type EventRow } from "./event-validation";
import { eventRetentionMonthsFromEnv, monthStart } from "./event-partitions";
import { ingestEvents } from "./ingest-events";
import { TrackEventsResult, type RejectedEvent } from "./track-events-result.type";

const log = createLogger("analytics");
const eventsIngested = metricsFor("analytics").eventsIngested;

@Resolver()
export class TrackEventsResolver {
  @Mutation(() => TrackEventsResult, {
    description:
      "Stores up to 10,000 events. Each is validated on its own: invalid ones are reported by index, the rest stored. An event id already stored is counted as a duplicate, never stored twice. An anonymousId that is not 1 to 128 characters refuses the whole call (BAD_USER_INPUT). An API key with EVENTS_WRITE, or an ANALYST or ADMIN.",
  })
  async trackEvents(
    @Arg("events", () => [EventInput]) events: EventInput[],
    @Ctx() ctx: AnalyticsContext,
  ): Promise<TrackEventsResult> {
    const viewer = requireWriter(ctx.viewer, ApiKeyScope.EVENTS_WRITE);
    if (events.length > MAX_EVENTS_PER_BATCH) {
      throw badUserInput(
        `trackEvents takes at most ${MAX_EVENTS_PER_BATCH} events per call, got ${events.length}; split the batch.`,
        "events",
      );
    }
    // An anonymous id of the wrong length refuses the whole call: cut or dropped, it would
    // silently make another visitor of the same one.
    events.forEach((event, index) => {
      if (event.anonymousId != null)
        assertAnonymousId(event.anonymousId, `events.${index}.anonymousId`);
    });
    const now = Date.now();
    const retentionMonths = eventRetentionMonthsFromEnv();
    const earliest = retentionMonths > 0 ? monthStart(now, -retentionMonths).getTime() : undefined;
    const rows: EventRow[] = [];
    const rejected: RejectedEvent[] = [];
    events.forEach((event, index) => {
      const validated = validateEvent(event, now, earliest);
      if ("row" in validated) rows.push(validated.row);
      else rejected.push({ index, reason: validated.reason });
    });
    const stored = await ingestEvents(ctx.dataSource, viewer.organizationId, rows);
    eventsIngested.inc(stored.length);
    // Committed: the organization's reads on this process now wait for the batch on the read
    // replica (with one configured; the position also goes to the other replicas of the service).
    const lsn = stored.length > 0 ? await ctx.reads.noteWrite(viewer.organizationId) : null;
    // Now subscribers hear of them. A failed publish (Redis down) loses no stored event; only the
    // real-time delivery of this batch.
    await ctx.realtime
      .publishEvents(viewer.organizationId, stored, lsn)
      .catch((error: Error) =>
        log.warn(`could not publish ${stored.length} events: ${error.message}`),
      );
    return { accepted: stored.length, duplicates: rows.length - stored.length, rejected };
  }
}
