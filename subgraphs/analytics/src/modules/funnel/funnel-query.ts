import type { DataSource } from "typeorm";
import {
  actorPartSql,
  copyByActorParts,
  peopleQueryParts,
  queryByActorParts,
  type ActorPart,
} from "../actors/actor-parts";
import { eventFilterSql, hasActorSql } from "../actors/actor-sql";
import type { EventFilter } from "../timeseries/event-filter.input";
import { countedAttempt, type FunnelRules } from "./funnel-engine";
import { eventArrays } from "./funnel-event-arrays";
import { FunnelOutcomes } from "./funnel-outcomes";
import { ActorsOfKinds, funnelByTypeSql, funnelKinds, readsByType } from "./funnel-type-sequences";
import { FunnelOrder } from "./funnel.input";
import { funnelStatementStart, type FunnelSpec } from "./funnel-spec";

/** Bytes per event in an actor's sequence: int8 microseconds, int4 step mask, int4 exclusion mask. */
const EVENT_BYTES = 16;

/**
 * One actor's events of the funnel, as the statement returns them: the actor, its events in order
 * packed in `seq` ({@link EVENT_BYTES} each), and the breakdown values of its events (null for
 * events that cannot start an attempt).
 */
interface SequenceRow {
  customer_id: string | null;
  anonymous_id: string | null;
  seq: Buffer;
  breakdown?: (string | null)[];
}

/**
 * The counted attempt of every actor of the funnel that has one, from one SQL statement per part
 * of the actors ({@link queryByActorParts}: `parts` statements at once on one snapshot): the
 * events in [from, to) of the organization that have an actor and pass the funnel's filter (for
 * ORDERED and UNORDERED only those of the steps' and exclusions' types and filters; STRICT needs
 * all of them, any event between two steps breaking it), grouped per actor and packed in time,
 * type, then id order, each with a mask of the steps and exclusions it matches; actors without an event that
 * could start an attempt are left out by the statement. A funnel whose steps differ by type alone
 * is read per type instead (funnel-type-sequences.ts), a few times faster. The step logic
 * (funnel-engine.ts; funnel-ordered-by-step.ts for an ORDERED funnel read per type without
 * exclusions) runs here on each actor's events.
 */
export async function queryFunnelOutcomes(
  dataSource: DataSource,
  organizationId: string,
  spec: FunnelSpec,
  parts = peopleQueryParts(),
): Promise<FunnelOutcomes> {
  const rules: FunnelRules = {
    order: spec.order,
    steps: spec.steps.length,
    windowMicros: spec.windowSeconds * 1_000_000,
    exclusions: spec.exclusions,
  };
  const outcomes = new FunnelOutcomes(spec.steps.length);
  if (readsByType(spec)) {
    const kinds = funnelKinds(spec);
    const readers = Array.from(
      { length: parts },
      () =>
        new ActorsOfKinds(kinds, spec.range.from, rules, (customerId, level, stepTimes) =>
          outcomes.add(customerId, level, stepTimes, null),
        ),
    );
    await copyByActorParts(
      dataSource,
      parts,
      (part) => funnelByTypeSql(organizationId, spec, kinds, part),
      (part) => (chunk) => readers[part].push(chunk),
    );
    for (const reader of readers) reader.end();
    return outcomes;
  }
  const answers = await queryByActorParts<SequenceRow>(dataSource, parts, (part) =>
    funnelSequencesSql(organizationId, spec, part),
  );
  for (const row of answers.flat()) {
    const attempt = countedAttempt(unpack(row.seq), rules);
    outcomes.add(
      row.customer_id,
      attempt.level,
      attempt.stepTimes,
      row.breakdown?.[attempt.start] ?? null,
    );
  }
  return outcomes;
}

