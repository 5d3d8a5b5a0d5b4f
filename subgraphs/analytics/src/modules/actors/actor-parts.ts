import os from "node:os";
import type { DataSource } from "typeorm";
import { numberFromEnv } from "#kit/config";
import { copyBinaryOut } from "#kit/database/binary-copy";
import {
  onSharedSnapshot,
  queryOnSharedSnapshot,
  type Statement,
} from "#kit/database/shared-snapshot";

/**
 * Every event's actor falls in one of this many shards, by a hash of the actor
 * ({@link actorShardSql}); the index people queries read (`events_organization_type_shard_time_actor_idx`,
 * on organization, type, shard, time) keeps each shard's events of a type apart, so a statement
 * that asks for some shards reads only their entries.
 */
export const ACTOR_SHARDS = 8;

/**
 * SQL of the shard (0 to {@link ACTOR_SHARDS} - 1) of the actor of the events aliased `e`: the
 * customer's UUID hashed, else the anonymous id's text. Exactly the expression of the index: a
 * condition on it is an index condition. An identified visitor's events carry the customer, so
 * they are in the customer's shard.
 */
export function actorShardSql(e = "e"): string {
  return `(coalesce(uuid_hash(${e}.customer_id), hashtext(${e}.anonymous_id)) & ${ACTOR_SHARDS - 1})`;
}

/** One of `parts` disjoint sets of actors: the shards s with s mod parts = part. */
export interface ActorPart {
  part: number;
  parts: number;
}

/** Every actor, as one part. */
export const ALL_ACTORS: ActorPart = { part: 0, parts: 1 };

/** SQL true for the events aliased `e` whose actor is in `part` (nothing when there is one part). */
export function actorPartSql(
  { part, parts }: ActorPart,
  p: (value: unknown) => string,
  e = "e",
): string[] {
  if (parts === 1) return [];
  return [`${actorShardSql(e)} = ANY(${p(shardsOf({ part, parts }))}::int[])`];
}

/** The shards of `part`, ascending. */
export function shardsOf({ part, parts }: ActorPart): number[] {
  return Array.from({ length: ACTOR_SHARDS }, (_, s) => s).filter((s) => s % parts === part);
}

/**
 * How many statements a people query that counts per actor is split into
 * (`ANALYTICS_PEOPLE_QUERY_PARTS`, 1 to {@link ACTOR_SHARDS}; default: the cores of this machine,
 * at most 4). Each statement reads the events of its part of the actors, all at once on one
 * snapshot: on an otherwise idle database an answer takes about 1/parts of the time, and under
 * load the same work in all. Throws naming the variable for a value out of range (checked when
 * the service starts).
 */
export function peopleQueryParts(env: NodeJS.ProcessEnv = process.env): number {
  const fallback = Math.min(4, os.availableParallelism());
  const parts = numberFromEnv(env, "ANALYTICS_PEOPLE_QUERY_PARTS", fallback, { min: 1 });
  if (parts > ACTOR_SHARDS)
    throw new Error(`ANALYTICS_PEOPLE_QUERY_PARTS must be at most ${ACTOR_SHARDS}, got ${parts}.`);
  return parts;
}

/**
 * Runs the statement `build` makes for each part of the actors (`parts` of them), at once and on
 * one snapshot ({@link queryOnSharedSnapshot}); returns each part's rows, in part order. A query
 * whose answer is a sum over actors adds the parts' rows up.
 */
export function queryByActorParts<Row>(
  dataSource: DataSource,
  parts: number,
  build: (part: ActorPart) => Statement,
): Promise<Row[][]> {
  const statements = Array.from({ length: parts }, (_, part) => build({ part, parts }));
  return queryOnSharedSnapshot<Row>(dataSource, statements);
}

/**
 * {@link queryByActorParts} for statements whose rows are many and small: `consume(part)` gets
 * each part's output as it arrives, in PostgreSQL's binary COPY format ({@link copyBinaryOut};
 * read it with `CopyTuples`), in the statement's order: PostgreSQL plans no parallel workers for
 * them (`max_parallel_workers_per_gather` 0), since a parallel plan could interleave the rows of a
 * UNION ALL's branches, and the parts already share out the cores. Resolves once every part's
 * output has been consumed.
 */
export async function copyByActorParts(
  dataSource: DataSource,
  parts: number,
  build: (part: ActorPart) => Statement,
  consume: (part: number) => (chunk: Buffer) => void,
): Promise<void> {
  await onSharedSnapshot(
    dataSource,
    parts,
    (runner, part) => copyBinaryOut(runner, build({ part, parts }), consume(part)),
    { max_parallel_workers_per_gather: "0" },
  );
}
