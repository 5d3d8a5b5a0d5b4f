import { badUserInput } from "#kit/errors";
import type { EventFilter } from "../timeseries/event-filter.input";
import { Interval, INTERVAL_MIN_MS } from "../timeseries/interval";
import { timeRange, type TimeRange } from "../timeseries/time-range";
import { validateEventFilter } from "./actor-sql";

/** The intervals stickiness and lifecycle count in. */
export const PEOPLE_INTERVALS: readonly Interval[] = [Interval.DAY, Interval.WEEK, Interval.MONTH];

/** Most intervals one stickiness or lifecycle answer spans (a year and a bit of days). */
export const MAX_PEOPLE_INTERVALS = 400;

/** Throws `BAD_USER_INPUT` naming `field` unless `type` is an event type of 1 to 64 characters, not blank. */
export function assertEventType(type: string, field: string): void {
  if (type.trim().length < 1 || type.length > 64)
    throw badUserInput(`${field} must be an event type of 1 to 64 characters, not blank.`, field);
}

/**
 * Validates the interval (DAY, WEEK or MONTH), the range and the time zone, and that the range
 * spans at most {@link MAX_PEOPLE_INTERVALS} intervals; throws `BAD_USER_INPUT` naming the
 * argument at fault (`interval`, `from`, `to` or `timezone`).
 */
export function peopleIntervalRange(
  interval: Interval,
  from: Date,
  to: Date,
  timezone: string,
): TimeRange {
  if (!PEOPLE_INTERVALS.includes(interval))
    throw badUserInput(
      `The interval is ${PEOPLE_INTERVALS.join(", ")}, not ${interval}.`,
      "interval",
    );
  const range = timeRange(from, to, timezone);
  const intervals =
    Math.ceil((range.to.getTime() - range.from.getTime()) / INTERVAL_MIN_MS[interval]) + 1;
  if (intervals > MAX_PEOPLE_INTERVALS)
    throw badUserInput(
      `This range has about ${intervals} ${interval} intervals; at most ${MAX_PEOPLE_INTERVALS} are allowed. Use a coarser interval or a shorter range.`,
      "interval",
    );
  return range;
}

/** The arguments of `stickiness` and `lifecycle` (the same for both), as GraphQL gives them. */
export interface IntervalQueryArgs {
  event: string;
  from: Date;
  to: Date;
  interval: Interval;
  timezone: string;
  filter: EventFilter | null;
}

/** A validated stickiness or lifecycle query. */
export interface IntervalQuerySpec {
  event: string;
  interval: Interval;
  range: TimeRange;
  filter: EventFilter | null;
}

/** Validates the arguments; throws `BAD_USER_INPUT` naming the argument at fault. */
export function intervalQuerySpec(args: IntervalQueryArgs): IntervalQuerySpec {
  assertEventType(args.event, "event");
  const range = peopleIntervalRange(args.interval, args.from, args.to, args.timezone);
  validateEventFilter(args.filter, "filter");
  return { event: args.event, interval: args.interval, range, filter: args.filter ?? null };
}
