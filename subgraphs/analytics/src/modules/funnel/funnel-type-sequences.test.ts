import { countedAttempt, type FunnelRules } from "./funnel-engine";
import { FunnelOrder } from "./funnel.input";
import { ActorsOfKinds, type FunnelKind } from "./funnel-type-sequences";

/**
 * ActorsOfKinds on hand-made statement output (binary COPY rows of kind, shard, customer,
 * anonymous id, times): which rows make one actor, its counted attempt whichever way it is
 * counted (from each step's times, or from its rows merged), and rows out of order.
 */

/** Microseconds from 2000-01-01 UTC to `from` below. */
const FROM = new Date("2026-01-01T00:00:00Z");
const ORIGIN = FROM.getTime() * 1000 - Date.UTC(2000, 0, 1) * 1000;

interface Row {
  kind: number;
  shard: number;
  customer: string | null;
  visitor?: string;
  /** Microseconds from FROM, ascending. */
  times: number[];
}

/** The rows as PostgreSQL's binary COPY writes them. */
function copyOf(rows: Row[]): Buffer {
  const parts: Buffer[] = [Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)];
  const field = (value: Buffer | null) => {
    const length = Buffer.alloc(4);
    length.writeInt32BE(value ? value.length : -1);
    parts.push(length, ...(value ? [value] : []));
  };
  const int4 = (n: number) => {
    const value = Buffer.alloc(4);
    value.writeInt32BE(n);
    return value;
  };
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(5);
    parts.push(count);
    field(int4(row.kind));
    field(int4(row.shard));
    field(row.customer ? Buffer.from(row.customer.replace(/-/g, ""), "hex") : null);
    field(row.visitor === undefined ? null : Buffer.from(row.visitor));
    const times = Buffer.alloc(8 * row.times.length);
    row.times.forEach((time, i) => times.writeBigInt64BE(BigInt(ORIGIN + time), 8 * i));
    field(times);
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

// Two types: `a` is step 1, `b` step 2.
const KINDS: FunnelKind[] = [
  { type: "a", steps: 1, exclusions: 0 },
  { type: "b", steps: 2, exclusions: 0 },
];
const ORDERED: FunnelRules = {
  order: FunnelOrder.ORDERED,
  steps: 2,
  windowMicros: 15,
  exclusions: [],
};

/**
 * Every actor the rows make, with its counted attempt, as `count` sees them, reading the output in
 * chunks of `chunk` bytes.
 */
function actors(rows: Row[], rules = ORDERED, kinds = KINDS, chunk = 7) {
  const seen: { customer: string | null; level: number; stepTimes: number[] }[] = [];
  const reader = new ActorsOfKinds(kinds, FROM, rules, (customer, level, stepTimes) => {
    seen.push({ customer, level, stepTimes: Array.from(stepTimes) });
  });
  const copy = copyOf(rows);
  for (let at = 0; at < copy.length; at += chunk) reader.push(copy.subarray(at, at + chunk));
  reader.end();
  return seen;
}

// Customers sharing their first 4 bytes, in uuid order.
const C1 = "0000000a-0000-0000-0000-000000000001";
const C2 = "0000000a-0000-0000-0000-000000000002";
const C3 = "ffffffff-0000-0000-0000-000000000000";

