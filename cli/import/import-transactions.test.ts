import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CustomerInput } from "./column-mapping";
import { ImportError, UsageError } from "./errors";
import { importTransactions, type ImportTransactionsOptions } from "./import-transactions";
import { formatTransactionsSummary } from "./summary";
import type { EventInput } from "./transaction-events";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "import-transactions-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function csvFile(lines: string[]): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

type StoredCustomer = Omit<CustomerInput, "email" | "age" | "location"> & {
  id: string;
  externalId: string;
  email?: string | null;
  age?: number | null;
  location?: string | null;
};
type Call = { operation: "lookup" | "upsert" | "track"; size: number };

/**
 * A stand-in for the gateway: customersByExternalIds, upsertCustomers (creates, updates when
 * something differs, else unchanged; rejects a location of "INVALID") and trackEvents (stores by
 * id, rejects timestamps before 2000). Checks that every event's customerId exists when it
 * arrives, and records the calls and how many trackEvents overlap.
 */
function fakeGateway() {
  const customers = new Map<string, StoredCustomer>();
  const customerIds = new Set<string>();
  const events = new Map<string, EventInput>();
  const calls: Call[] = [];
  const problems: string[] = [];
  let tracking = 0;
  let maxTracking = 0;
  const respond = (data: unknown) => new Response(JSON.stringify({ data }));
  const fetch = (async (_url: string, init: RequestInit) => {
    const { query, variables } = JSON.parse(init.body as string) as {
      query: string;
      variables: Record<string, any>;
    };
    if (query.includes("customersByExternalIds")) {
      const ids = variables.externalIds as string[];
      calls.push({ operation: "lookup", size: ids.length });
      if (ids.length > 1_000) throw new Error("more than 1,000 ids");
      return respond({ customersByExternalIds: ids.map((id) => customers.get(id) ?? null) });
    }
    if (query.includes("upsertCustomers")) {
      const input = variables.input as StoredCustomer[];
      calls.push({ operation: "upsert", size: input.length });
      const result = {
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: [] as { index: number; reason: string; field: string }[],
      };
      input.forEach((customer, index) => {
        if (customer.location === "INVALID")
          return result.rejected.push({
            index,
            field: "location",
            reason: "location is not valid.",
          });
        const existing = customers.get(customer.externalId);
        if (!existing) {
          const id = randomUUID();
          customerIds.add(id);
          customers.set(customer.externalId, {
            email: null,
            age: null,
            attributes: {},
            ...customer,
            id,
          } as StoredCustomer);
          return result.created++;
        }
        const updated = { ...existing, ...customer, id: existing.id };
        if (JSON.stringify(updated) === JSON.stringify(existing)) return result.unchanged++;
        customers.set(customer.externalId, updated);
        return result.updated++;
      });
      return respond({ upsertCustomers: result });
    }
    const batch = variables.events as EventInput[];
    calls.push({ operation: "track", size: batch.length });
    tracking++;
    maxTracking = Math.max(maxTracking, tracking);
    await new Promise((resolve) => setTimeout(resolve, 40));
    tracking--;
    const result = {
      accepted: 0,
      duplicates: 0,
      rejected: [] as { index: number; reason: string }[],
    };
    batch.forEach((event, index) => {
      if (!customerIds.has(event.customerId!))
        problems.push(`${event.id} refers to unknown customer ${event.customerId}`);
      if (event.timestamp < "2000")
        return result.rejected.push({ index, reason: "timestamp is before 2000-01-01." });
      if (events.has(event.id)) return result.duplicates++;
      events.set(event.id, event);
      return result.accepted++;
    });
    return respond({ trackEvents: result });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, customers, events, calls, problems, maxTracking: () => maxTracking };
}

function optionsFor(
  file: string,
  fetch: typeof globalThis.fetch,
  overrides: Partial<ImportTransactionsOptions> = {},
): ImportTransactionsOptions {
  return {
    file,
    url: "http://gateway.test/graphql",
    credentials: { kind: "token", token: "t" },
    columns: {},
    dateFormat: "mdy",
    timezone: "UTC",
    batchSize: 3,
    customerBatchSize: 2,
    delimiter: ",",
    quiet: true,
    fetch,
    ...overrides,
  };
}

const UCI = [
  "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
  "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom", // 2
  "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom", // 3
  "536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,17850,United Kingdom", // 4: same customer
  "536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,12/1/2010 8:34,1.69,13047,France", // 5
  "536368,22960,JAM MAKING SET WITH JARS,6,12/1/1999 8:34,4.25,13047,France", // 6: refused by the server (before 2000)
  "536369,21756,BATH BUILDING BLOCK WORD,3,12/1/2010 8:35,5.95,,United Kingdom", // 7: no customer
  "536370,22728,ALARM CLOCK BAKELIKE PINK,-24,12/1/2010 8:45,3.75,12583,Germany", // 8: quantity <= 0
  "536370,22727,ALARM CLOCK BAKELIKE RED,24,12/1/2010 8:45,0,12583,Germany", // 9: free
  "536370,22726,ALARM CLOCK BAKELIKE GREEN,12,31/12/2010 8:45,3.75,12583,Germany", // 10: bad date
  "C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom", // 11: refund
  "536380,22961,JAM MAKING SET PRINTED,24,12/1/2010 9:41,1.45,99999,INVALID", // 12: customer refused by the server
  "536381,22139,RETROSPOT TEA SET,3,2010-12-01 09:45:00,4.95,15311,United Kingdom", // 13: an ISO date
];

describe("importTransactions", () => {
  it("creates each customer once before its events, sends each invoice as one purchase or refund, and reports by line", async () => {
    const gateway = fakeGateway();
    const file = await csvFile(UCI);
    const summary = await importTransactions(optionsFor(file, gateway.fetch));

    expect(gateway.problems).toEqual([]);
    expect(gateway.maxTracking()).toBe(2);
    expect(
      [...gateway.customers.values()].map(({ externalId, name, location }) => ({
        externalId,
        name,
        location,
      })),
    ).toEqual([
      { externalId: "17850", name: "Customer 17850", location: "United Kingdom" },
      { externalId: "13047", name: "Customer 13047", location: "France" },
      { externalId: "14527", name: "Customer 14527", location: "United Kingdom" },
      { externalId: "15311", name: "Customer 15311", location: "United Kingdom" },
    ]);
    const stored = [...gateway.events.values()];
    expect(stored.map((event) => [event.id, event.type, event.value, event.timestamp])).toEqual([
      ["tx:536365", "purchase", 35.64, "2010-12-01T08:26:00.000Z"],
      ["tx:536366", "purchase", 11.1, "2010-12-01T08:28:00.000Z"],
      ["tx:536367", "purchase", 54.08, "2010-12-01T08:34:00.000Z"],
      ["tx:C536379", "refund", 27.5, "2010-12-01T09:41:00.000Z"],
      ["tx:536381", "purchase", 14.85, "2010-12-01T09:45:00.000Z"],
    ]);
    expect(stored[0].customerId).toBe(gateway.customers.get("17850")!.id);
    expect(stored[0].properties).toEqual({
      invoice: "536365",
      country: "United Kingdom",
      lineCount: 2,
      items: 12,
      lines: [
        {
          stockCode: "85123A",
          description: "WHITE HANGING HEART T-LIGHT HOLDER",
          quantity: 6,
          unitPrice: 2.55,
        },
        { stockCode: "71053", description: "WHITE METAL LANTERN", quantity: 6, unitPrice: 3.39 },
      ],
    });
    expect(stored[3].properties).toEqual({
      invoice: "C536379",
      country: "United Kingdom",
      lineCount: 1,
      items: 1,
      lines: [{ stockCode: "D", description: "Discount", quantity: -1, unitPrice: 27.5 }],
    });

    expect(summary).toMatchObject({
      rowsRead: 12,
      customers: { created: 4, updated: 0, unchanged: 0, rejected: 1 },
      events: {
        sent: 6,
        rows: 7,
        purchases: 4,
        refunds: 1,
        accepted: 5,
        duplicates: 0,
        rejected: 1,
      },
      skipped: {
        "no customer id": 1,
        "quantity 0 or less (not a cancellation)": 1,
        "unit price 0 or less": 1,
        "its customer was rejected": 1,
      },
      rowsRejected: 1,
      rejected: 3,
    });
    expect(summary.rejections).toEqual([
      { line: 6, field: null, reason: "timestamp is before 2000-01-01." },
      {
        line: 10,
        field: "InvoiceDate",
        reason: expect.stringMatching(
          /^InvoiceDate is not a valid month\/day\/year date: '31\/12\/2010 8:45'\./,
        ),
      },
      { line: 12, field: "location", reason: "customer 99999: location is not valid." },
    ]);
    // 12583 has no line to send, so it is not created. Customers go in batches of up to 2, events
    // in batches of 3, and an events batch only after the customers it refers to.
    expect(
      gateway.calls
        .filter((call) => call.operation !== "lookup")
        .map((call) => `${call.operation} ${call.size}`),
    ).toEqual([
      "upsert 2", // 17850 and 13047: a full batch
      "track 3", // 536365, 536366, 536367
      "upsert 2", // 14527 and 99999 (refused): a full batch
      "track 2", // 536368 (refused, 1999) and C536379, without 99999's 536380
      "upsert 1", // 15311, as its event is due
      "track 1",
    ]);
  });

  it("keeps to one events request at a time when asked", async () => {
    const gateway = fakeGateway();
    const summary = await importTransactions(
      optionsFor(await csvFile(UCI), gateway.fetch, { eventRequestsInFlight: 1, batchSize: 1 }),
    );
    expect(gateway.maxTracking()).toBe(1);
    expect(gateway.problems).toEqual([]);
    expect(summary.events).toMatchObject({ sent: 6, accepted: 5, rejected: 1 });
  });

  it("stores nothing twice when the same file is imported again, and leaves the customers alone", async () => {
    const gateway = fakeGateway();
    const file = await csvFile(UCI);
    await importTransactions(optionsFor(file, gateway.fetch));
    const callsBefore = gateway.calls.length;
    const again = await importTransactions(
      optionsFor(file, gateway.fetch, { batchSize: 5_000, customerBatchSize: 1_000 }),
    );
    expect(again).toMatchObject({
      customers: { created: 0, updated: 0, unchanged: 4, rejected: 1 },
      events: { sent: 6, accepted: 0, duplicates: 5, rejected: 1 },
    });
    expect(gateway.calls.slice(callsBefore).map((call) => call.operation)).toEqual([
      "lookup",
      "upsert",
      "track",
    ]);
  });

  it("updates an existing customer's location from the file and sends its other fields back unchanged", async () => {
    const gateway = fakeGateway();
    gateway.customers.set("17850", {
      id: randomUUID(),
      externalId: "17850",
      name: "Ada Lovelace",
      email: "ada@example.com",
      age: 36,
      location: "London",
      attributes: { plan: "pro" },
    });
    gateway.customers.set("13047", {
      id: randomUUID(),
      externalId: "13047",
      name: "Grace Hopper",
      email: "grace@example.com",
      age: null,
      location: "France",
      attributes: {},
    });
    const summary = await importTransactions(
      optionsFor(await csvFile(UCI.slice(0, 6)), gateway.fetch, {
        customerBatchSize: 1_000,
        batchSize: 100,
      }),
    );
    expect(summary.customers).toEqual({ created: 0, updated: 1, unchanged: 1, rejected: 0 });
    expect(gateway.customers.get("17850")).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.com",
      age: 36,
      location: "United Kingdom",
      attributes: { plan: "pro" },
    });
  });

  it("makes one order of an invoice whose lines come apart, and one per customer of an invoice", async () => {
    const gateway = fakeGateway();
    const lines = [
      ...UCI.slice(0, 6),
      "536365,22752,SET 7 BABUSHKA NESTING BOXES,2,12/1/2010 8:30,7.65,17850,United Kingdom", // 7: 536365 again, later
      "536366,22753,SMALL YELLOW BABUSHKA NOTEBOOK,1,12/1/2010 8:28,0.85,13047,France", // 8: 536366 again, another customer
      UCI[10],
    ];
    const summary = await importTransactions(optionsFor(await csvFile(lines), gateway.fetch));
    expect(
      [...gateway.events.values()]
        .map((event) => [
          event.id,
          event.type,
          event.value,
          event.timestamp,
          event.properties.lineCount,
          event.properties.lines.map((line) => line.stockCode),
        ])
        .sort(),
    ).toEqual([
      ["tx:536365", "purchase", 50.94, "2010-12-01T08:30:00.000Z", 3, ["85123A", "71053", "22752"]],
      ["tx:536366", "purchase", 11.1, "2010-12-01T08:28:00.000Z", 1, ["22633"]],
      ["tx:536366@2", "purchase", 0.85, "2010-12-01T08:28:00.000Z", 1, ["22753"]],
      ["tx:536367", "purchase", 54.08, "2010-12-01T08:34:00.000Z", 1, ["84879"]],
      ["tx:C536379", "refund", 27.5, "2010-12-01T09:41:00.000Z", 1, ["D"]],
    ]);
    expect(summary).toMatchObject({
      rowsRead: 8,
      events: { sent: 6, rows: 8, accepted: 5, rejected: 1, purchases: 4, refunds: 1 },
    });
    expect(summary.rejections).toEqual([
      { line: 6, field: null, reason: "timestamp is before 2000-01-01." },
    ]);
  });

  it("formats a summary with customers, events, skipped rows by reason and the rejections", async () => {
    const gateway = fakeGateway();
    const summary = await importTransactions(optionsFor(await csvFile(UCI), gateway.fetch));
    expect(formatTransactionsSummary({ ...summary, elapsedMs: 2_000, rowsPerSecond: 6 })).toBe(
      [
        `Imported transactions from ${summary.file}`,
        "  rows read                                 12",
        "  customers created                          4",
        "  customers updated                          0",
        "  customers unchanged                        0",
        "  customers rejected                         1",
        "  events sent (one per invoice)              6",
        "    purchase (orders)                        4",
        "    refund (cancellations)                   1",
        "    rows they hold                           7",
        "  events accepted                            5",
        "  events duplicates                          0",
        "  events rejected                            1",
        "  rows rejected                              1",
        "  rows skipped                               4",
        "    no customer id                           1",
        "    quantity 0 or less (not a cancellation)  1",
        "    unit price 0 or less                     1",
        "    its customer was rejected                1",
        "  elapsed                                   2.0 s (6 rows/s)",
        "Rejected rows, customers and events:",
        "  line 6: timestamp is before 2000-01-01.",
        "  line 10: InvoiceDate is not a valid month/day/year date: '31/12/2010 8:45'. Use --date-format dmy if the file's dates are day/month/year.",
        "  line 12: customer 99999: location is not valid.",
        "",
      ].join("\n"),
    );
  });

  it("writes the columns and the progress unless quiet", async () => {
    const written: string[] = [];
    const gateway = fakeGateway();
    await importTransactions(
      optionsFor(await csvFile(UCI), gateway.fetch, {
        quiet: false,
        progressOutput: { write: (text: string) => written.push(text) },
      }),
    );
    expect(written[0]).toBe(
      "columns: invoice <- InvoiceNo, customer <- CustomerID, date <- InvoiceDate, quantity <- Quantity, price <- UnitPrice, stockCode <- StockCode, description <- Description, country <- Country; not used: none\n",
    );
    expect(written.at(-1)).toMatch(/^transactions: 12\/12 rows \(100%\) [\d,]+ rows\/s\n$/);
  });

  it("stops with the gateway's message, and explains the scopes when the customers cannot be looked up", async () => {
    const forbidden = (async () =>
      new Response(
        JSON.stringify({
          errors: [
            {
              message:
                "This API key has no READ scope: it can only call upsertCustomers and trackEvents.",
              extensions: { code: "FORBIDDEN" },
            },
          ],
        }),
        {
          status: 403,
        },
      )) as unknown as typeof globalThis.fetch;
    const error = await importTransactions(
      optionsFor(await csvFile(UCI), forbidden, { credentials: { kind: "apiKey", secret: "k" } }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toBe(
      "Looking up the customers failed: This API key has no READ scope: it can only call upsertCustomers and trackEvents. (FORBIDDEN)\n" +
        "A transactions import reads the customers' ids: a user needs the ANALYST or ADMIN role, an API key the CUSTOMERS_WRITE, EVENTS_WRITE and READ scopes.",
    );

    const gateway = fakeGateway();
    const refusingEvents = (async (url: string, init: RequestInit) => {
      if ((init.body as string).includes("trackEvents")) {
        return new Response(
          JSON.stringify({
            errors: [
              {
                message: "This API key can only call upsertCustomers.",
                extensions: { code: "FORBIDDEN" },
              },
            ],
          }),
          { status: 403 },
        );
      }
      return gateway.fetch(url, init);
    }) as unknown as typeof globalThis.fetch;
    await expect(
      importTransactions(optionsFor(await csvFile(UCI), refusingEvents)),
    ).rejects.toThrow(
      "The events batch starting on line 2 failed: This API key can only call upsertCustomers. (FORBIDDEN)\nThe batches before it are stored; running the import again is safe.",
    );
  });

  it("refuses a file without the required columns, a missing file and an empty file", async () => {
    const { fetch } = fakeGateway();
    await expect(
      importTransactions(optionsFor(await csvFile(["id,name", "1,Ada"]), fetch)),
    ).rejects.toThrow(UsageError);
    await expect(
      importTransactions(optionsFor(path.join(dir, "missing.csv"), fetch)),
    ).rejects.toThrow(/missing\.csv: no such file/);
    const empty = path.join(dir, "empty.csv");
    await writeFile(empty, "");
    await expect(importTransactions(optionsFor(empty, fetch))).rejects.toThrow(
      new ImportError(`${empty} is empty: its first line must be the header.`),
    );
  });
});
