import type { DataSource } from "typeorm";
import type { DemoDataset } from "../../shared/src/demo/demo-dataset";

/** Inserts the demo customers and campaigns; returns false (writing nothing) when they are already there. */
export async function seedCustomersDemoData(dataSource: DataSource, dataset: DemoDataset): Promise<boolean> {
  const [{ present }] = await dataSource.query("SELECT count(*)::int AS present FROM customers WHERE id = $1", [dataset.customers[0].id]);
  if (present > 0) return false;
  await dataSource.transaction(async (manager) => {
    for (const c of dataset.customers) {
      await manager.query(
        `INSERT INTO customers (id, organization_id, external_id, name, email, age, gender, location, income_range,
           preferred_category, status, churned_at, registered_at, attributes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $13)`,
        [c.id, c.organizationId, c.externalId, c.name, c.email, c.age, c.gender, c.location, c.incomeRange,
          c.preferredCategory, c.status, c.churnedAt, c.registeredAt, JSON.stringify(c.attributes)],
      );
    }
    for (const c of dataset.campaigns) {
      await manager.query(
        `INSERT INTO campaigns (id, organization_id, name, channel, status, target_segment, budget, start_date, end_date,
           created_by_user_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $8)`,
        [c.id, c.organizationId, c.name, c.channel, c.status, c.targetSegment, c.budget, c.startDate, c.endDate, c.createdByUserId],
      );
    }
  });
  return true;
}
