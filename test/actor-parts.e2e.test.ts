import { DataSource } from "typeorm";
import { withDatabase } from "#kit/database/database-url";
import { CopyTuples } from "#kit/database/binary-copy";
import {
  ACTOR_SHARDS,
  actorPartSql,
  copyByActorParts,
  peopleQueryParts,
} from "../subgraphs/analytics/src/modules/actors/actor-parts";
import { FunnelOrder } from "../subgraphs/analytics/src/modules/funnel/funnel.input";
import { funnelSpec } from "../subgraphs/analytics/src/modules/funnel/funnel-spec";
import {
  funnelByTypeSql,
  funnelKinds,
  readsByType,
} from "../subgraphs/analytics/src/modules/funnel/funnel-type-sequences";
import { TEST_ENV } from "./support/test-database";

/**
 * The parts people queries are split into: every shard in exactly one part, and a part's condition
 * read from the index of migration 1763900080000 (its expression and actorShardSql's must not
 * drift apart, or every part would read every event), and a funnel read per type from the index
 * of migration 1763900090000 in its order.
 */
describe("actor parts", () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource({
      type: "postgres",
      url: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
      extra: { max: 1 },
    }).initialize();
  });

  afterAll(() => dataSource?.destroy());

  it.each([1, 2, 3, 4, 8])("%d parts hold every shard exactly once", (parts) => {
    const shards: number[] = [];
    for (let part = 0; part < parts; part++) {
      const params: unknown[] = [];
      const conditions = actorPartSql({ part, parts }, (value) => `$${params.push(value)}`);
      if (parts === 1) expect(conditions).toEqual([]);
      else shards.push(...(params[0] as number[]));
    }
    if (parts > 1) expect(shards.sort((a, b) => a - b)).toEqual([...Array(ACTOR_SHARDS).keys()]);
  });

  it("finds a part's events of a type through the index, by the shard", async () => {
    const params: unknown[] = ["00000000-0000-0000-0000-000000000000", "purchase"];
    const [condition] = actorPartSql({ part: 1, parts: 2 }, (value) => `$${params.push(value)}`);
    const plan: { "QUERY PLAN": string }[] = await dataSource.transaction(async (manager) => {
      await manager.query("SET LOCAL enable_seqscan = off");
      await manager.query("SET LOCAL enable_bitmapscan = off");
      return manager.query(
        `EXPLAIN SELECT e.customer_id FROM events e WHERE e.organization_id = $1 AND e.type = $2 AND ${condition}`,
        params,
      );
    });
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).toMatch(/Index Only Scan using events_\w*_organization_id_type_\w*_idx/);
    expect(text).toMatch(
      /Index Cond: .*COALESCE\(uuid_hash\(customer_id\), hashtext\(anonymous_id\)\) & 7\)\) = ANY/,
    );
  });

  it("reads a funnel's types per actor, in time order, from the actor-ordered index: no sort, no hash", async () => {
    const spec = funnelSpec({
      steps: [{ type: "page_view" }, { type: "signup" }],
      from: new Date(Date.now() - 30 * 86_400_000),
      to: new Date(),
      conversionWindowSeconds: 86_400,
      order: FunnelOrder.ORDERED,
      exclusions: null,
      breakdown: null,
      filter: null,
    });
    expect(readsByType(spec)).toBe(true);
    const { sql, params } = funnelByTypeSql(
      "00000000-0000-0000-0000-000000000000",
      spec,
      funnelKinds(spec),
      { part: 1, parts: 2 },
    );
    const plan: { "QUERY PLAN": string }[] = await dataSource.transaction(async (manager) => {
      for (const setting of [
        "enable_seqscan",
        "enable_bitmapscan",
        "enable_sort",
        "enable_hashagg",
      ])
        await manager.query(`SET LOCAL ${setting} = off`);
      return manager.query(`EXPLAIN ${sql}`, params);
    });
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).not.toMatch(/\b(Sort|Incremental Sort|HashAggregate) {2}\(/);
    expect(text).toMatch(/GroupAggregate/);
    expect(text).toMatch(/Index Only Scan using events_\w*_customer_id_anonym\w*_idx/);
  });

  it("copies parts without parallel workers, which could interleave a UNION ALL's branches", async () => {
    // Parallel plans made free: without the setting PostgreSQL would take one here.
    const eager = await new DataSource({
      type: "postgres",
      url: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
      extra: {
        max: 2,
        options:
          "-c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_index_scan_size=0 -c min_parallel_table_scan_size=0",
      },
    }).initialize();
    try {
      const spec = funnelSpec({
        steps: [{ type: "page_view" }, { type: "signup" }],
        from: new Date(Date.now() - 30 * 86_400_000),
        to: new Date(),
        conversionWindowSeconds: 86_400,
        order: FunnelOrder.ORDERED,
        exclusions: null,
        breakdown: null,
        filter: null,
      });
      const funnel = (part: { part: number; parts: number }) =>
        funnelByTypeSql("00000000-0000-0000-0000-000000000000", spec, funnelKinds(spec), part);
      const { sql, params } = funnel({ part: 0, parts: 2 });
      const plan = (rows: { "QUERY PLAN": string }[]) =>
        rows.map((row) => row["QUERY PLAN"]).join("\n");
      expect(plan(await eager.query(`EXPLAIN ${sql}`, params))).toMatch(/Parallel Append/);
      const serial = await eager.transaction(async (manager) => {
        await manager.query("SET LOCAL max_parallel_workers_per_gather = 0");
        return plan(await manager.query(`EXPLAIN ${sql}`, params));
      });
      expect(serial).not.toMatch(/Parallel|Gather/);
      // Which is what the copies run under, one part or several.
      for (const parts of [1, 2]) {
        const settings: string[] = [];
        await copyByActorParts(
          eager,
          parts,
          () => ({ sql: "SELECT current_setting('max_parallel_workers_per_gather')", params: [] }),
          () => {
            const tuples = new CopyTuples();
            return (chunk) => {
              tuples.append(chunk);
              while (tuples.next()) {
                const length = tuples.field();
                settings.push(tuples.buffer.toString("utf8", tuples.start, tuples.start + length));
              }
            };
          },
        );
        expect(settings).toEqual(Array(parts).fill("0"));
      }
    } finally {
      await eager.destroy();
    }
  });

  it("refuses more parts than shards, or none", () => {
    expect(() => peopleQueryParts({ ANALYTICS_PEOPLE_QUERY_PARTS: "9" })).toThrow(
      /ANALYTICS_PEOPLE_QUERY_PARTS must be at most 8/,
    );
    expect(() => peopleQueryParts({ ANALYTICS_PEOPLE_QUERY_PARTS: "0" })).toThrow(
      /ANALYTICS_PEOPLE_QUERY_PARTS must be an integer of at least 1/,
    );
    expect(peopleQueryParts({ ANALYTICS_PEOPLE_QUERY_PARTS: "3" })).toBe(3);
  });
});
