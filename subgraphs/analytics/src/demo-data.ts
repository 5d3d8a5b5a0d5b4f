import type { DataSource } from "typeorm";
import type { DemoDataset } from "../../shared/src/demo/demo-dataset";

/** Rows per INSERT statement when loading demo events. */
const CHUNK = 1_000;

/** Inserts the demo events in multi-row statements; returns false (writing nothing) when they are already there. */
export async function seedAnalyticsDemoData(dataSource: DataSource, dataset: DemoDataset): Promise<boolean> {
  const [{ present }] = await dataSource.query("SELECT count(*)::int AS present FROM events WHERE organization_id = $1", [dataset.organizations[0].id]);
  if (present > 0) return false;
  await dataSource.transaction(async (manager) => {
    for (let start = 0; start < dataset.events.length; start += CHUNK) {
      const chunk = dataset.events.slice(start, start + CHUNK);
      await manager.query(
        `INSERT INTO events (organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::timestamptz[], $7::float8[], $8::jsonb[])`,
        [
          chunk.map((e) => e.organizationId),
          chunk.map((e) => e.id),
          chunk.map((e) => e.type),
          chunk.map((e) => e.customerId),
          chunk.map((e) => e.campaignId),
          chunk.map((e) => e.timestamp.toISOString()),
          chunk.map((e) => e.value),
          chunk.map((e) => (e.properties ? JSON.stringify(e.properties) : null)),
        ],
      );
    }
  });
  return true;
}
