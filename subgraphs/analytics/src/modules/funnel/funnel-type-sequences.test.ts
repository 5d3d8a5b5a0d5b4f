import { ActorsOfKinds, type FunnelKind } from "./funnel-type-sequences";

/**
 * ActorsOfKinds on hand-made statement output (binary COPY rows of kind, shard, customer,
 * anonymous id, times): which rows make one actor, the merge of its rows, and rows out of order.
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

// Two types: `a` is step 1, `b` step 2 and exclusion 1.
const KINDS: FunnelKind[] = [
  { type: "a", steps: 1, exclusions: 0 },
  { type: "b", steps: 2, exclusions: 1 },
];

/** Every actor the rows make, as `visit` sees them, reading the output in chunks of `chunk` bytes. */
function actors(rows: Row[], chunk = 7) {
  const seen: { customer: string | null; times: number[]; steps: number[] }[] = [];
  const reader = new ActorsOfKinds(KINDS, FROM, 1, (customer, events) => {
    seen.push({
      customer,
      times: Array.from({ length: events.length }, (_, i) => events.times[i]),
      steps: Array.from({ length: events.length }, (_, i) => events.steps[i]),
    });
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

it("merges a customer's rows of every kind and anonymous id, by time, then kind", () => {
  const seen = actors([
    { kind: 0, shard: 1, customer: C1, times: [10, 30] },
    // The same customer identified from a visitor: a second row of the same kind.
    { kind: 0, shard: 1, customer: C1, times: [20] },
    { kind: 0, shard: 1, customer: C2, times: [5] },
    { kind: 0, shard: 1, customer: null, visitor: "v1", times: [1] },
    { kind: 1, shard: 1, customer: C1, times: [20, 40] },
    { kind: 1, shard: 1, customer: C3, times: [50] },
    { kind: 1, shard: 1, customer: null, visitor: "v1", times: [2] },
    { kind: 0, shard: 3, customer: C3, times: [7] },
  ]);
  expect(seen).toEqual([
    { customer: C1, times: [10, 20, 20, 30, 40], steps: [1, 1, 2, 1, 2] },
    { customer: C2, times: [5], steps: [1] },
    // C3 of shard 1 has no step-1 event: left out; the visitor last, with its shard's actors.
    { customer: null, times: [1, 2], steps: [1, 2] },
    { customer: C3, times: [7], steps: [1] },
  ]);
  // However the output arrives.
  expect(actors([{ kind: 0, shard: 0, customer: C2, times: [1, 2, 3] }], 1)).toEqual([
    { customer: C2, times: [1, 2, 3], steps: [1, 1, 1] },
  ]);
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
  const reader = new ActorsOfKinds(KINDS, FROM, 1, () => undefined);
  const copy = copyOf([{ kind: 0, shard: 0, customer: C1, times: [1] }]);
  reader.push(copy.subarray(0, copy.length - 2));
  expect(() => reader.end()).toThrow(/cut short/);
});
