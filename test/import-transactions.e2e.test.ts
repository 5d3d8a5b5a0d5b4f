import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { parseCliArgs } from "../cli/import/args";
import { ImportError } from "../cli/import/errors";
import { generateTransactionLines } from "../cli/seed/generate-transactions";
import {
  importTransactions,
  type ImportTransactionsOptions,
  type TransactionsSummary,
} from "../cli/import/import-transactions";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { withDatabase } from "#kit/database/database-url";
import { createAnalyticsDataSource } from "../subgraphs/analytics/src/data-source";
import { customerFeatures } from "../subgraphs/analytics/src/modules/features/customer-features";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

const supergraph = useSupergraph();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "import-transactions-e2e-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Row = Record<
  | "InvoiceNo"
  | "StockCode"
  | "Description"
  | "Quantity"
  | "InvoiceDate"
  | "UnitPrice"
  | "CustomerID"
  | "Country",
  string
>;

/** An order as the server should store it: one event per invoice (and customer). */
interface ExpectedOrder {
  type: "purchase" | "refund";
  customer: string;
  cents: number;
  lines: number;
}

/** What the database should hold after importing a file, worked out here from the CSV alone. */
interface Expected {
  dataRows: number;
  /** externalId -> country of the customers with a line to send. */
  customers: Map<string, string>;
  /** Event id (tx:<invoice>) -> the order, for the events the server stores. */
  events: Map<string, ExpectedOrder>;
  /** Orders (purchase events) and cancellations (refund events) stored. */
  purchases: number;
  refunds: number;
  /** Rows the stored events hold. */
  storedRows: number;
  revenueCents: number;
  /**
   * Lines of the rows whose date does not parse, and of those the server refuses (before 2000, in
   * the future).
   */
  badDateLines: number[];
  refusedLines: number[];
}

/**
 * The UCI rules, independently of the importer: every row of the CSV read with csv-parse; an
 * invoice (of one customer, as in these files) is one order.
 */
function expectedFrom(csv: string): Expected {
  const rows = parse(csv, { columns: true }) as Row[];
  const expected: Expected = {
    dataRows: rows.length,
    customers: new Map(),
    events: new Map(),
    purchases: 0,
    refunds: 0,
    storedRows: 0,
    revenueCents: 0,
    badDateLines: [],
    refusedLines: [],
  };
  rows.forEach((row, index) => {
    const line = index + 2; // no value in these files spans lines
    const customer = row.CustomerID.replace(/\.0+$/, "");
    const quantity = Number(row.Quantity);
    const price = Number(row.UnitPrice);
    const cancellation = row.InvoiceNo.startsWith("C");
    if (!customer || (!cancellation && quantity <= 0) || quantity === 0 || price <= 0) return;
    const uci = /^(\d+)\/(\d+)\/(\d{4}) (\d+):(\d+)$/.exec(row.InvoiceDate);
    const time = uci
      ? Date.UTC(+uci[3], +uci[1] - 1, +uci[2], +uci[4], +uci[5])
      : Date.parse(row.InvoiceDate);
    if (Number.isNaN(time)) return expected.badDateLines.push(line);
    if (!expected.customers.has(customer)) expected.customers.set(customer, row.Country);
    if (time < Date.UTC(2000, 0, 1) || time > Date.now()) return expected.refusedLines.push(line);
    const cents = Math.abs(quantity) * Math.round(price * 100);
    const id = `tx:${row.InvoiceNo}`;
    const order = expected.events.get(id);
    if (order) {
      order.cents += cents;
      order.lines++;
    } else
      expected.events.set(id, {
        type: cancellation ? "refund" : "purchase",
        customer,
        cents,
        lines: 1,
      });
  });
  for (const order of expected.events.values()) {
    expected.storedRows += order.lines;
    if (order.type === "refund") expected.refunds++;
    else {
      expected.purchases++;
      expected.revenueCents += order.cents;
    }
  }
  return expected;
}

/**
 * A generated UCI file (a third of the ids written as 17850.0, about 15% of the invoices without a
 * customer, 3% cancelled, some free lines and negative quantities) followed by a line dated
 * 1999 and one dated tomorrow (both refused by the server) and one with a date that does not parse.
 */
