import { badUserInput } from "#kit/errors";
import { Interval, INTERVAL_MIN_MS, INTERVAL_ORDER } from "./interval";

/** Most buckets one timeseries may have. */
export const MAX_BUCKETS = 5_000;

/** A validated query range: [from, to) in a time zone. */
export interface TimeRange {
  from: Date;
  to: Date;
  timezone: string;
}

/** Validates `from < to` and the IANA time zone; throws `BAD_USER_INPUT` naming the argument. */
export function timeRange(from: Date, to: Date, timezone = "UTC"): TimeRange {
  if (!(from instanceof Date) || Number.isNaN(from.getTime()))
    throw badUserInput("from is not a valid date-time.", "from");
  if (!(to instanceof Date) || Number.isNaN(to.getTime()))
    throw badUserInput("to is not a valid date-time.", "to");
  if (from >= to) throw badUserInput("from must be before to.", "from");
  if (!isTimeZone(timezone))
    throw badUserInput(
      `'${timezone}' is not an IANA time zone (such as 'Europe/Berlin' or 'UTC').`,
      "timezone",
    );
  return { from, to, timezone };
}

/**
 * Throws `BAD_USER_INPUT` suggesting a coarser interval when the range has over {@link MAX_BUCKETS}
 * buckets.
 */
export function assertBucketCount(range: TimeRange, interval: Interval): void {
  const buckets =
    Math.ceil((range.to.getTime() - range.from.getTime()) / INTERVAL_MIN_MS[interval]) + 1;
  if (buckets <= MAX_BUCKETS) return;
  const coarser = INTERVAL_ORDER.slice(INTERVAL_ORDER.indexOf(interval) + 1).find(
    (candidate) =>
      Math.ceil((range.to.getTime() - range.from.getTime()) / INTERVAL_MIN_MS[candidate]) + 1 <=
      MAX_BUCKETS,
  );
  throw badUserInput(
    `This range has about ${buckets} ${interval} buckets; at most ${MAX_BUCKETS} are allowed. ${coarser ? `Use interval ${coarser}` : "Shorten the range"}.`,
    "interval",
  );
}

/** The previous period of the same length, ending where the range starts. */
export function previousPeriod(range: TimeRange): TimeRange {
  const length = range.to.getTime() - range.from.getTime();
  return {
    from: new Date(range.from.getTime() - length),
    to: range.from,
    timezone: range.timezone,
  };
}

const zoneCache = new Map<string, boolean>();

export function isTimeZone(zone: string): boolean {
  let known = zoneCache.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      known = zone.length <= 64;
    } catch {
      known = false;
    }
    zoneCache.set(zone, known);
  }
  return known;
}

/** The zone's offset from UTC at an instant, in minutes. */
export function offsetMinutes(zone: string, at: Date): number {
  const name =
    new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(at)
      .find((part) => part.type === "timeZoneName")?.value ?? "GMT";
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!match) return 0;
  return (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}
