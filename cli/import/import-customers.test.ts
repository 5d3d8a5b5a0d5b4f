import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CustomerInput } from "./column-mapping";
import { ImportError, UsageError } from "./errors";
import { importCustomers, type ImportCustomersOptions } from "./import-customers";
import { formatSummary } from "./summary";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "import-customers-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function csvFile(lines: string[]): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

/**
 * A stand-in for the gateway's upsertCustomers: creates unknown externalIds, counts known ones as
 * unchanged, rejects emails without "@". Records each batch and checks none overlap in time.
 */
function fakeGateway() {
  const stored = new Set<string>();
  const batches: CustomerInput[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch = (async (_url: string, init: RequestInit) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const input = JSON.parse(init.body as string).variables.input as CustomerInput[];
    batches.push(input);
    const result = {
      created: 0,
      updated: 0,
      unchanged: 0,
      rejected: [] as { index: number; reason: string; field: string }[],
    };
    input.forEach((customer, index) => {
      if (customer.email && !customer.email.includes("@"))
        result.rejected.push({
          index,
          field: "email",
          reason: `'${customer.email}' is not a valid email address.`,
        });
      else if (stored.has(customer.externalId!)) result.unchanged++;
      else {
        stored.add(customer.externalId!);
        result.created++;
      }
    });
    inFlight--;
    return new Response(JSON.stringify({ data: { upsertCustomers: result } }));
  }) as unknown as typeof globalThis.fetch;
  return { fetch, batches, maxInFlight: () => maxInFlight };
}

function optionsFor(
  file: string,
  fetch: typeof globalThis.fetch,
  overrides: Partial<ImportCustomersOptions> = {},
): ImportCustomersOptions {
  return {
    file,
    url: "http://gateway.test/graphql",
    credentials: { kind: "token", token: "t" },
    columns: { map: {}, churned: { column: "Churn", value: "Yes" } },
    batchSize: 3,
    delimiter: ",",
    quiet: true,
    fetch,
    ...overrides,
  };
}

describe("importCustomers", () => {
  const lines = [
    "CustomerID,Full Name,Email,Age,Churn,Plan",
    "c1,Ada,ada@example.com,36,No,pro", // line 2
    "c2,Grace,not-an-email,40,Yes,free", // 3: rejected by the server
    "c3,Alan,alan@example.com,forty,No,pro", // 4: rejected here
    ",,,,,", // 5: skipped
    "c4,Edsger,edsger@example.com,,Yes,", // 6
    "c5,Barbara,bad-email,,No,pro", // 7: rejected by the server
    "c6,Donald,donald@example.com,50,no,pro", // 8
  ];

  it("sends batches one at a time and reports rows, outcomes and rejections by CSV line", async () => {
    const gateway = fakeGateway();
    const file = await csvFile(lines);
    const summary = await importCustomers(optionsFor(file, gateway.fetch));

    expect(gateway.maxInFlight()).toBe(1);
    expect(gateway.batches.map((batch) => batch.map((customer) => customer.externalId))).toEqual([
      ["c1", "c2", "c4"],
      ["c5", "c6"],
    ]);
    expect(gateway.batches[0][1]).toEqual({
      externalId: "c2",
      name: "Grace",
      email: "not-an-email",
      age: 40,
      status: "CHURNED",
      attributes: { Plan: "free" },
    });
    expect(summary).toMatchObject({
      file,
      rowsRead: 7,
      created: 3,
      updated: 0,
      unchanged: 0,
      rejected: 3,
      skipped: 1,
    });
    expect(summary.rejections).toEqual([
      { line: 3, field: "email", reason: "'not-an-email' is not a valid email address." },
      { line: 4, field: "age", reason: "Age must be a whole number from 0 to 150, got forty." },
      { line: 7, field: "email", reason: "'bad-email' is not a valid email address." },
    ]);

    const again = await importCustomers(optionsFor(file, gateway.fetch));
    expect(again).toMatchObject({ created: 0, unchanged: 3, rejected: 3 });
  });

  it("formats a summary with the counts and the first rejections", async () => {
    const gateway = fakeGateway();
    const summary = await importCustomers(optionsFor(await csvFile(lines), gateway.fetch));
    const text = formatSummary({ ...summary, elapsedMs: 1_500, rowsPerSecond: 5 });
    expect(text).toBe(
      [
        `Imported customers from ${summary.file}`,
        "  rows read  7",
        "  created    3",
        "  updated    0",
        "  unchanged  0",
        "  rejected   3",
        "  skipped    1",
        "  elapsed    1.5 s (5 rows/s)",
        "Rejected rows:",
        "  line 3: 'not-an-email' is not a valid email address.",
        "  line 4: Age must be a whole number from 0 to 150, got forty.",
        "  line 7: 'bad-email' is not a valid email address.",
        "",
      ].join("\n"),
    );
  });

  it("writes the column mapping and the progress unless quiet", async () => {
    const written: string[] = [];
    const gateway = fakeGateway();
    await importCustomers(
      optionsFor(await csvFile(lines), gateway.fetch, {
        quiet: false,
        progressOutput: { write: (text: string) => written.push(text) },
      }),
    );
    expect(written[0]).toBe(
      'columns: externalId <- CustomerID, name <- Full Name, email <- Email, age <- Age, status <- Churn = "Yes"; attributes: Plan\n',
    );
    expect(written.at(-1)).toMatch(/^customers: 7\/7 rows \(100%\) [\d,]+ rows\/s\n$/);
  });

  it("stops with the gateway's message when it refuses a batch", async () => {
    const fetch = (async () =>
      new Response(
        JSON.stringify({
          errors: [
            { message: "Your role cannot change customers.", extensions: { code: "FORBIDDEN" } },
          ],
        }),
        { status: 200 },
      )) as unknown as typeof globalThis.fetch;
    const error = await importCustomers(optionsFor(await csvFile(lines), fetch)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toBe(
      "The batch starting on line 2 failed: Your role cannot change customers. (FORBIDDEN)\n" +
        "The batches before it are stored; running the import again is safe.",
    );
  });

  it("refuses a missing file, a file without an externalId column and an empty file", async () => {
    const { fetch } = fakeGateway();
    await expect(importCustomers(optionsFor(path.join(dir, "missing.csv"), fetch))).rejects.toThrow(
      new UsageError(`${path.join(dir, "missing.csv")}: no such file.`),
    );
    await expect(
      importCustomers(optionsFor(await csvFile(["Name,Churn", "Ada,No"]), fetch)),
    ).rejects.toThrow(/--map externalId=<Column>/);
    const empty = path.join(dir, "empty.csv");
    await writeFile(empty, "");
    await expect(importCustomers(optionsFor(empty, fetch))).rejects.toThrow(
      new ImportError(`${empty} is empty: its first line must be the header.`),
    );
  });
});
