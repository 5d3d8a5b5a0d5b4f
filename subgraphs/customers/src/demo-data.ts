import type { DataSource } from "typeorm";
import type { DemoDataset } from "#dev/demo/demo-dataset";

/**
 * Inserts the demo customers and campaigns; returns false (writing nothing) when they are already
 * there.
 */
export async function seedCustomersDemoData(
  dataSource: DataSource,
  dataset: DemoDataset,
): Promise<boolean> {
  const [{ present }] = await dataSource.query(
    "SELECT count(*)::int AS present FROM customers WHERE organization_id = $1 AND id = $2",
    [dataset.customers[0].organizationId, dataset.customers[0].id],
  );
  if (present > 0) return false;
  const customers = dataset.customers;
  const campaigns = dataset.campaigns;
  await dataSource.transaction(async (manager) => {
    // Demo rows were "created" when they registered or started, so ordering by creation looks real.
    await manager.query(
      `INSERT INTO customers (id, organization_id, external_id, name, email, age, gender, location, income_range,
         preferred_category, status, churned_at, registered_at, attributes, created_at, updated_at)
       SELECT c.*, c.registered_at, c.registered_at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[],
                     $10::text[], $11::customer_status[], $12::timestamptz[], $13::timestamptz[], $14::jsonb[])
           AS c(id, organization_id, external_id, name, email, age, gender, location, income_range,
                preferred_category, status, churned_at, registered_at, attributes)`,
      [
        customers.map((c) => c.id),
        customers.map((c) => c.organizationId),
        customers.map((c) => c.externalId),
        customers.map((c) => c.name),
        customers.map((c) => c.email),
        customers.map((c) => c.age),
        customers.map((c) => c.gender),
        customers.map((c) => c.location),
        customers.map((c) => c.incomeRange),
        customers.map((c) => c.preferredCategory),
        customers.map((c) => c.status),
        customers.map((c) => c.churnedAt?.toISOString() ?? null),
        customers.map((c) => c.registeredAt.toISOString()),
        customers.map((c) => JSON.stringify(c.attributes)),
      ],
    );
    await manager.query(
      `INSERT INTO campaigns (id, organization_id, name, channel, status, target_segment, budget, start_date, end_date,
         created_by_user_id, created_at, updated_at)
       SELECT c.*, c.start_date, c.start_date
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::campaign_channel[], $5::campaign_status[], $6::text[], $7::numeric[],
                     $8::timestamptz[], $9::timestamptz[], $10::uuid[])
           AS c(id, organization_id, name, channel, status, target_segment, budget, start_date, end_date, created_by_user_id)`,
      [
        campaigns.map((c) => c.id),
        campaigns.map((c) => c.organizationId),
        campaigns.map((c) => c.name),
        campaigns.map((c) => c.channel),
        campaigns.map((c) => c.status),
        campaigns.map((c) => c.targetSegment),
        campaigns.map((c) => c.budget),
        campaigns.map((c) => c.startDate.toISOString()),
        campaigns.map((c) => c.endDate?.toISOString() ?? null),
        campaigns.map((c) => c.createdByUserId),
      ],
    );
  });
  return true;
}
