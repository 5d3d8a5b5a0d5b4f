import type { MigrationInterface, QueryRunner } from "typeorm";

/** The campaign key of rollup rows for events without a campaign (rollups/rollup-keys.ts). */
const NO_CAMPAIGN = "'00000000-0000-0000-0000-000000000000'::uuid";

/**
 * An invoice is one order. The transactions importer once sent one event per CSV line, `purchase`
 * (or `refund` for a "C" invoice) with the id `tx:<invoice>:<n>` (n: the line's place among its
 * invoice's rows) and properties `{ invoice, stockCode, description, quantity, unitPrice,
 * country }`, so `orders`, `CustomerStats.orders`, `averageOrderValue` and the RFM frequency
 * counted lines. This merges such line events, per organization, invoice, customer, campaign and
 * type, into the order event the importer sends now, so that the counts are right and importing
 * the same file again stores nothing (the ids match):
 *
 * - id `tx:<invoice>` for the order holding the invoice's first line, `tx:<invoice>@<n>` for
 *   another customer's (n: the place of its first line); value the sum of the lines' values; the
 *   time of its latest line; properties `{ invoice, country, lineCount, items, lines[,
 *   linesOmitted] }` with the lines (stockCode, description, quantity, unitPrice) in their order,
 *   as many as keep the JSON within 8 KB, the limit of `trackEvents`.
 * - An event that already has an order's id (the same rows imported once more with the old
 *   `--per-invoice`, which counted them twice) is replaced by the order too.
 * - The line ids stay in `event_ids`, so a line sent again (an old importer) is a duplicate.
 * - The rollups (`event_rollups_minute`, `event_rollups_hour`, `event_type_rollups_hour`) of
 *   every bucket the removed and added events fall in are computed again from `events` (all
 *   events of those buckets are there: retention drops whole months), and each
 *   `customer_activity` day bit of those events is set or cleared by whether the customer still
 *   has an event (of the type, and of any type) that UTC day, in its month's row and the next
 *   month's.
 *
 * The replaced events are kept in `merged_invoice_lines` (with the id of the order they went
 * into), for `down()`, which puts them back the same way; drop that table once the migration is
 * not to be undone. It reads every event once (a sequential scan of `events`), in the one
 * transaction of this migration.
 */
