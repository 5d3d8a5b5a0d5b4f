import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `events_organization_type_time_actor_idx` (organization_id, type, timestamp) INCLUDE (actors)
 * gives way to `events_organization_type_shard_time_actor_idx`: the same, with the actor's shard
 * (actor-parts.ts: a hash of the customer, else the anonymous id, & 7) between the type and the
 * time, so that a people query split into parts of the actors reads only its part's entries of a
 * type and range. A query on a type and range alone still uses it (a skip scan over the 8 shards);
 * the index grows by 4 bytes an entry. The expression must stay `actorShardSql()`'s.
 */
export class ShardEventTypeIndexByActor1763900080000 implements MigrationInterface {
  name = "ShardEventTypeIndexByActor1763900080000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX events_organization_type_shard_time_actor_idx ON events (organization_id, type, (coalesce(uuid_hash(customer_id), hashtext(anonymous_id)) & 7), "timestamp") INCLUDE (customer_id, anonymous_id)`,
    );
    await queryRunner.query(`DROP INDEX events_organization_type_time_actor_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX events_organization_type_time_actor_idx ON events (organization_id, type, "timestamp") INCLUDE (customer_id, anonymous_id)`,
    );
    await queryRunner.query(`DROP INDEX events_organization_type_shard_time_actor_idx`);
  }
}
