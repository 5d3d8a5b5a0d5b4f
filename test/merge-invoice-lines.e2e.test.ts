import { randomUUID } from "node:crypto";
import { parse } from "csv-parse/sync";
import type { DataSource, QueryRunner } from "typeorm";
import { generateTransactionLines } from "../cli/seed/generate-transactions";
import { OrderGrouping, type PendingEvent } from "../cli/import/transaction-events";
import { TransactionRowReader } from "../cli/import/transaction-rows";
import { resolveTransactionColumns } from "../cli/import/transaction-columns";
import { MergeInvoiceLineEvents1763900020000 } from "../subgraphs/analytics/migrations/1763900020000-MergeInvoiceLineEvents";
import { validateEvent } from "../subgraphs/analytics/src/modules/ingest/event-validation";
import type { EventInput } from "../subgraphs/analytics/src/modules/ingest/event.input";
import { ingestEvents } from "../subgraphs/analytics/src/modules/ingest/ingest-events";
import {
  createScratchAnalyticsDatabase,
  type ScratchAnalyticsDatabase,
} from "./support/scratch-analytics-database";

/**
 * Migration 1763900020000 on an organization imported the old way (one event per CSV line, as the
 * importer sent them then), on a scratch analytics database: afterwards an invoice is one order,
 * the rollups and customer_activity agree with the events, importing the file again (now, or the
 * old way) stores nothing, and `down()` puts the line events back.
 */
let database: ScratchAnalyticsDatabase;
let scratch: DataSource;
const migration = new MergeInvoiceLineEvents1763900020000();

type Row = Record<
  "InvoiceNo" | "StockCode" | "Description" | "Quantity" | "InvoiceDate" | "UnitPrice",
  string
> &
  Record<"CustomerID" | "Country", string>;

beforeAll(async () => {
  database = await createScratchAnalyticsDatabase("merge_lines");
  scratch = database.dataSource;
  // The scratch database has every migration: take this one back to the state before it.
  await inTransaction((runner) => migration.down(runner));
});

afterAll(() => database?.drop());

