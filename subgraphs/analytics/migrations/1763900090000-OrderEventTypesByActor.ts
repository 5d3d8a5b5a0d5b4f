import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `events_organization_type_shard_actor_time_idx`: each actor's events of a type together and in
 * time order, per shard (actor-parts.ts), keyed (organization, type, shard, customer, anonymous id,
 * time). A funnel read per type (funnel-type-sequences.ts) groups its events per actor straight
 * from it, neither sorting nor hashing. The shard expression must stay `actorShardSql()`'s.
 */
export class OrderEventTypesByActor1763900090000 implements MigrationInterface {
  name = "OrderEventTypesByActor1763900090000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX events_organization_type_shard_actor_time_idx ON events (organization_id, type, (coalesce(uuid_hash(customer_id), hashtext(anonymous_id)) & 7), customer_id, anonymous_id, "timestamp")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX events_organization_type_shard_actor_time_idx`);
  }
}
