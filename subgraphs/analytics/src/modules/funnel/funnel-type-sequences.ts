import { CopyTuples } from "#kit/database/binary-copy";
import { actorShardSql, shardsOf, type ActorPart } from "../actors/actor-parts";
import { eventFilterSql, hasActorSql } from "../actors/actor-sql";
import type { EventFilter } from "../timeseries/event-filter.input";
import { countedAttempt, type ActorEvents, type FunnelRules } from "./funnel-engine";
import { eventArrays } from "./funnel-event-arrays";
import { orderedLevelByStep } from "./funnel-ordered-by-step";
import { FunnelOrder } from "./funnel.input";
import { funnelStatementStart, type FunnelSpec } from "./funnel-spec";

/**
 * The funnels whose steps and exclusions are told apart by their event's type alone, read per
 * type: each part's statement reads, for each shard of the part and each type of the funnel, the
 * events of that type grouped per customer and anonymous id, each group in time order, straight
 * from `events_organization_type_shard_actor_time_idx` (organization, type, shard, customer,
 * anonymous id, time), so PostgreSQL neither sorts nor hashes. The rows come as a binary COPY
 * (a few hundred thousand small rows: no text to parse, no object per row), and the service
 * merges an actor's groups (a customer has one per anonymous id it was identified from, and one
 * per type) into one sequence, a shard at a time while the next one is read. An actor's events of
 * one type and time match the same steps and exclusions, so the order of two such events changes
 * nothing.
 */

/**
 * True when the funnel can be read per type: ORDERED or UNORDERED (STRICT needs every event of the
 * actor), no breakdown, and no step or exclusion with a filter of its own (the funnel's filter
 * applies to every event alike, and may be anything).
 */
export function readsByType(spec: FunnelSpec): boolean {
  const unfiltered = (filter: EventFilter | null) =>
    eventFilterSql(filter, () => "$0").length === 0;
  return (
    spec.order !== FunnelOrder.STRICT &&
    spec.breakdown === null &&
    spec.steps.every((step) => unfiltered(step.filter)) &&
    spec.exclusions.every((exclusion) => unfiltered(exclusion.filter))
  );
}

/** One type of a funnel read per type: the steps and exclusions its events match. */
export interface FunnelKind {
  type: string;
  /** Bit k: step k (0-based). */
  steps: number;
  /** Bit x: exclusion x. */
  exclusions: number;
}

/**
 * The distinct types of the funnel's steps and exclusions in byte order of their UTF-8 (PostgreSQL's
 * "C" collation: the order events of the same time are in), each with its masks; a kind's index in
 * this list is its rank among events of the same time.
 */
export function funnelKinds(spec: FunnelSpec): FunnelKind[] {
  const kinds = new Map<string, FunnelKind>();
  const kindOf = (type: string) => {
    let kind = kinds.get(type);
    if (!kind) kinds.set(type, (kind = { type, steps: 0, exclusions: 0 }));
    return kind;
  };
  spec.steps.forEach((step, k) => (kindOf(step.type).steps |= 1 << k));
  spec.exclusions.forEach((exclusion, x) => (kindOf(exclusion.type).exclusions |= 1 << x));
  return [...kinds.values()].sort((a, b) =>
    Buffer.compare(Buffer.from(a.type), Buffer.from(b.type)),
  );
}

/**
 * The statement of one part of the actors for a funnel that {@link readsByType}, for
 * {@link ActorsOfKinds}: per shard of the part and kind, the events of the kind that have an
 * actor and pass the funnel's filter, one row per customer and anonymous id (kind, shard, the
 * customer, the anonymous id when there is no customer, and the times as PostgreSQL's
 * timestamptz_send gives them: 8 bytes each, big-endian microseconds from 2000-01-01 UTC,
 * ascending), each shard's rows of a kind in customer order (a uuid's order is its bytes'),
 * visitors last, and the shards one after another (the branches in order: a plan without parallel
 * workers, as `copyByActorParts` runs it).
 */
