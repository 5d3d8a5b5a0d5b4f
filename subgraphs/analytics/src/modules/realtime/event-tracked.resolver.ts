import { Arg, Resolver, Root, Subscription } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import { badUserInput } from "#kit/errors";
import { EventQueue } from "#kit/subscriptions/event-queue";
import type { AnalyticsContext } from "../../context";
import { Event } from "./event.type";
import type { PublishedEvent } from "./published-event";

/** Most events held for one slow eventTracked subscriber before the oldest are dropped. */
export const EVENT_QUEUE_CAPACITY = 10_000;

@Resolver()
export class EventTrackedResolver {
  @Subscription(() => Event, {
    description:
      "Each new event of the caller's organization (of the given types, or all), once, as soon as trackEvents stored it. Replayed duplicates are not delivered. A subscriber that falls more than 10,000 events behind loses the oldest.",
    subscribe: ({ args, context }) =>
      subscribeToEvents(
        context as AnalyticsContext,
        (args as { types?: string[] | null }).types ?? null,
      ),
  })
  eventTracked(
    @Root() event: PublishedEvent,
    @Arg("types", () => [String], { nullable: true }) _types: string[] | null,
  ): Event {
    return {
      id: event.id,
      type: event.type,
      timestamp: new Date(event.timestamp),
      value: event.value,
      properties: event.properties,
      anonymousId: event.anonymousId ?? null,
      customer: event.customerId ? { id: event.customerId } : null,
      campaign: event.campaignId ? { id: event.campaignId } : null,
    };
  }
}

function subscribeToEvents(
  ctx: AnalyticsContext,
  types: string[] | null,
): AsyncIterable<PublishedEvent> {
  const viewer = requireViewer(ctx.viewer);
  if (types && types.length === 0)
    throw badUserInput("types must name at least one event type, or be omitted for all.", "types");
  const wanted = types ? new Set(types) : null;
  let stop = () => {};
  const queue = new EventQueue<PublishedEvent>({
    capacity: EVENT_QUEUE_CAPACITY,
    onClose: () => stop(),
  });
  stop = ctx.realtime.onEvents(viewer.organizationId, (events) => {
    for (const event of events) if (!wanted || wanted.has(event.type)) queue.push(event);
  });
  return queue;
}