it("counts a customer's rows of every kind and anonymous id as one actor", () => {
  const rows: Row[] = [
    { kind: 0, shard: 1, customer: C1, times: [10, 30] },
    // The same customer identified from a visitor: a second row of the same kind.
    { kind: 0, shard: 1, customer: C1, times: [20] },
    { kind: 0, shard: 1, customer: C2, times: [5] },
    { kind: 0, shard: 1, customer: null, visitor: "v1", times: [1] },
    { kind: 1, shard: 1, customer: C1, times: [40] },
    { kind: 1, shard: 1, customer: C2, times: [5, 21] },
    { kind: 1, shard: 1, customer: C3, times: [50] },
    { kind: 1, shard: 1, customer: null, visitor: "v1", times: [2] },
    { kind: 0, shard: 3, customer: C3, times: [7] },
  ];
  const expected = [
    // From 30 (the third of its step-1 events, merged from two rows), 40 is within 15.
    { customer: C1, level: 2, stepTimes: [30, 40] },
    // Step 2 at the very time of step 1 counts.
    { customer: C2, level: 2, stepTimes: [5, 5] },
    // C3 of shard 1 has no step-1 event: left out; the visitor last, with its shard's actors.
    { customer: null, level: 2, stepTimes: [1, 2] },
    { customer: C3, level: 1, stepTimes: [7] },
  ];
  expect(actors(rows)).toEqual(expected);
  // However the output arrives.
  expect(actors(rows, ORDERED, KINDS, 1)).toEqual(expected);
  // Counted from the merged rows (an exclusion makes the funnel one that is), the same attempts.
  const excluding: FunnelRules = { ...ORDERED, steps: 2, exclusions: [{ from: 0, to: 1 }] };
  const kindsWithExclusion: FunnelKind[] = [...KINDS, { type: "x", steps: 0, exclusions: 1 }];
  expect(actors(rows, excluding, kindsWithExclusion)).toEqual(expected);
});

it("counts from each step's times what the engine counts from the merged events", () => {
  // One actor per case; a: step 1, b: step 2, c: step 3.
  const kinds: FunnelKind[] = [
    { type: "a", steps: 1, exclusions: 0 },
    { type: "b", steps: 2, exclusions: 0 },
    { type: "c", steps: 4, exclusions: 0 },
  ];
  const rules: FunnelRules = { ...ORDERED, steps: 3, windowMicros: 20 };
  const cases = [
    [[0, 30], [10, 40], [50]],
    [[0], [20], [20]],
    [[0], [21], [21]],
    [[5, 10], [], [12]],
    [
      [0, 0, 1],
      [1, 1],
      [0, 1],
    ],
  ];
  const customer = (i: number) => `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`;
  const rows = cases.flatMap((times, i) =>
    times.flatMap((kindTimes, kind) =>
      kindTimes.length ? [{ kind, shard: 0, customer: customer(i), times: kindTimes }] : [],
    ),
  );
  // Rows of one shard are in kind, then customer order.
  rows.sort((a, b) => a.kind - b.kind || a.customer.localeCompare(b.customer));
  const expected = cases.map((times, i) => {
    const events = times
      .flatMap((kindTimes, kind) => kindTimes.map((time) => ({ time, kind })))
      .sort((a, b) => a.time - b.time || a.kind - b.kind);
    const attempt = countedAttempt(
      {
        length: events.length,
        times: events.map((event) => event.time),
        steps: events.map((event) => kinds[event.kind].steps),
        exclusions: events.map(() => 0),
      },
      rules,
    );
    return { customer: customer(i), level: attempt.level, stepTimes: attempt.stepTimes };
  });
  expect(actors(rows, rules, kinds)).toEqual(expected);
  expect(expected.map((attempt) => attempt.level)).toEqual([3, 3, 1, 1, 3]);
});

it("throws on rows out of the statement's order, or cut short", () => {
  expect(() =>
    actors([
      { kind: 0, shard: 1, customer: C2, times: [1] },
      { kind: 0, shard: 1, customer: C1, times: [1] },
    ]),
  ).toThrow(/out of customer order/);
  expect(() =>
    actors([
      { kind: 0, shard: 2, customer: C1, times: [1] },
      { kind: 0, shard: 1, customer: C1, times: [1] },
    ]),
  ).toThrow(/out of shard order/);
  const reader = new ActorsOfKinds(KINDS, FROM, ORDERED, () => undefined);
  const copy = copyOf([{ kind: 0, shard: 0, customer: C1, times: [1] }]);
  reader.push(copy.subarray(0, copy.length - 2));
  expect(() => reader.end()).toThrow(/cut short/);
});