export function funnelByTypeSql(
  organizationId: string,
  spec: FunnelSpec,
  kinds: readonly FunnelKind[],
  part: ActorPart,
): { sql: string; params: unknown[] } {
  const { params, p, inRange } = funnelStatementStart(organizationId, spec);
  const common = [...inRange, ...eventFilterSql(spec.filter, p)].join(" AND ");
  const times = `string_agg(timestamptz_send(e."timestamp"), ''::bytea ORDER BY e."timestamp") AS times`;
  const visitor = `CASE WHEN e.customer_id IS NULL THEN e.anonymous_id END AS anonymous_id`;
  const branches: string[] = [];
  for (const shard of shardsOf(part)) {
    kinds.forEach((kind, k) => {
      branches.push(
        `(SELECT ${k} AS kind, ${shard} AS shard, e.customer_id, ${visitor}, ${times}
            FROM events e
           WHERE ${common} AND e.type = ${p(kind.type)} AND ${actorShardSql()} = ${shard} AND ${hasActorSql()}
           GROUP BY e.customer_id, e.anonymous_id
           ORDER BY e.customer_id, e.anonymous_id)`,
      );
    });
  }
  return { sql: branches.join("\nUNION ALL\n"), params };
}

/** Microseconds from 2000-01-01 UTC (timestamptz's origin) to the Unix epoch's origin. */
const POSTGRES_EPOCH_MICROS = Date.UTC(2000, 0, 1) * 1000;

/** ASCII of the lowercase hex digits. */
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
/** A uuid's text being written: 36 characters, the hyphens in place. */
const UUID_TEXT = Buffer.from("00000000-0000-0000-0000-000000000000", "latin1");

/**
 * The text of the uuid whose 16 bytes start at `at`: lowercase, hyphenated, as PostgreSQL
 * writes it, and one flat string (kept per actor, it costs the garbage collector one object).
 */
function uuidText(bytes: Buffer, at: number): string {
  for (let i = 0, out = 0; i < 16; i++, out += 2) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out++;
    UUID_TEXT[out] = HEX_DIGITS[bytes[at + i] >> 4];
    UUID_TEXT[out + 1] = HEX_DIGITS[bytes[at + i] & 15];
  }
  return UUID_TEXT.toString("latin1");
}

/**
 * Memory of counting one actor from each step's times, kept for the next actor: per step its rows,
 * where its times start in {@link STEP_TIMES} and where the next goes, and the counted attempt's
 * times.
 */
const ROWS_OF_STEP = new Int32Array(16);
const STEP_BOUNDS = new Int32Array(17);
const NEXT_OF_STEP = new Int32Array(16);
const ATTEMPT_TIMES = new Float64Array(16);
let STEP_TIMES = new Float64Array(1024);

/** Sorts `values` in [from, to) in place, ascending (insertion sort: a step of one actor). */
function sortRange(values: Float64Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const value = values[i];
    let j = i - 1;
    while (j >= from && values[j] > value) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = value;
  }
}

/**
 * Memory of the merge of one actor's rows, kept for the next actor (the merge runs synchronously,
 * one actor at a time): per row, where its next time is, where it ends, its kind and that time.
 */
let mergeAt = new Int32Array(16);
let mergeEnd = new Int32Array(16);
let mergeKind = new Int32Array(16);
let mergeNext = new Float64Array(16);

function growMergeMemory(rows: number): void {
  const size = Math.max(rows, mergeNext.length * 2);
  mergeAt = new Int32Array(size);
  mergeEnd = new Int32Array(size);
  mergeKind = new Int32Array(size);
  mergeNext = new Float64Array(size);
}

/**
 * Counts the actors of one part of a funnel read per type as its statement's output
 * ({@link funnelByTypeSql}, binary COPY) arrives: each shard's actors once the shard's rows are all
 * in (the statement gives the shards one after another), so the step logic of one shard runs while
 * PostgreSQL reads the next. Every actor that has an event starting an attempt gets its counted
 * attempt, passed to `count` with its customer id (null for a visitor), the steps it reached and
 * their times (microseconds from `from`; valid during the call only). A shard's customers are
 * merged across kinds in customer order, with no map of them. An ORDERED funnel without
 * exclusions whose steps all have types of their own is counted from each step's times
 * ({@link orderedLevelByStep}); any other from the actor's rows merged in time, then kind order
 * ({@link countedAttempt}).
 */
export class ActorsOfKinds {
  private readonly tuples = new CopyTuples();
  private readonly origin: number;
  /** The current shard (-1 before the first row) and its rows: kind, customer, times. */
  private shard = -1;
  private readonly kind: number[] = [];
  /** Where the row's customer's 16 bytes are; -1 for a visitor's row. */
  private readonly customerAt: number[] = [];
  /** The customer's first 4 bytes as a number, which orders most pairs of customers alone. */
  private readonly customerHead: number[] = [];
  private readonly timesAt: number[] = [];
  private readonly timesLength: number[] = [];
  /** The shard's customers' rows in runs of one kind, each in customer order: first row, end. */
  private readonly runs: { kind: number; first: number; end: number }[] = [];
  private readonly visitors = new Map<string, number[]>();

