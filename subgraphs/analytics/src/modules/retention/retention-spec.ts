import { badUserInput } from "#kit/errors";
import { validateEventFilter } from "../actors/actor-sql";
import type { EventFilter } from "../timeseries/event-filter.input";
import { Interval, INTERVAL_MIN_MS } from "../timeseries/interval";
import { timeRange, type TimeRange } from "../timeseries/time-range";
import { RetentionType } from "./retention-type";

/** The intervals a retention table is made of. */
export const RETENTION_INTERVALS: readonly Interval[] = [
  Interval.DAY,
  Interval.WEEK,
  Interval.MONTH,
];
/** Most periods after each cohort. */
export const MAX_RETENTION_PERIODS = 100;
/** Most cohorts of one table (a year and a bit of days). */
export const MAX_RETENTION_COHORTS = 400;

/** A validated retention query. */
export interface RetentionSpec {
  startEvent: string;
  returnEvent: string;
  interval: Interval;
  periods: number;
  range: TimeRange;
  type: RetentionType;
  filter: EventFilter | null;
}

/** The arguments of `retention`, as GraphQL gives them. */
export interface RetentionArgs {
  startEvent: string;
  returnEvent: string | null;
  interval: Interval;
  periods: number;
  from: Date;
  to: Date;
  timezone: string;
  type: RetentionType;
  filter: EventFilter | null;
}

/** Validates the arguments; throws `BAD_USER_INPUT` naming the argument at fault. */
export function retentionSpec(args: RetentionArgs): RetentionSpec {
  assertType(args.startEvent, "startEvent");
  if (args.returnEvent !== null) assertType(args.returnEvent, "returnEvent");
  if (!RETENTION_INTERVALS.includes(args.interval))
    throw badUserInput(
      `Retention is by ${RETENTION_INTERVALS.join(", ")}, not ${args.interval}.`,
      "interval",
    );
  if (!Number.isInteger(args.periods) || args.periods < 1 || args.periods > MAX_RETENTION_PERIODS)
    throw badUserInput(
      `periods must be from 1 to ${MAX_RETENTION_PERIODS}, got ${args.periods}.`,
      "periods",
    );
  const range = timeRange(args.from, args.to, args.timezone);
  const cohorts =
    Math.ceil((range.to.getTime() - range.from.getTime()) / INTERVAL_MIN_MS[args.interval]) + 1;
  if (cohorts > MAX_RETENTION_COHORTS)
    throw badUserInput(
      `This range has about ${cohorts} ${args.interval} cohorts; at most ${MAX_RETENTION_COHORTS} are allowed. Use a coarser interval or a shorter range.`,
      "interval",
    );
  validateEventFilter(args.filter, "filter");
  return {
    startEvent: args.startEvent,
    returnEvent: args.returnEvent ?? args.startEvent,
    interval: args.interval,
    periods: args.periods,
    range,
    type: args.type,
    filter: args.filter ?? null,
  };
}

function assertType(type: string, field: string): void {
  if (type.length < 1 || type.length > 64)
    throw badUserInput(`${field} must be an event type of 1 to 64 characters.`, field);
}