export class MergeInvoiceLineEvents1763900020000 implements MigrationInterface {
  name = "MergeInvoiceLineEvents1763900020000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE merged_invoice_lines (
        organization_id uuid NOT NULL,
        id text NOT NULL,
        type text NOT NULL,
        customer_id uuid,
        campaign_id uuid,
        "timestamp" timestamptz NOT NULL,
        value double precision,
        properties jsonb,
        received_at timestamptz NOT NULL,
        order_id text NOT NULL,
        PRIMARY KEY (organization_id, id)
      )`);
    await queryRunner.query(`
      CREATE TEMP TABLE old_lines ON COMMIT DROP AS
      SELECT e.*, e.properties->>'invoice' AS invoice,
             substr(e.id, length(e.properties->>'invoice') + 5)::int AS position,
             -- The order's key: null ids as the nil UUID, so that lines without one group together.
             coalesce(e.customer_id, ${NO_CAMPAIGN}) AS customer_key,
             coalesce(e.campaign_id, ${NO_CAMPAIGN}) AS campaign_key
        FROM events e
       WHERE e.type IN ('purchase', 'refund')
         AND e.id LIKE 'tx:%:%'
         AND jsonb_typeof(e.properties->'invoice') = 'string'
         AND starts_with(e.id, 'tx:' || (e.properties->>'invoice') || ':')
         AND substr(e.id, length(e.properties->>'invoice') + 5) ~ '^[0-9]{1,9}$'`);
    // The lines of each order with their JSON size, for the 8 KB bound.
    await queryRunner.query(`
      CREATE TEMP TABLE order_lines ON COMMIT DROP AS
      SELECT l.organization_id, l.invoice, l.customer_key, l.campaign_key, l.type, l.position, l.line,
             sum(octet_length(l.line::text) + 1) OVER (
               PARTITION BY l.organization_id, l.invoice, l.customer_key, l.campaign_key, l.type
               ORDER BY l.position) AS size_so_far
        FROM (SELECT *, jsonb_strip_nulls(jsonb_build_object(
                'stockCode', properties->'stockCode', 'description', properties->'description',
                'quantity', properties->'quantity', 'unitPrice', properties->'unitPrice')) AS line
                FROM old_lines) l`);
    await queryRunner.query(`
      CREATE TEMP TABLE incoming ON COMMIT DROP AS
      WITH orders AS (
        SELECT organization_id, invoice, customer_key, campaign_key, type,
               min(customer_id::text)::uuid AS customer_id, min(campaign_id::text)::uuid AS campaign_id,
               min(position) AS first_position, max("timestamp") AS "timestamp",
               sum(value::numeric)::float8 AS value, min(received_at) AS received_at,
               count(*)::int AS line_count,
               round(sum(abs(CASE WHEN jsonb_typeof(properties->'quantity') = 'number'
                                  THEN (properties->>'quantity')::numeric ELSE 0 END)), 6) AS items,
               (array_agg(properties->>'country' ORDER BY position)
                  FILTER (WHERE properties ? 'country'))[1] AS country
          FROM old_lines
         GROUP BY 1, 2, 3, 4, 5
      ),
      kept AS (
        SELECT o.organization_id, o.invoice, o.customer_key, o.campaign_key, o.type,
               coalesce(jsonb_agg(l.line ORDER BY l.position) FILTER (WHERE l.size_so_far <= 7000), '[]') AS lines,
               count(*) FILTER (WHERE l.size_so_far > 7000)::int AS omitted
          FROM orders o
          JOIN order_lines l USING (organization_id, invoice, customer_key, campaign_key, type)
         GROUP BY 1, 2, 3, 4, 5
      )
      SELECT o.organization_id,
             CASE WHEN row_number() OVER (PARTITION BY o.organization_id, o.invoice ORDER BY o.first_position) = 1
                  THEN 'tx:' || o.invoice ELSE 'tx:' || o.invoice || '@' || o.first_position END AS id,
             o.type, o.customer_id, o.campaign_id, o."timestamp", o.value,
             jsonb_strip_nulls(jsonb_build_object('invoice', o.invoice, 'country', o.country))
               || jsonb_build_object('lineCount', o.line_count, 'items', o.items, 'lines', k.lines)
               || CASE WHEN k.omitted > 0 THEN jsonb_build_object('linesOmitted', k.omitted) ELSE '{}' END
               AS properties,
             o.received_at, o.invoice, o.customer_key, o.campaign_key, o.type AS order_type
        FROM orders o
        JOIN kept k USING (organization_id, invoice, customer_key, campaign_key, type)`);
    await queryRunner.query(`
      CREATE TEMP TABLE doomed ON COMMIT DROP AS
      SELECT l.organization_id, l.id, l."timestamp", i.id AS order_id
        FROM old_lines l
        JOIN incoming i ON i.organization_id = l.organization_id AND i.invoice = l.invoice
                       AND i.order_type = l.type AND i.customer_key = l.customer_key
                       AND i.campaign_key = l.campaign_key
      UNION ALL
      SELECT e.organization_id, e.id, e."timestamp", e.id
        FROM events e JOIN incoming i ON i.organization_id = e.organization_id AND i.id = e.id`);
    await queryRunner.query(`
      INSERT INTO merged_invoice_lines (organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties, received_at, order_id)
      SELECT e.organization_id, e.id, e.type, e.customer_id, e.campaign_id, e."timestamp", e.value, e.properties, e.received_at, d.order_id
        FROM events e
        JOIN doomed d ON d.organization_id = e.organization_id AND d.id = e.id AND d."timestamp" = e."timestamp"`);
    await replaceEvents(queryRunner);
    await queryRunner.query(`
      INSERT INTO event_ids (organization_id, id, "timestamp")
      SELECT organization_id, id, "timestamp" FROM incoming ORDER BY 1, 2
      ON CONFLICT (organization_id, id) DO UPDATE SET "timestamp" = EXCLUDED."timestamp"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The orders this made, and the events they replaced, back where the orders still are (those
    // of months dropped since by retention stay dropped).
    await queryRunner.query(`
      CREATE TEMP TABLE doomed ON COMMIT DROP AS
      SELECT DISTINCT e.organization_id, e.id, e."timestamp"
        FROM events e JOIN merged_invoice_lines m ON m.organization_id = e.organization_id AND m.order_id = e.id`);
    await queryRunner.query(`
      CREATE TEMP TABLE incoming ON COMMIT DROP AS
      SELECT m.organization_id, m.id, m.type, m.customer_id, m.campaign_id, m."timestamp", m.value, m.properties, m.received_at
        FROM merged_invoice_lines m
       WHERE EXISTS (SELECT 1 FROM doomed d WHERE d.organization_id = m.organization_id AND d.id = m.order_id)`);
    await replaceEvents(queryRunner);
    await queryRunner.query(`
      DELETE FROM event_ids x USING doomed d
       WHERE x.organization_id = d.organization_id AND x.id = d.id
         AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.organization_id = d.organization_id AND i.id = d.id)`);
    await queryRunner.query(`
      INSERT INTO event_ids (organization_id, id, "timestamp")
      SELECT organization_id, id, "timestamp" FROM incoming ORDER BY 1, 2
      ON CONFLICT (organization_id, id) DO UPDATE SET "timestamp" = EXCLUDED."timestamp"`);
    await queryRunner.query(`DROP TABLE merged_invoice_lines`);
  }
}

/**
 * Deletes the events of the temporary table `doomed` (organization_id, id, timestamp), stores
 * those of `incoming` (events' columns), and makes the rollups and customer_activity agree with
 * `events` again for every bucket and day the two touch.
 */
