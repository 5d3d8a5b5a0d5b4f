/** The event type whose events are a customer's orders, and whose values their spend. */
export const ORDER_TYPE = "purchase";

/** The columns of a `customer_totals` row, in the order {@link customerTotalsRowsSql} selects them. */
export const CUSTOMER_TOTALS_COLUMNS =
  "organization_id, customer_id, events, orders, order_value, first_at, last_at";

/**
 * The `customer_totals` rows (in {@link CUSTOMER_TOTALS_COLUMNS} order, without ORDER BY) that the
 * events of `events` make, one per customer: how many events, how many orders ({@link ORDER_TYPE})
 * and the exact sum of their values (an order without a value adds nothing), the first and last
 * event's time. `events` is a FROM item with the alias `e` giving `type`, `"timestamp"` and
 * `value`; `customer` is the customer's id (events where it is NULL make none); `organization` the
 * organization's id; `where` a further condition on the events.
 */
export function customerTotalsRowsSql(
  events: string,
  customer: string,
  organization: string,
  where = "true",
): string {
  const order = `e.type = '${ORDER_TYPE}'`;
  return `
    SELECT ${organization}, ${customer}, count(*), count(*) FILTER (WHERE ${order}),
           coalesce(sum(e.value::numeric) FILTER (WHERE ${order}), 0), min(e."timestamp"), max(e."timestamp")
      FROM ${events}
     WHERE ${customer} IS NOT NULL AND ${where}
     GROUP BY 1, 2`;
}

/**
 * The CTE (`totals`) of a statement that adds the events of `events` to their customers'
 * `customer_totals` rows ({@link customerTotalsRowsSql}, organization `$1`), as ingestion and
 * identify do; upserted in key order, which keeps concurrent statements from deadlocking. Fed only
 * by the events the statement stored or linked, so each event counts once.
 */
export function addCustomerTotalsSql(events: string, customer: string): string {
  return `
  totals AS (
    INSERT INTO customer_totals AS t (${CUSTOMER_TOTALS_COLUMNS})
    ${customerTotalsRowsSql(events, customer, "$1::uuid")}
     ORDER BY 2
    ON CONFLICT (organization_id, customer_id) DO UPDATE
       SET events = t.events + EXCLUDED.events,
           orders = t.orders + EXCLUDED.orders,
           order_value = t.order_value + EXCLUDED.order_value,
           first_at = least(t.first_at, EXCLUDED.first_at),
           last_at = greatest(t.last_at, EXCLUDED.last_at)
  )`;
}