async function inTransaction(work: (runner: QueryRunner) => Promise<void>): Promise<void> {
  const runner = scratch.createQueryRunner();
  try {
    await runner.startTransaction();
    await work(runner);
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}

const organizationId = randomUUID();
const otherOrganizationId = randomUUID();
const customerIds = new Map<string, string>();
const customerOf = (externalId: string) => {
  if (!customerIds.has(externalId)) customerIds.set(externalId, randomUUID());
  return customerIds.get(externalId)!;
};

/** A generated file, with one invoice's lines spread over two days and a page_view beside them. */
function file(): string {
  const lines = [...generateTransactionLines({ lines: 1_500, seed: 11, customers: 60 })];
  const sale = lines.find((line) => /^53\d+,/.test(line) && !/,,[^,]*$/.test(line))!.split(",");
  lines.push(
    [sale[0], "22139", "RETROSPOT TEA SET", "2", "12/3/2010 10:00", "4.95", ...sale.slice(6)].join(
      ",",
    ),
  );
  return `${lines.join("\n")}\n`;
}
const csv = file();

/** What the importer sent per CSV line before invoices were orders (its cells trimmed). */
function oldLineEvents(): EventInput[] {
  const rows = parse(csv, { columns: true }) as Row[];
  const positions = new Map<string, number>();
  const events: EventInput[] = [];
  for (const row of rows) {
    const position = (positions.get(row.InvoiceNo) ?? 0) + 1;
    positions.set(row.InvoiceNo, position);
    const customer = row.CustomerID.replace(/\.0+$/, "");
    const quantity = Number(row.Quantity);
    const cancellation = row.InvoiceNo.startsWith("C");
    if (
      !customer ||
      quantity === 0 ||
      (!cancellation && quantity < 0) ||
      Number(row.UnitPrice) <= 0
    )
      continue;
    const [month, day, year, hour, minute] = row.InvoiceDate.split(/[/ :]/).map(Number);
    events.push({
      id: `tx:${row.InvoiceNo}:${position}`,
      type: cancellation ? "refund" : "purchase",
      customerId: customerOf(customer),
      timestamp: new Date(Date.UTC(year, month - 1, day, hour, minute)),
      value: (Math.abs(quantity) * Math.round(Number(row.UnitPrice) * 100)) / 100,
      properties: {
        invoice: row.InvoiceNo,
        stockCode: row.StockCode.trim(),
        description: row.Description.trim(),
        quantity,
        unitPrice: Number(row.UnitPrice),
        country: row.Country,
      },
    });
  }
  return events;
}

/** What the importer sends now for the same file. */
function orderEvents(): EventInput[] {
  const rows = parse(csv, { columns: true }) as Row[];
  const columns = resolveTransactionColumns(Object.keys(rows[0]), {});
  const read = (reader: TransactionRowReader) =>
    rows.flatMap((row, index) => {
      const outcome = reader.read(row, index + 2);
      return outcome.kind === "line" ? [outcome.line] : [];
    });
  const options = { dateFormat: "mdy" as const, timezone: "UTC" };
  const lines = read(new TransactionRowReader(columns, options));
  const grouping = new OrderGrouping(new Map(lines.map((line) => [line.invoice, line.line])));
  const pending: PendingEvent[] = lines.flatMap((line) => grouping.add(line));
  return pending.map((event) => ({
    ...event.input,
    customerId: customerOf(event.customer),
    timestamp: new Date(event.input.timestamp),
    properties: event.input.properties as unknown as Record<string, unknown>,
  }));
}

async function ingest(organization: string, events: EventInput[]): Promise<number> {
  const now = Date.now();
  let stored = 0;
  for (let i = 0; i < events.length; i += 500) {
    const rows = events.slice(i, i + 500).map((event) => {
      const result = validateEvent(event, now);
      if (!("row" in result)) throw new Error(result.reason);
      return result.row;
    });
    stored += (await ingestEvents(scratch, organization, rows)).length;
  }
  return stored;
}

/** The invoices per customer id by the CSV: the textbook frequency, and the sales in cents. */
function invoicesByCustomer(): Map<string, { invoices: Set<string>; cents: number }> {
  const result = new Map<string, { invoices: Set<string>; cents: number }>();
  for (const event of oldLineEvents()) {
    if (event.type !== "purchase") continue;
    const entry = result.get(event.customerId!) ?? { invoices: new Set<string>(), cents: 0 };
    entry.invoices.add((event.properties as { invoice: string }).invoice);
    entry.cents += Math.round(event.value! * 100);
    result.set(event.customerId!, entry);
  }
  return result;
}

/** Rows of the rollups and customer_activity that differ from a computation over `events`. */
async function derivedMismatches(): Promise<Record<string, number>> {
  const count = async (sql: string) => Number((await scratch.query(sql))[0].n);
  const rollup = (table: string, grain: string, campaign: boolean) => {
    const key = campaign
      ? "organization_id, type, coalesce(campaign_id, '00000000-0000-0000-0000-000000000000'::uuid), date_trunc('" +
        grain +
        "', \"timestamp\", 'UTC')"
      : `organization_id, type, date_trunc('${grain}', "timestamp", 'UTC')`;
    const columns = campaign
      ? "organization_id, type, campaign_id, bucket"
      : "organization_id, type, bucket";
    const fresh = `SELECT ${key}, count(*), count(value), round(coalesce(sum(value), 0)::numeric, 6), min(value), max(value) FROM events GROUP BY ${campaign ? "1, 2, 3, 4" : "1, 2, 3"}`;
    const stored = `SELECT ${columns}, count, value_count, round(value_sum::numeric, 6), value_min, value_max FROM ${table}`;
    return count(
      `SELECT count(*) AS n FROM ((${fresh} EXCEPT ${stored}) UNION ALL (${stored} EXCEPT ${fresh})) x`,
    );
  };
  const activity = `
    SELECT e.organization_id, k.type, (date_trunc('month', e."timestamp" AT TIME ZONE 'UTC') + s.shift * interval '1 month')::date AS month,
           e.customer_id, bit_or(1::bigint << (extract(day FROM e."timestamp" AT TIME ZONE 'UTC')::int - 1 + 32 * s.shift)) AS days
      FROM events e CROSS JOIN LATERAL (VALUES (e.type), ('')) AS k(type) CROSS JOIN (VALUES (0), (1)) AS s(shift)
     WHERE e.customer_id IS NOT NULL GROUP BY 1, 2, 3, 4`;
  const storedActivity = `SELECT organization_id, type, month, customer_id, days FROM customer_activity`;
  return {
    minute: await rollup("event_rollups_minute", "minute", true),
    hour: await rollup("event_rollups_hour", "hour", true),
    typeHour: await rollup("event_type_rollups_hour", "hour", false),
    activity: await count(
      `SELECT count(*) AS n FROM ((${activity} EXCEPT ${storedActivity}) UNION ALL (${storedActivity} EXCEPT ${activity})) x`,
    ),
  };
}

const NONE = { minute: 0, hour: 0, typeHour: 0, activity: 0 };

async function eventsOf(organization: string) {
  return (await scratch.query(
    `SELECT id, type, customer_id, "timestamp", value, properties FROM events WHERE organization_id = $1 ORDER BY id`,
    [organization],
  )) as {
    id: string;
    type: string;
    customer_id: string;
    timestamp: Date;
    value: number;
    properties: Record<string, unknown>;
  }[];
}

describe("merging the line events of an organization imported one event per line", () => {
  let before: Awaited<ReturnType<typeof eventsOf>>;
  const old = oldLineEvents();

  beforeAll(async () => {
    expect(await ingest(organizationId, old)).toBe(old.length);
    // The same rows once more the old --per-invoice way (the importer said that counts twice), a
    // page view on the day of a line that moves, and another organization's events (not lines).
    const spread = old.find((event) => event.timestamp.getUTCDate() === 3)!;
    await ingest(organizationId, [
      {
        id: `tx:${(spread.properties as { invoice: string }).invoice}`,
        type: "purchase",
        customerId: spread.customerId,
        timestamp: spread.timestamp,
        value: 1,
        properties: { invoice: "x", lines: 1, items: 2 },
      },
      {
        id: "view-1",
        type: "page_view",
        customerId: old[0].customerId,
        timestamp: old[0].timestamp,
      },
    ]);
    await ingest(otherOrganizationId, [
      { id: "tx:1:1", type: "purchase", customerId: randomUUID(), timestamp: new Date(), value: 3 },
    ]);
    before = await eventsOf(organizationId);
    expect(await derivedMismatches()).toEqual(NONE);
    await inTransaction((runner) => migration.up(runner));
  });

  it("makes one order per invoice and customer, worth its lines, at its latest line", async () => {
    const events = await eventsOf(organizationId);
    const expected = invoicesByCustomer();
    const purchases = events.filter((event) => event.type === "purchase");
    expect(purchases).toHaveLength(
      [...expected.values()].reduce((sum, entry) => sum + entry.invoices.size, 0),
    );
    for (const [customer, entry] of expected) {
      const own = purchases.filter((event) => event.customer_id === customer);
      expect(new Set(own.map((event) => event.id))).toEqual(
        new Set([...entry.invoices].map((invoice) => `tx:${invoice}`)),
      );
      expect(own.reduce((sum, event) => sum + Math.round(event.value * 100), 0)).toBe(entry.cents);
    }
    const moved = events.find(
      (event) => (event.properties.lineCount as number) > 1 && event.timestamp.getUTCDate() === 3,
    );
    expect(moved).toBeDefined();
    const refunds = events.filter((event) => event.type === "refund");
    expect(refunds.length).toBeGreaterThan(0);
    expect(refunds.every((event) => /^tx:C\d+$/.test(event.id))).toBe(true);
    expect(events.filter((event) => event.type === "page_view")).toHaveLength(1);
  });

  it("gives each order the properties the importer sends now, and the same ids", async () => {
    const stored = new Map((await eventsOf(organizationId)).map((event) => [event.id, event]));
    const now = orderEvents();
    expect(new Set(now.map((event) => event.id))).toEqual(
      new Set([...stored.keys()].filter((id) => id !== "view-1")),
    );
    for (const event of now) {
      const merged = stored.get(event.id!)!;
      expect(merged.type).toBe(event.type);
      expect(merged.customer_id).toBe(event.customerId);
      expect(merged.timestamp.toISOString()).toBe(event.timestamp.toISOString());
      expect(merged.value).toBe(event.value);
      const { lines, ...rest } = event.properties as { lines: unknown[] };
      expect(merged.properties).toMatchObject(rest);
      expect(merged.properties.lines).toEqual(lines);
    }
  });

  it("leaves the rollups and customer_activity equal to what the events give", async () => {
    expect(await derivedMismatches()).toEqual(NONE);
  });

  it("stores nothing when the file is imported again, now or the old way", async () => {
    expect(await ingest(organizationId, orderEvents())).toBe(0);
    expect(await ingest(organizationId, oldLineEvents())).toBe(0);
  });

  it("leaves other organizations' events alone", async () => {
    expect((await eventsOf(otherOrganizationId)).map((event) => event.id)).toEqual(["tx:1:1"]);
  });

  it("puts the line events back on down(), with rollups and customer_activity to match", async () => {
    await inTransaction((runner) => migration.down(runner));
    const after = await eventsOf(organizationId);
    expect(after).toEqual(before);
    expect(await derivedMismatches()).toEqual(NONE);
    await inTransaction((runner) => migration.up(runner));
    expect(await derivedMismatches()).toEqual(NONE);
  });
});