async function writeCsv(
  name: string,
  lines: number,
  extra: string[] = [],
): Promise<{ file: string; csv: string; expected: Expected }> {
  const generated = [...generateTransactionLines({ lines, seed: 42, customers: 250 })];
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  const csv = `${[
    ...generated,
    "581001,22139,RETROSPOT TEA SET,2,1/15/1999 10:00,4.95,12346,United Kingdom",
    `581002,22139,RETROSPOT TEA SET,2,${tomorrow},4.95,12346,United Kingdom`,
    "581003,22139,RETROSPOT TEA SET,2,someday,4.95,12346,United Kingdom",
    ...extra,
  ].join("\n")}\n`;
  const file = path.join(dir, name);
  await writeFile(file, csv);
  return { file, csv, expected: expectedFrom(csv) };
}

function importOptions(
  file: string,
  credentials: string[],
  extra: string[] = [],
): ImportTransactionsOptions {
  const command = parseCliArgs(
    [
      "transactions",
      file,
      "--url",
      supergraph.stack.gateway.url,
      ...credentials,
      "--quiet",
      ...extra,
    ],
    {},
  );
  if (command.kind !== "transactions") throw new Error("expected a transactions import");
  return command.options;
}

async function storedEvents(organizationId: string) {
  return supergraph.sql<{
    id: string;
    type: string;
    customer_id: string;
    value: number;
    properties: { lineCount: number; lines: unknown[]; linesOmitted?: number };
  }>(
    "analytics",
    "SELECT id, type, customer_id, value, properties FROM events WHERE organization_id = $1",
    [organizationId],
  );
}

async function storedCustomers(organizationId: string) {
  return supergraph.sql<{
    id: string;
    external_id: string;
    name: string;
    location: string | null;
    updated_at: Date;
  }>(
    "customers",
    "SELECT id, external_id, name, location, updated_at FROM customers WHERE organization_id = $1",
    [organizationId],
  );
}

