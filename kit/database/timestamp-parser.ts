import pg from "pg";

/** PostgreSQL's type OID of `timestamptz`. */
const TIMESTAMPTZ_OID = 1184;
/** `YYYY-MM-DD HH:MM:SS`: the part of the text form before the fraction and the offset. */
const SECONDS_END = 19;

type TimestampValue = Date | number | null;

/**
 * Reads a `timestamptz` as PostgreSQL sends it in UTC with the ISO date style
 * (`2026-12-07 14:45:36.545142+00`) without the regular expressions of `postgres-date`, which cost
 * several microseconds a value and were a tenth of a subgraph's CPU on pages of timestamps. Any
 * other form (another time zone, BC, `infinity`, years before 1000 or after 9999) goes to
 * `fallback`, pg's own parser. Gives what `fallback` gives: the same instant, cut to the
 * millisecond.
 */
export function parseTimestamptz(
  text: string,
  fallback: (text: string) => TimestampValue,
): TimestampValue {
  const end = text.length - 3;
  if (
    end < SECONDS_END ||
    text.charCodeAt(end) !== 43 /* + */ ||
    text.charCodeAt(end + 1) !== 48 /* 0 */ ||
    text.charCodeAt(end + 2) !== 48 ||
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 /* space */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58
  )
    return fallback(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  let millisecond = 0;
  if (end > SECONDS_END) {
    const fraction = end - SECONDS_END - 1;
    if (text.charCodeAt(SECONDS_END) !== 46 /* . */ || fraction < 1 || fraction > 6)
      return fallback(text);
    const all = digits(text, SECONDS_END + 1, end);
    if (all < 0) return fallback(text);
    millisecond =
      Math.floor(all / 10 ** Math.max(0, fraction - 3)) * 10 ** Math.max(0, 3 - fraction);
  }
  if ((year | month | day | hour | minute | second) < 0 || year < 1000) return fallback(text);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
}

/** The decimal number written in `text` from `start` to `end`, or -1 when a character is not a digit. */
function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

let installed = false;

/**
 * Makes node-postgres read every `timestamptz` with {@link parseTimestamptz} (its own parser for
 * the forms that one leaves alone). Process-wide, like all pg type parsers; once is enough.
 */
export function useFastTimestampParser(): void {
  if (installed) return;
  installed = true;
  const fallback = pg.types.getTypeParser(TIMESTAMPTZ_OID, "text") as (
    text: string,
  ) => TimestampValue;
  pg.types.setTypeParser(TIMESTAMPTZ_OID, "text", (text: string) =>
    parseTimestamptz(text, fallback),
  );
}
