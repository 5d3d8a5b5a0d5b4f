import pg from "pg";
import { parseTimestamptz } from "./timestamp-parser";

/** node-postgres's own parser of `timestamptz` text (postgres-date): the reference. */
const postgresDate = pg.types.getTypeParser(1184, "text") as (text: string) => Date | number | null;

const pad = (value: number, width: number) => String(value).padStart(width, "0");

/** The text PostgreSQL sends for an instant in UTC (ISO style: trailing zeros of the fraction cut). */
function postgresText(micros: number): string {
  const date = new Date(Math.floor(micros / 1000));
  const fraction = pad(((micros % 1_000_000) + 1_000_000) % 1_000_000, 6).replace(/0+$/, "");
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    (fraction ? `.${fraction}` : "") +
    "+00"
  );
}

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const valueOf = (value: Date | number | null) =>
  value instanceof Date ? `date ${value.getTime()}` : String(value);

describe("parseTimestamptz", () => {
  it("reads 20,000 random UTC timestamps of years 1000 to 9999 as postgres-date does", () => {
    const next = random(20261207);
    const first = Date.UTC(1000, 0, 1) * 1000;
    const last = Date.UTC(9999, 11, 31, 23, 59, 59) * 1000;
    let fallbacks = 0;
    const fallback = (text: string) => {
      fallbacks++;
      return postgresDate(text);
    };
    for (let i = 0; i < 20_000; i++) {
      // Whole seconds, whole milliseconds and microseconds, each often enough.
      const unit = [1_000_000, 1_000, 1][i % 3];
      const micros = Math.floor((first + next() * (last - first)) / unit) * unit;
      const text = postgresText(micros);
      expect([text, valueOf(parseTimestamptz(text, fallback))]).toEqual([
        text,
        valueOf(postgresDate(text)),
      ]);
    }
    expect(fallbacks).toBe(0);
  });

  it.each([
    "2026-03-29 01:30:00+01",
    "2026-03-29 01:30:00.25+05:30",
    "1990-06-01 12:00:00-03:30:15",
    "0099-01-01 00:00:00+00",
    "0044-03-15 12:00:00+00 BC",
    "10000-01-01 00:00:00+00",
    "infinity",
    "-infinity",
    "2026-12-07 14:45:36.1234567+00",
    "2026-12-07 14:45:36.+00",
    "2026-12-07T14:45:36+00",
    "2026-12-07 14:45:3x+00",
  ])("leaves %s to the fallback, with its answer", (text) => {
    const fallback = jest.fn((value: string) => postgresDate(value));
    expect(valueOf(parseTimestamptz(text, fallback))).toBe(valueOf(postgresDate(text)));
    expect(fallback).toHaveBeenCalledWith(text);
  });
});
