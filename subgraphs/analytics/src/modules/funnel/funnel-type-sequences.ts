import { actorShardSql, shardsOf, type ActorPart } from "../actors/actor-parts";
import { eventFilterSql, hasActorSql } from "../actors/actor-sql";
import type { EventFilter } from "../timeseries/event-filter.input";
import type { ActorEvents } from "./funnel-engine";
import { eventArrays } from "./funnel-event-arrays";
import { FunnelOrder } from "./funnel.input";
import { funnelStatementStart, type FunnelSpec } from "./funnel-spec";

/**
 * The funnels whose steps and exclusions are told apart by their event's type alone, read per
 * type: each part's statement reads, for each type of the funnel and each shard of the part, the
 * events of that type grouped per customer and anonymous id, each group in time order, straight
 * from `events_organization_type_shard_actor_time_idx` (organization, type, shard, customer,
 * anonymous id, time), so PostgreSQL neither sorts nor hashes; the service merges an actor's
 * groups (a customer has one per anonymous id it was identified from, and one per type) into one
 * sequence. An actor's events of one type and time match the same steps and exclusions, so the
 * order of two such events changes nothing.
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
 * One row of {@link funnelByTypeSql}: the events of one kind in [from, to) of one customer and
 * anonymous id (either may be null, not both), their times as PostgreSQL's timestamptz_send gives
 * them (8 bytes each, big-endian microseconds from 2000-01-01 UTC), ascending.
 */
export interface KindRow {
  kind: number;
  customer_id: string | null;
  anonymous_id: string | null;
  times: Buffer;
}

/**
 * The statement of one part of the actors for a funnel that {@link readsByType}: per kind and shard
 * of the part, the rows ({@link KindRow}) of the events that have an actor and pass the funnel's
 * filter.
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
  const branches: string[] = [];
  kinds.forEach((kind, k) => {
    const type = p(kind.type);
    for (const shard of shardsOf(part)) {
      branches.push(
        `(SELECT ${k} AS kind, e.customer_id, e.anonymous_id, ${times}
            FROM events e
           WHERE ${common} AND e.type = ${type} AND ${actorShardSql()} = ${shard} AND ${hasActorSql()}
           GROUP BY e.customer_id, e.anonymous_id)`,
      );
    }
  });
  return { sql: branches.join("\nUNION ALL\n"), params };
}

/** Microseconds from 2000-01-01 UTC (timestamptz's origin) to the Unix epoch's origin. */
const POSTGRES_EPOCH_MICROS = Date.UTC(2000, 0, 1) * 1000;

/**
 * Each actor's events from one part's rows (a customer's rows whatever their anonymous id), merged
 * in time, then kind order, with times in microseconds from `from`; `visit` gets every actor that
 * has an event starting an attempt (`startSteps`: a mask of the steps that can), with its customer
 * id (null for a visitor) and its events, valid during the call only.
 */
export function forEachActorOfKinds(
  rows: readonly KindRow[],
  kinds: readonly FunnelKind[],
  from: Date,
  startSteps: number,
  visit: (customerId: string | null, events: ActorEvents) => void,
): void {
  const byActor = new Map<string, KindRow[]>();
  for (const row of rows) {
    const key = row.customer_id ?? `a:${row.anonymous_id}`;
    const actorRows = byActor.get(key);
    if (actorRows) actorRows.push(row);
    else byActor.set(key, [row]);
  }
  const origin = from.getTime() * 1000 - POSTGRES_EPOCH_MICROS;
  for (const actorRows of byActor.values()) {
    if (!actorRows.some((row) => (kinds[row.kind].steps & startSteps) !== 0)) continue;
    visit(actorRows[0].customer_id, merged(actorRows, kinds, origin));
  }
}

/** One actor's rows merged into the engine's arrays: by time, then kind (each row in time order). */
function merged(actorRows: KindRow[], kinds: readonly FunnelKind[], origin: number): ActorEvents {
  let length = 0;
  for (const row of actorRows) length += row.times.length / 8;
  const { times, steps, exclusions } = eventArrays(length);
  const at = actorRows.map(() => 0);
  for (let i = 0; i < length; i++) {
    let best = -1;
    let bestTime = 0;
    for (let r = 0; r < actorRows.length; r++) {
      const row = actorRows[r];
      if (at[r] >= row.times.length) continue;
      const time = row.times.readInt32BE(at[r]) * 4_294_967_296 + row.times.readUInt32BE(at[r] + 4);
      if (best < 0 || time < bestTime || (time === bestTime && row.kind < actorRows[best].kind)) {
        best = r;
        bestTime = time;
      }
    }
    const kind = kinds[actorRows[best].kind];
    times[i] = bestTime - origin;
    steps[i] = kind.steps;
    exclusions[i] = kind.exclusions;
    at[best] += 8;
  }
  return { length, times, steps, exclusions };
}