  /** A mask of the steps an attempt can start at: step 1's; UNORDERED, any step's. */
  private readonly startSteps: number;
  /** Per kind, its step when the funnel is counted from each step's times; null otherwise. */
  private readonly stepOfKind: number[] | null;

  constructor(
    private readonly kinds: readonly FunnelKind[],
    from: Date,
    private readonly rules: FunnelRules,
    private readonly count: (
      customerId: string | null,
      level: number,
      stepTimes: ArrayLike<number>,
    ) => void,
  ) {
    this.origin = from.getTime() * 1000 - POSTGRES_EPOCH_MICROS;
    this.startSteps = rules.order === FunnelOrder.UNORDERED ? -1 : 1;
    const oneStepEach =
      rules.order === FunnelOrder.ORDERED &&
      rules.exclusions.length === 0 &&
      kinds.length === rules.steps &&
      kinds.every((kind) => kind.exclusions === 0 && (kind.steps & (kind.steps - 1)) === 0);
    this.stepOfKind = oneStepEach ? kinds.map((kind) => Math.log2(kind.steps)) : null;
  }

  /**
   * Reads what arrived, counting the actors of each shard it completes. Throws when the rows are
   * not in the order the statement asks for.
   */
  push(chunk: Buffer): void {
    const tuples = this.tuples;
    tuples.append(chunk);
    while (tuples.next()) {
      const kind = tuples.int4();
      const shard = tuples.int4();
      if (shard !== this.shard) {
        if (shard < this.shard) throw new Error("funnel rows out of shard order");
        this.countShard();
        tuples.discardBeforeTuple();
        this.shard = shard;
      }
      const row = this.kind.length;
      const customer = tuples.field() === 16 ? tuples.start : -1;
      const visitorLength = tuples.field();
      const visitor =
        visitorLength < 0
          ? null
          : tuples.buffer.toString("utf8", tuples.start, tuples.start + visitorLength);
      this.timesLength.push(tuples.field());
      this.timesAt.push(tuples.start);
      this.kind.push(kind);
      this.customerAt.push(customer);
      this.customerHead.push(customer >= 0 ? tuples.view.getUint32(customer) : 0);
      if (customer >= 0) {
        const run = this.runs[this.runs.length - 1];
        if (!run || run.kind !== kind) this.runs.push({ kind, first: row, end: row + 1 });
        else if (this.compareCustomers(run.end - 1, row) > 0)
          throw new Error("funnel rows out of customer order");
        else run.end = row + 1;
      } else if (visitor !== null) {
        const rows = this.visitors.get(visitor);
        if (rows) rows.push(row);
        else this.visitors.set(visitor, [row]);
      }
    }
  }

  /** Counts the last shard's actors. Throws when the output ended before its trailer. */
  end(): void {
    if (!this.tuples.ended) throw new Error("funnel rows cut short");
    this.countShard();
  }

  /** Counts the current shard's actors and forgets its rows. */
  private countShard(): void {
    const cursors = this.runs.map((run) => ({ at: run.first, end: run.end }));
    const actorRows: number[] = [];
    for (;;) {
      let least = -1;
      for (const cursor of cursors)
        if (cursor.at < cursor.end && (least < 0 || this.compareCustomers(cursor.at, least) < 0))
          least = cursor.at;
      if (least < 0) break;
      actorRows.length = 0;
      for (const cursor of cursors)
        while (cursor.at < cursor.end && this.compareCustomers(cursor.at, least) === 0)
          actorRows.push(cursor.at++);
      if (this.starts(actorRows)) this.countActor(this.customerId(least), actorRows);
    }
    for (const visitorRows of this.visitors.values())
      if (this.starts(visitorRows)) this.countActor(null, visitorRows);
    for (const column of [this.kind, this.customerAt, this.customerHead, this.timesAt])
      column.length = 0;
    this.timesLength.length = 0;
    this.runs.length = 0;
    this.visitors.clear();
  }

  /** Counts one actor from its rows. */
  private countActor(customerId: string | null, actorRows: readonly number[]): void {
    if (this.stepOfKind) {
      const level = this.levelByStep(actorRows);
      this.count(customerId, level, ATTEMPT_TIMES.subarray(0, level));
      return;
    }
    const attempt = countedAttempt(this.merged(actorRows), this.rules);
    this.count(customerId, attempt.level, attempt.stepTimes);
  }

