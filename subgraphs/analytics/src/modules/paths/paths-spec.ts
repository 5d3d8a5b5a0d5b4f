import { badUserInput } from "#kit/errors";
import { validateEventFilter } from "../actors/actor-sql";
import { assertEventType } from "../actors/people-interval";
import type { EventFilter } from "../timeseries/event-filter.input";
import { timeRange, type TimeRange } from "../timeseries/time-range";

/** Most types in one path, and fewest (one move). */
export const MIN_PATH_DEPTH = 2;
export const MAX_PATH_DEPTH = 10;
/** Longest session gap, in minutes (a week). */
export const MAX_SESSION_GAP_MINUTES = 10_080;
/** Most edges one answer lists. */
export const MAX_PATH_EDGES = 1_000;
/** Longest range paths read, in days (every event of the range is read, whatever its type). */
export const MAX_PATHS_RANGE_DAYS = 92;

/** The arguments of `paths`, as GraphQL gives them. */
export interface PathsArgs {
  from: Date;
  to: Date;
  startEvent: string | null;
  depth: number;
  sessionGapMinutes: number;
  top: number;
  filter: EventFilter | null;
}

/** A validated paths query. */
export interface PathsSpec {
  range: TimeRange;
  startEvent: string | null;
  depth: number;
  sessionGapMinutes: number;
  top: number;
  filter: EventFilter | null;
}

/** Validates the arguments; throws `BAD_USER_INPUT` naming the argument at fault. */
export function pathsSpec(args: PathsArgs): PathsSpec {
  const range = timeRange(args.from, args.to);
  if (range.to.getTime() - range.from.getTime() > MAX_PATHS_RANGE_DAYS * 86_400_000)
    throw badUserInput(`Paths read at most ${MAX_PATHS_RANGE_DAYS} days of events.`, "to");
  if (args.startEvent !== null) assertEventType(args.startEvent, "startEvent");
  assertIntegerIn(args.depth, MIN_PATH_DEPTH, MAX_PATH_DEPTH, "depth");
  assertIntegerIn(args.sessionGapMinutes, 1, MAX_SESSION_GAP_MINUTES, "sessionGapMinutes");
  assertIntegerIn(args.top, 1, MAX_PATH_EDGES, "top");
  validateEventFilter(args.filter, "filter");
  return {
    range,
    startEvent: args.startEvent,
    depth: args.depth,
    sessionGapMinutes: args.sessionGapMinutes,
    top: args.top,
    filter: args.filter ?? null,
  };
}

function assertIntegerIn(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw badUserInput(`${field} must be from ${min} to ${max}, got ${value}.`, field);
}