async function kpis(token: string) {
  const { body } = await supergraph.request<{
    summary: { revenue: { value: number }; orders: { value: number } };
  }>(
    `query($from: DateTime!, $to: DateTime!) { summary(from: $from, to: $to) { revenue { value } orders { value } } }`,
    { token, variables: { from: "2010-01-01T00:00:00Z", to: "2012-01-01T00:00:00Z" } },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.summary;
}

describe("npm run import -- transactions (one order per invoice)", () => {
  let admin: SignedUp;
  let generated: Awaited<ReturnType<typeof writeCsv>>;
  let first: TransactionsSummary;

  beforeAll(async () => {
    admin = await supergraph.signUp();
    generated = await writeCsv("retail.csv", 3_000);
    first = await importTransactions(
      importOptions(generated.file, ["--token", admin.accessToken], ["--batch-size", "700"]),
    );
  });

  it("generated a file with everything the rules cover", () => {
    const { expected } = generated;
    expect(expected.dataRows).toBe(3_003);
    expect(expected.refunds).toBeGreaterThan(3);
    expect(expected.purchases).toBeGreaterThan(100);
    expect(expected.storedRows).toBeGreaterThan(1_500);
    expect(first.skipped["no customer id"]).toBeGreaterThan(100);
    expect(first.skipped["quantity 0 or less (not a cancellation)"]).toBeGreaterThan(0);
    expect(first.skipped["unit price 0 or less"]).toBeGreaterThan(0);
  });

  it("reports what it did, with the refused rows by CSV line", () => {
    const { expected } = generated;
    const skipped = Object.values(first.skipped).reduce((sum, count) => sum + count, 0);
    expect(first).toMatchObject({
      rowsRead: expected.dataRows,
      customers: { created: expected.customers.size, updated: 0, unchanged: 0, rejected: 0 },
      events: {
        sent: expected.events.size + 2,
        rows: expected.storedRows + 2,
        purchases: expected.purchases,
        refunds: expected.refunds,
        accepted: expected.events.size,
        duplicates: 0,
        rejected: 2,
      },
      rowsRejected: 1,
      rejected: 3,
    });
    expect(first.rowsRead).toBe(first.events.rows + skipped + first.rowsRejected);
    expect(first.rejections).toEqual([
      { line: expected.refusedLines[0], field: null, reason: "timestamp is before 2000-01-01." },
      {
        line: expected.refusedLines[1],
        field: null,
        reason: "timestamp is more than 5 minutes in the future.",
      },
      {
        line: expected.badDateLines[0],
        field: "InvoiceDate",
        reason: expect.stringMatching(
          /^InvoiceDate is not a date like 12\/1\/2010 8:26 .*: 'someday'\.$/,
        ),
      },
    ]);
  });

  it("creates each customer once, named after its id and located in its country", async () => {
    const customers = await storedCustomers(admin.organizationId);
    expect(customers).toHaveLength(generated.expected.customers.size);
    for (const customer of customers) {
      expect(customer.location).toBe(generated.expected.customers.get(customer.external_id));
      expect(customer.name).toBe(`Customer ${customer.external_id}`);
    }
  });

  it("stores one purchase or refund per invoice, with the invoice's id, customer, total and lines", async () => {
    const { expected } = generated;
    const customerIds = new Map(
      (await storedCustomers(admin.organizationId)).map((customer) => [
        customer.id,
        customer.external_id,
      ]),
    );
    const events = await storedEvents(admin.organizationId);
    expect(events).toHaveLength(expected.events.size);
    expect(events.filter((event) => event.type === "purchase")).toHaveLength(expected.purchases);
    expect(events.filter((event) => event.type === "refund")).toHaveLength(expected.refunds);
    for (const event of events) {
      const wanted = expected.events.get(event.id);
      expect({
        id: event.id,
        type: event.type,
        customer: customerIds.get(event.customer_id),
        cents: Math.round(event.value * 100),
        lines: event.properties.lineCount,
      }).toEqual({ id: event.id, ...wanted });
      expect(event.properties.lines.length + (event.properties.linesOmitted ?? 0)).toBe(
        wanted!.lines,
      );
    }
    const [revenue] = await supergraph.sql<{ cents: string }>(
      "analytics",
      "SELECT round(sum(value)::numeric * 100)::text AS cents FROM events WHERE organization_id = $1 AND type = 'purchase'",
      [admin.organizationId],
    );
    expect(Number(revenue.cents)).toBe(expected.revenueCents);
  });

  it("gives through the gateway a revenue of the purchases only, and as many orders", async () => {
    const summary = await kpis(admin.accessToken);
    expect(summary.orders.value).toBe(generated.expected.purchases);
    expect(summary.revenue.value).toBeCloseTo(generated.expected.revenueCents / 100, 2);
  });

  it("stores nothing new when the same file is imported again", async () => {
    const customersBefore = await storedCustomers(admin.organizationId);
    const again = await importTransactions(
      importOptions(generated.file, ["--token", admin.accessToken]),
    );
    expect(again).toMatchObject({
      customers: {
        created: 0,
        updated: 0,
        unchanged: generated.expected.customers.size,
        rejected: 0,
      },
      events: { accepted: 0, duplicates: generated.expected.events.size, rejected: 2 },
    });
    expect(await storedCustomers(admin.organizationId)).toEqual(
      expect.arrayContaining(customersBefore),
    );
    expect(await storedEvents(admin.organizationId)).toHaveLength(generated.expected.events.size);
    expect((await kpis(admin.accessToken)).orders.value).toBe(generated.expected.purchases);
  });
});

/** A customer's RFM features by the textbook: invoices, their sum and days since the last. */
interface TextbookRfm {
  frequency: number;
  monetary: number;
  recency: number;
}

/**
 * The textbook RFM of the file's customers in plain SQL over the file's rows (loaded as they are
 * into a temporary table): the rows of invoices not starting with "C", with a customer id, a
 * quantity and a unit price above 0; frequency = distinct invoices, monetary = sum of quantity x
 * unit price, recency = days from the last invoice to `asOf` (the day after the file's last
 * invoice).
 */
async function textbookRfm(csv: string): Promise<{
  asOf: Date;
  byCustomer: Map<string, TextbookRfm>;
  orders: number;
  revenue: number;
}> {
  const rows = parse(csv, { columns: true }) as Row[];
  const client = new Client({
    connectionString: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
  });
  await client.connect();
  try {
    await client.query("SET TIME ZONE 'UTC'");
    await client.query(
      "CREATE TEMP TABLE file_rows (invoice text, stock_code text, description text, quantity numeric, invoice_date text, unit_price numeric, customer text, country text)",
    );
    const columns: (keyof Row)[] = [
      "InvoiceNo",
      "StockCode",
      "Description",
      "Quantity",
      "InvoiceDate",
      "UnitPrice",
      "CustomerID",
      "Country",
    ];
    await client.query(
      "INSERT INTO file_rows SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::numeric[], $7::text[], $8::text[])",
      columns.map((column) => rows.map((row) => row[column])),
    );
    const sales = `
      sales AS (
        SELECT invoice, regexp_replace(customer, '\\.0+$', '') AS customer, quantity * unit_price AS amount,
               to_timestamp(invoice_date, 'MM/DD/YYYY HH24:MI') AS invoiced_at
          FROM file_rows
         WHERE invoice NOT LIKE 'C%' AND customer <> '' AND quantity > 0 AND unit_price > 0)`;
    const [totals] = (
      await client.query(
        `WITH ${sales} SELECT count(DISTINCT invoice)::int AS orders, sum(amount)::float8 AS revenue, max(invoiced_at) + interval '1 day' AS as_of FROM sales`,
      )
    ).rows;
    const perCustomer = (
      await client.query(
        `WITH ${sales}
         SELECT customer, count(DISTINCT invoice)::int AS frequency, sum(amount)::float8 AS monetary,
                (extract(epoch FROM $1::timestamptz - max(invoiced_at)) / 86400)::float8 AS recency
           FROM sales GROUP BY customer`,
        [totals.as_of],
      )
    ).rows as ({ customer: string } & TextbookRfm)[];
    return {
      asOf: totals.as_of,
      orders: totals.orders,
      revenue: totals.revenue,
      byCustomer: new Map(perCustomer.map(({ customer, ...rfm }) => [customer, rfm])),
    };
  } finally {
    await client.end();
  }
}

describe("orders, their metrics and the RFM features of an imported file equal the textbook's", () => {
  let admin: SignedUp;
  let textbook: Awaited<ReturnType<typeof textbookRfm>>;
  /** externalId -> customer id. */
  let ids: Map<string, string>;
  let dataSource: DataSource;

  beforeAll(async () => {
    admin = await supergraph.signUp();
    const generated = [...generateTransactionLines({ lines: 4_000, seed: 7, customers: 200 })];
    // Further lines of a sale and of a cancellation, after every other line: still one order each.
    const row = (prefix: string) =>
      generated.find((line) => line.startsWith(prefix) && !/,,[^,]*$/.test(line))!.split(",");
    const sale = row("53");
    const cancellation = row("C");
    const csv = `${[
      ...generated,
      [sale[0], "22139", "RETROSPOT TEA SET", "2", sale[4], "4.95", sale[6], sale[7]].join(","),
      [cancellation[0], "22139", "RETROSPOT TEA SET", "-1", cancellation[4], "4.95"]
        .concat(cancellation.slice(6))
        .join(","),
    ].join("\n")}\n`;
    const file = path.join(dir, "textbook.csv");
    await writeFile(file, csv);
    textbook = await textbookRfm(csv);
    const summary = await importTransactions(
      importOptions(file, ["--token", admin.accessToken], ["--batch-size", "500"]),
    );
    expect(summary.events).toMatchObject({ rejected: 0, purchases: textbook.orders });
    ids = new Map(
      (await storedCustomers(admin.organizationId)).map((customer) => [
        customer.external_id,
        customer.id,
      ]),
    );
    dataSource = await createAnalyticsDataSource(
      withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
    ).initialize();
  });

  afterAll(() => dataSource?.destroy());

  it("covers multi-line invoices, cancellations and customers with several invoices", () => {
    expect(textbook.byCustomer.size).toBeGreaterThan(100);
    expect(textbook.orders).toBeGreaterThan(150);
    expect([...textbook.byCustomer.values()].some((rfm) => rfm.frequency > 1)).toBe(true);
    expect(textbook.orders).toBeLessThan(4_000 / 10);
  });

  it("gives every customer the textbook recency, frequency and monetary value", async () => {
    const features = await customerFeatures(dataSource, admin.organizationId, textbook.asOf, true);
    const byExternalId = new Map([...ids].map(([externalId, id]) => [id, externalId]));
    expect(features).toHaveLength(textbook.byCustomer.size);
    for (const row of features) {
      const wanted = textbook.byCustomer.get(byExternalId.get(row.customerId)!);
      expect(wanted).toBeDefined();
      expect(row.frequency).toBe(wanted!.frequency);
      expect(row.monetary).toBeCloseTo(wanted!.monetary, 6);
      expect(row.recency).toBeCloseTo(wanted!.recency, 9);
      expect(row.average_order_value).toBeCloseTo(wanted!.monetary / wanted!.frequency, 6);
    }
  });

  it("counts invoices in CustomerStats.orders, totalSpent and averageOrderValue", async () => {
    const externalIds = [...ids.keys()];
    const { body } = await supergraph.request<{
      customersByExternalIds: {
        externalId: string;
        stats: { orders: number; totalSpent: number; averageOrderValue: number };
      }[];
    }>(
      `query($ids: [String!]!) { customersByExternalIds(externalIds: $ids) { externalId stats { orders totalSpent averageOrderValue } } }`,
      { token: admin.accessToken, variables: { ids: externalIds } },
    );
    expect(body.errors).toBeUndefined();
    for (const { externalId, stats } of body.data!.customersByExternalIds) {
      const wanted = textbook.byCustomer.get(externalId);
      // A customer with cancellations only has no order.
      const orders = wanted?.frequency ?? 0;
      const spent = wanted?.monetary ?? 0;
      expect(stats.orders).toBe(orders);
      expect(stats.totalSpent).toBe(Math.round(spent * 100) / 100);
      // Rounded to cents (a half cent may round either way in binary floating point).
      expect(Math.abs(stats.averageOrderValue - (orders ? spent / orders : 0))).toBeLessThan(
        0.005 + 1e-9,
      );
    }
  });

  it("counts invoices in the orders metric (rollups and raw events) and in summary", async () => {
    const { body } = await supergraph.request<{
      timeseries: { total: number };
      aggregate: { values: { metric: string; value: number }[] }[];
      summary: { orders: { value: number }; averageOrderValue: { value: number } };
    }>(
      `{ timeseries(metric: "orders", from: "2010-01-01T00:00:00Z", to: "2012-01-01T00:00:00Z", interval: MONTH) { total }
         aggregate(metrics: ["orders", "revenue", "average_order_value"], from: "2010-01-01T00:00:00.500Z", to: "2012-01-01T00:00:00Z") { values { metric value } }
         summary(from: "2010-01-01T00:00:00Z", to: "2012-01-01T00:00:00Z") { orders { value } averageOrderValue { value } } }`,
      { token: admin.accessToken },
    );
    expect(body.errors).toBeUndefined();
    const { timeseries, aggregate, summary } = body.data!;
    expect(timeseries.total).toBe(textbook.orders);
    const raw = Object.fromEntries(aggregate[0].values.map((v) => [v.metric, v.value]));
    expect(raw.orders).toBe(textbook.orders);
    expect(raw.revenue).toBeCloseTo(textbook.revenue, 6);
    expect(raw.average_order_value).toBeCloseTo(textbook.revenue / textbook.orders, 6);
    expect(summary.orders.value).toBe(textbook.orders);
    expect(summary.averageOrderValue.value).toBeCloseTo(textbook.revenue / textbook.orders, 6);
  });
});

describe("API keys", () => {
  it("imports with CUSTOMERS_WRITE, EVENTS_WRITE and READ, and says what is missing without READ", async () => {
    const admin = await supergraph.signUp();
    const createKey = async (scopes: string) => {
      const { body } = await supergraph.request<{ createApiKey: { secret: string } }>(
        `mutation { createApiKey(name: "shop import", scopes: [${scopes}]) { secret } }`,
        {
          token: admin.accessToken,
        },
      );
      return body.data!.createApiKey.secret;
    };
    const file = path.join(dir, "few.csv");
    await writeFile(
      file,
      [
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom",
        "C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527.0,France",
      ].join("\n"),
    );

    const withoutRead = await importTransactions(
      importOptions(file, ["--api-key", await createKey("CUSTOMERS_WRITE, EVENTS_WRITE")]),
    ).catch((caught: unknown) => caught);
    expect(withoutRead).toBeInstanceOf(ImportError);
    expect((withoutRead as Error).message).toMatch(
      /^Looking up the customers failed: .*\(FORBIDDEN\)\nA transactions import reads the customers' ids: .*CUSTOMERS_WRITE, EVENTS_WRITE and READ scopes\.$/,
    );

    const summary = await importTransactions(
      importOptions(file, ["--api-key", await createKey("CUSTOMERS_WRITE, EVENTS_WRITE, READ")]),
    );
    expect(summary).toMatchObject({
      customers: { created: 2 },
      events: { accepted: 2, purchases: 1, refunds: 1 },
    });
    const customers = await storedCustomers(admin.organizationId);
    expect(customers.map((customer) => [customer.external_id, customer.location]).sort()).toEqual([
      ["14527", "France"],
      ["17850", "United Kingdom"],
    ]);
  });
});