async function replaceEvents(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    CREATE TEMP TABLE touched ON COMMIT DROP AS
    SELECT e.organization_id, e.type, e.customer_id, e.campaign_id, e."timestamp"
      FROM events e
      JOIN doomed d ON d.organization_id = e.organization_id AND d.id = e.id AND d."timestamp" = e."timestamp"
    UNION ALL
    SELECT organization_id, type, customer_id, campaign_id, "timestamp" FROM incoming`);
  await queryRunner.query(`
    DELETE FROM events e USING doomed d
     WHERE d.organization_id = e.organization_id AND d.id = e.id AND d."timestamp" = e."timestamp"`);
  await queryRunner.query(
    `SELECT ensure_event_partition(month) FROM (SELECT DISTINCT date_trunc('month', "timestamp", 'UTC') AS month FROM incoming) AS months`,
  );
  await queryRunner.query(`
    INSERT INTO events (organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties, received_at)
    SELECT organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties, received_at FROM incoming`);

  for (const { table, grain, campaign } of [
    { table: "event_rollups_minute", grain: "minute", campaign: true },
    { table: "event_rollups_hour", grain: "hour", campaign: true },
    { table: "event_type_rollups_hour", grain: "hour", campaign: false },
  ]) {
    const keys = `${table}_keys`;
    await queryRunner.query(`
      CREATE TEMP TABLE ${keys} ON COMMIT DROP AS
      SELECT DISTINCT organization_id, type, ${campaign ? `coalesce(campaign_id, ${NO_CAMPAIGN}) AS campaign_id,` : ""}
             date_trunc('${grain}', "timestamp", 'UTC') AS bucket
        FROM touched`);
    const sameKey = `r.organization_id = k.organization_id AND r.type = k.type AND r.bucket = k.bucket${campaign ? " AND r.campaign_id = k.campaign_id" : ""}`;
    await queryRunner.query(`DELETE FROM ${table} r USING ${keys} k WHERE ${sameKey}`);
    await queryRunner.query(`
      INSERT INTO ${table} (organization_id, type, ${campaign ? "campaign_id, " : ""}bucket, count, value_count, value_sum, value_min, value_max)
      SELECT k.organization_id, k.type, ${campaign ? "k.campaign_id, " : ""}k.bucket,
             count(*), count(e.value), coalesce(sum(e.value), 0), min(e.value), max(e.value)
        FROM ${keys} k
        JOIN events e ON e.organization_id = k.organization_id AND e.type = k.type
                     ${campaign ? `AND coalesce(e.campaign_id, ${NO_CAMPAIGN}) = k.campaign_id` : ""}
                     AND e."timestamp" >= k.bucket AND e."timestamp" < k.bucket + interval '1 ${grain}'
       GROUP BY 1, 2, 3${campaign ? ", 4" : ""}
       ORDER BY 1, 2, 3${campaign ? ", 4" : ""}`);
  }

  // Each (customer, type or '' for every type, UTC day) the events touch: active or not now.
  await queryRunner.query(`
    CREATE TEMP TABLE touched_days ON COMMIT DROP AS
    SELECT d.*, EXISTS (
             SELECT 1 FROM events e
              WHERE e.organization_id = d.organization_id AND e.customer_id = d.customer_id
                AND (d.type = '' OR e.type = d.type)
                AND e."timestamp" >= d.day::timestamp AT TIME ZONE 'UTC'
                AND e."timestamp" < (d.day + 1)::timestamp AT TIME ZONE 'UTC') AS active
      FROM (SELECT DISTINCT t.organization_id, k.type, t.customer_id, (t."timestamp" AT TIME ZONE 'UTC')::date AS day
              FROM touched t CROSS JOIN LATERAL (VALUES (t.type), ('')) AS k(type)
             WHERE t.customer_id IS NOT NULL) AS d`);
  // Its bit in its month's row and in the next month's (bit 32 + day - 1).
  await queryRunner.query(`
    CREATE TEMP TABLE activity_masks ON COMMIT DROP AS
    SELECT organization_id, type, (date_trunc('month', day) + s.shift * interval '1 month')::date AS month, customer_id,
           coalesce(bit_or(1::bigint << (extract(day FROM day)::int - 1 + 32 * s.shift)) FILTER (WHERE active), 0) AS set_bits,
           coalesce(bit_or(1::bigint << (extract(day FROM day)::int - 1 + 32 * s.shift)) FILTER (WHERE NOT active), 0) AS clear_bits
      FROM touched_days CROSS JOIN (VALUES (0), (1)) AS s(shift)
     GROUP BY 1, 2, 3, 4`);
  await queryRunner.query(`
    UPDATE customer_activity a SET days = (a.days & ~m.clear_bits) | m.set_bits
      FROM activity_masks m
     WHERE a.organization_id = m.organization_id AND a.type = m.type AND a.month = m.month AND a.customer_id = m.customer_id`);
  await queryRunner.query(`
    INSERT INTO customer_activity (organization_id, type, month, customer_id, days)
    SELECT organization_id, type, month, customer_id, set_bits FROM activity_masks WHERE set_bits <> 0
     ORDER BY 1, 2, 3, 4
    ON CONFLICT (organization_id, type, month, customer_id) DO NOTHING`);
  await queryRunner.query(`
    DELETE FROM customer_activity a USING activity_masks m
     WHERE a.organization_id = m.organization_id AND a.type = m.type AND a.month = m.month
       AND a.customer_id = m.customer_id AND a.days = 0`);
}
