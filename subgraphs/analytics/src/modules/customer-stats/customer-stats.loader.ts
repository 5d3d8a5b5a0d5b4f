import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { isUuid } from "#kit/data/ids";
import type { CustomerStats } from "./customer-stats.type";
import { queryPrepared } from "#kit/database/prepared-query";

/** One customer's row of the stats query. */
interface StatsRow {
  customer_id: string;
  orders: number;
  total_spent: number;
  first_seen_at: Date;
  last_seen_at: Date;
}

const EMPTY: CustomerStats = {
  orders: 0,
  totalSpent: 0,
  averageOrderValue: 0,
  firstSeenAt: null,
  lastSeenAt: null,
};

/**
 * Per-request loader of `CustomerStats` for customers of one organization: the stats of N customers
 * cost one read of their `customer_totals` rows, on the data source `reads` gives for it (the read
 * replica when it is current, see AnalyticsContext.readDataSource). A customer with no events (or
 * of another organization) gets zeros.
 */
export function createCustomerStatsLoader(
  reads: () => Promise<DataSource>,
  organizationId: string,
): DataLoader<string, CustomerStats> {
  return new DataLoader<string, CustomerStats>(async (customerIds) => {
    const ids = [...new Set(customerIds.filter(isUuid))];
    const rows =
      ids.length === 0
        ? []
        : await queryPrepared<StatsRow>(
            await reads(),
            "analytics.customer-stats",
            `SELECT customer_id, orders::int AS orders, order_value::float8 AS total_spent,
                    first_at AS first_seen_at, last_at AS last_seen_at
               FROM customer_totals
              WHERE organization_id = $1 AND customer_id = ANY($2::uuid[])`,
            [organizationId, ids],
          );
    const byCustomer = new Map(rows.map((row) => [row.customer_id, row]));
    return customerIds.map((id) => {
      const row = byCustomer.get(id);
      if (!row) return EMPTY;
      const totalSpent = round2(row.total_spent);
      return {
        orders: row.orders,
        totalSpent,
        averageOrderValue: row.orders > 0 ? round2(row.total_spent / row.orders) : 0,
        firstSeenAt: row.first_seen_at,
        lastSeenAt: row.last_seen_at,
      };
    });
  });
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
