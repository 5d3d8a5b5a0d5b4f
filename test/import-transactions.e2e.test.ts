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
import { useSupergraph, type SignedUp } from "./support/supergraph";

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

/** What the database should hold after importing a file, worked out here from the CSV alone. */
interface Expected {
  dataRows: number;
  /** externalId -> country of the customers with a line to send. */
  customers: Map<string, string>;
  /** Event id -> type, customer externalId and value in cents, for the events the server stores. */
  events: Map<string, { type: "purchase" | "refund"; customer: string; cents: number }>;
  purchases: number;
  refunds: number;
  revenueCents: number;
  /**
   * Lines of the rows whose date does not parse, and of those the server refuses (before 2000, in
   * the future).
   */
  badDateLines: number[];
  refusedLines: number[];
  /** Invoices with at least one line stored. */
  invoices: Set<string>;
}

/** The UCI rules, independently of the importer: every row of the CSV read with csv-parse. */
function expectedFrom(csv: string): Expected {
  const rows = parse(csv, { columns: true }) as Row[];
  const expected: Expected = {
    dataRows: rows.length,
    customers: new Map(),
    events: new Map(),
    purchases: 0,
    refunds: 0,
    revenueCents: 0,
    badDateLines: [],
    refusedLines: [],
    invoices: new Set(),
  };
  const rowsPerInvoice = new Map<string, number>();
  rows.forEach((row, index) => {
    const line = index + 2; // no value in these files spans lines
    const position = (rowsPerInvoice.get(row.InvoiceNo) ?? 0) + 1;
    rowsPerInvoice.set(row.InvoiceNo, position);
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
    const type = cancellation ? "refund" : "purchase";
    expected.events.set(`tx:${row.InvoiceNo}:${position}`, { type, customer, cents });
    expected.invoices.add(row.InvoiceNo);
    if (cancellation) expected.refunds++;
    else {
      expected.purchases++;
      expected.revenueCents += cents;
    }
  });
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
  return supergraph.sql<{ id: string; type: string; customer_id: string; value: number }>(
    "analytics",
    "SELECT id, type, customer_id, value FROM events WHERE organization_id = $1",
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

describe("npm run import -- transactions (one event per line)", () => {
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
    expect(expected.refunds).toBeGreaterThan(10);
    expect(expected.purchases).toBeGreaterThan(1_500);
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
        purchases: expected.purchases,
        refunds: expected.refunds,
        accepted: expected.events.size,
        duplicates: 0,
        rejected: 2,
      },
      rowsRejected: 1,
      rejected: 3,
    });
    expect(first.rowsRead).toBe(first.events.sent + skipped + first.rowsRejected);
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

  it("stores one purchase or refund per line, with the line's id, customer and value", async () => {
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
      }).toEqual({ id: event.id, ...wanted });
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

describe("npm run import -- transactions --per-invoice", () => {
  it("stores one event per invoice, worth its total, and one more for an invoice whose lines come apart", async () => {
    const admin = await supergraph.signUp();
    // A further line of the first sale, after every other line: its own event tx:<invoice>#2.
    const probe = expectedFrom(
      [...generateTransactionLines({ lines: 2_000, seed: 42, customers: 250 })].join("\n"),
    );
    const [firstId, firstEvent] = [...probe.events.entries()].find(
      ([, event]) => event.type === "purchase",
    )!;
    const invoice = firstId.split(":")[1];
    const customer = firstEvent.customer;
    const { file, expected } = await writeCsv("retail-invoices.csv", 2_000, [
      `${invoice},22139,RETROSPOT TEA SET,2,12/1/2010 8:26,1.00,${customer},United Kingdom`,
    ]);

    const summary = await importTransactions(
      importOptions(file, ["--token", admin.accessToken], ["--per-invoice"]),
    );
    expect(summary).toMatchObject({
      splitInvoices: 1,
      events: { accepted: expected.invoices.size + 1, rejected: 2 },
    });

    const events = await storedEvents(admin.organizationId);
    expect(events).toHaveLength(expected.invoices.size + 1);
    expect(new Set(events.map((event) => event.id))).toEqual(
      new Set([...[...expected.invoices].map((id) => `tx:${id}`), `tx:${invoice}#2`]),
    );
    expect(events.find((event) => event.id === `tx:${invoice}#2`)).toMatchObject({
      type: "purchase",
      value: 2,
    });
    const purchases = events.filter((event) => event.type === "purchase");
    const revenueCents = purchases.reduce((sum, event) => sum + Math.round(event.value * 100), 0);
    expect(revenueCents).toBe(expected.revenueCents);

    const kpi = await kpis(admin.accessToken);
    expect(kpi.orders.value).toBe(purchases.length);
    expect(kpi.revenue.value).toBeCloseTo(expected.revenueCents / 100, 2);

    const again = await importTransactions(
      importOptions(file, ["--token", admin.accessToken], ["--per-invoice"]),
    );
    expect(again.events).toMatchObject({ accepted: 0, duplicates: expected.invoices.size + 1 });
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