  /**
   * The actor's counted attempt from each step's times ({@link orderedLevelByStep}): its level,
   * its times in {@link ATTEMPT_TIMES}. A step's times from two rows (a customer's, identified
   * from a visitor) are sorted together.
   */
  private levelByStep(actorRows: readonly number[]): number {
    const steps = this.rules.steps;
    const stepOfKind = this.stepOfKind!;
    const rowsOfStep = ROWS_OF_STEP.fill(0, 0, steps);
    const bounds = STEP_BOUNDS.fill(0, 0, steps + 1);
    for (const row of actorRows) {
      const step = stepOfKind[this.kind[row]];
      rowsOfStep[step]++;
      bounds[step + 1] += this.timesLength[row] / 8;
    }
    for (let step = 0; step < steps; step++) bounds[step + 1] += bounds[step];
    if (STEP_TIMES.length < bounds[steps])
      STEP_TIMES = new Float64Array(Math.max(bounds[steps], STEP_TIMES.length * 2));
    const times = STEP_TIMES;
    const next = NEXT_OF_STEP;
    for (let step = 0; step < steps; step++) next[step] = bounds[step];
    const view = this.tuples.view;
    for (const row of actorRows) {
      const step = stepOfKind[this.kind[row]];
      let at = next[step];
      for (let p = this.timesAt[row], end = p + this.timesLength[row]; p < end; p += 8)
        times[at++] = view.getInt32(p) * 4_294_967_296 + view.getUint32(p + 4) - this.origin;
      next[step] = at;
    }
    for (let step = 0; step < steps; step++)
      if (rowsOfStep[step] > 1) sortRange(times, bounds[step], bounds[step + 1]);
    return orderedLevelByStep(times, bounds, steps, this.rules.windowMicros, ATTEMPT_TIMES);
  }

  /** True when one of the rows is of a kind that can start an attempt. */
  private starts(actorRows: readonly number[]): boolean {
    return actorRows.some((row) => (this.kinds[this.kind[row]].steps & this.startSteps) !== 0);
  }

  /** Negative, 0 or positive as row a's customer comes before, is, or comes after row b's. */
  private compareCustomers(a: number, b: number): number {
    const head = this.customerHead[a] - this.customerHead[b];
    if (head !== 0) return head;
    const view = this.tuples.view;
    for (
      let at = this.customerAt[a] + 4, bt = this.customerAt[b] + 4;
      at < this.customerAt[a] + 16;
      at += 4, bt += 4
    ) {
      const word = view.getUint32(at) - view.getUint32(bt);
      if (word !== 0) return word;
    }
    return 0;
  }

  /** Row `row`'s customer id (lowercase, hyphenated). */
  private customerId(row: number): string {
    return uuidText(this.tuples.buffer, this.customerAt[row]);
  }

  /** One actor's rows merged into the engine's arrays: by time, then kind (each row in time order). */
  private merged(actorRows: readonly number[]): ActorEvents {
    const view = this.tuples.view;
    const origin = this.origin;
    const count = actorRows.length;
    let length = 0;
    for (const row of actorRows) length += this.timesLength[row] / 8;
    const { times, steps, exclusions } = eventArrays(length);
    const readTime = (at: number) =>
      view.getInt32(at) * 4_294_967_296 + view.getUint32(at + 4) - origin;
    if (count === 1) {
      const kind = this.kinds[this.kind[actorRows[0]]];
      for (let i = 0, at = this.timesAt[actorRows[0]]; i < length; i++, at += 8) {
        times[i] = readTime(at);
        steps[i] = kind.steps;
        exclusions[i] = kind.exclusions;
      }
      return { length, times, steps, exclusions };
    }
    // Per row: where its next time is, where it ends, its kind and that time (Infinity once it
    // ends).
    if (mergeNext.length < count) growMergeMemory(count);
    const at = mergeAt;
    const end = mergeEnd;
    const kindOf = mergeKind;
    const next = mergeNext;
    for (let r = 0; r < count; r++) {
      const row = actorRows[r];
      at[r] = this.timesAt[row];
      end[r] = at[r] + this.timesLength[row];
      kindOf[r] = this.kind[row];
      next[r] = readTime(at[r]);
    }
    for (let i = 0; i < length; i++) {
      let best = 0;
      for (let r = 1; r < count; r++)
        if (next[r] < next[best] || (next[r] === next[best] && kindOf[r] < kindOf[best])) best = r;
      const kind = this.kinds[kindOf[best]];
      times[i] = next[best];
      steps[i] = kind.steps;
      exclusions[i] = kind.exclusions;
      at[best] += 8;
      next[best] = at[best] < end[best] ? readTime(at[best]) : Infinity;
    }
    return { length, times, steps, exclusions };
  }
}
