import { INTERVAL_UNIT, type Interval } from "./interval";
import type { TimeRange } from "./time-range";

/**
 * SQL of a one-row, one-column subquery, `bounds`: the starts of every interval that starts in
 * [from rounded down to its interval, to), aligned in the range's time zone by PostgreSQL's
 * calendar (days from local midnight, weeks from Monday 00:00 local, a day across a DST change 23
 * or 25 hours), oldest first, then `to`. With `before` = 1 the start of the interval before the
 * first comes first. An event's interval is its `width_bucket(timestamp, bounds)`: 1 for the
 * first interval (events before the first bound give 0). `p` adds a parameter and returns its
 * placeholder. The people queries (retention, stickiness, lifecycle) align their intervals here.
 */
export function intervalBoundsSql(
  interval: Interval,
  range: TimeRange,
  p: (value: unknown) => string,
  before: 0 | 1 = 0,
): string {
  const unit = p(INTERVAL_UNIT[interval]);
  const to = p(range.to.toISOString());
  const zone = p(range.timezone);
  let start = `date_trunc(${unit}, ${p(range.from.toISOString())}::timestamptz, ${zone})`;
  if (before) start = `date_trunc(${unit}, ${start} - interval '1 microsecond', ${zone})`;
  return `SELECT array_agg(s ORDER BY s) || ${to}::timestamptz AS bounds
        FROM generate_series(${start}, ${to}::timestamptz - interval '1 microsecond',
                             ('1 ' || ${unit})::interval, ${zone}) AS s`;
}