/** The statement of {@link queryFunnelOutcomes} for one part of the actors, and its parameters. */
export function funnelSequencesSql(
  organizationId: string,
  spec: FunnelSpec,
  part: ActorPart,
): { sql: string; params: unknown[] } {
  const { params, p, inRange } = funnelStatementStart(organizationId, spec);
  const matches = (type: string, filter: EventFilter | null) =>
    `(${[`e.type = ${p(type)}`, ...eventFilterSql(filter, p)].join(" AND ")})`;
  const stepConditions = spec.steps.map((step) => matches(step.type, step.filter));
  const exclusionConditions = spec.exclusions.map((x) => matches(x.type, x.filter));
  const mask = (conditions: string[]) =>
    conditions.length === 0
      ? "0"
      : conditions.map((c, bit) => `(CASE WHEN ${c} THEN ${1 << bit} ELSE 0 END)`).join(" | ");
  const where = [
    ...inRange,
    ...actorPartSql(part, p),
    hasActorSql("e"),
    ...eventFilterSql(spec.filter, p),
  ];
  if (spec.order !== FunnelOrder.STRICT)
    where.push(`(${[...stepConditions, ...exclusionConditions].join(" OR ")})`);
  // Which events can start an attempt: step 1's; UNORDERED, any step's.
  const starts = spec.order === FunnelOrder.UNORDERED ? "s.steps <> 0" : "(s.steps & 1) <> 0";
  // Events of the same time in type, then id order. Without conditions on properties or campaigns
  // (nor a breakdown), two events of an actor of the same type and time match the same steps and
  // exclusions, so their order changes nothing: the statement then needs no id and reads the
  // covering index alone.
  const order = readsEventDetails(spec)
    ? `ORDER BY s."timestamp", s.type, s.id`
    : `ORDER BY s."timestamp", s.type`;
  const breakdown = spec.breakdown
    ? `, array_agg(CASE WHEN ${starts} THEN s.breakdown_value END ${order}) AS breakdown`
    : "";
  const value = spec.breakdown ? `, e.properties ->> ${p(spec.breakdown)} AS breakdown_value` : "";
  const sql = `
    SELECT s.customer_id, s.anonymous_id,
           string_agg(int8send(s.micros) || int4send(s.steps) || int4send(s.exclusions), ''::bytea ${order}) AS seq${breakdown}
      FROM (SELECT e.customer_id, CASE WHEN e.customer_id IS NULL THEN e.anonymous_id END COLLATE "C" AS anonymous_id,
                   e."timestamp", e.type COLLATE "C" AS type${readsEventDetails(spec) ? `, e.id COLLATE "C" AS id` : ""},
                   round(date_part('epoch', e."timestamp" - $2::timestamptz) * 1000000)::int8 AS micros,
                   ${mask(stepConditions)} AS steps, ${mask(exclusionConditions)} AS exclusions${value}
              FROM events e
             WHERE ${where.join(" AND ")}) s
     GROUP BY s.customer_id, s.anonymous_id
    HAVING bool_or(${starts})`;
  return { sql, params };
}

/** True when a condition or the breakdown reads more of an event than its type, time and actor. */
function readsEventDetails(spec: FunnelSpec): boolean {
  const detailed = (filter: EventFilter | null) =>
    Boolean(
      filter?.campaignId || (filter?.properties && Object.keys(filter.properties).length > 0),
    );
  return (
    spec.breakdown !== null ||
    detailed(spec.filter) ||
    spec.steps.some((step) => detailed(step.filter)) ||
    spec.exclusions.some((exclusion) => detailed(exclusion.filter))
  );
}

/** An actor's packed sequence as the engine's arrays (valid until the next actor's). */
function unpack(seq: Buffer) {
  const length = seq.length / EVENT_BYTES;
  const { times, steps, exclusions } = eventArrays(length);
  for (let i = 0, at = 0; i < length; i++, at += EVENT_BYTES) {
    times[i] = seq.readUInt32BE(at) * 4_294_967_296 + seq.readUInt32BE(at + 4);
    steps[i] = seq.readInt32BE(at + 8);
    exclusions[i] = seq.readInt32BE(at + 12);
  }
  return { length, times, steps, exclusions };
}
