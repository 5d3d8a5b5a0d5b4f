import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseCliArgs } from "../cli/import/args";
import { ImportError } from "../cli/import/errors";
import {
  importCustomers,
  type ImportCustomersOptions,
  type ImportSummary,
} from "../cli/import/import-customers";
import { useSupergraph, type SignedUp } from "./support/supergraph";

const supergraph = useSupergraph();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "import-customers-e2e-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const PLANS = ["free", "pro", "team"];
const CITIES = ["Lisbon", "Oslo", "Porto", "Berlin", "Madrid"];

interface GeneratedCsv {
  file: string;
  /** Data rows in the file, blank ones included. */
  rows: number;
  /** Rows that should be stored, by externalId. */
  valid: Map<string, { churned: boolean; plan: string; score: number }>;
  /** The bad rows: the CSV line each starts on, the field at fault and the reason expected. */
  bad: { line: number; field: string; reason: string }[];
}

/**
 * A CSV of `count` customers (`CustomerID,Full Name,Email,Age,City,Churn,Plan,Score`), with a name
 * holding a comma and one holding a newline, a blank row, and bad rows: invalid emails, negative
 * ages (refused by the server) and ages that are not numbers (refused by the importer).
 */
async function generateCsv(count: number): Promise<GeneratedCsv> {
  const lines = ["CustomerID,Full Name,Email,Age,City,Churn,Plan,Score"];
  let line = 2; // the header is line 1
  const valid: GeneratedCsv["valid"] = new Map();
  const bad: GeneratedCsv["bad"] = [];
  for (let i = 1; i <= count; i++) {
    const id = `CUST-${String(i).padStart(5, "0")}`;
    let name = `Customer ${i}`;
    let email = `Customer.${i}@Example.com`;
    let age = String(18 + (i % 60));
    const churned = i % 7 === 0;
    const plan = PLANS[i % PLANS.length];
    const score = (i % 100) + 0.25;
    if (i === 10) name = `"Smith, Jane"`;
    if (i === 11) name = `"Two\nLines"`;
    if (i % 500 === 3) {
      email = `not-an-email-${i}`;
      bad.push({ line, field: "email", reason: `'${email}' is not a valid email address.` });
    } else if (i % 500 === 250) {
      age = "-5";
      bad.push({ line, field: "age", reason: "Age must be a whole number from 0 to 150, got -5." });
    } else if (i === 1234) {
      age = "forty";
      bad.push({
        line,
        field: "age",
        reason: "Age must be a whole number from 0 to 150, got forty.",
      });
    } else {
      valid.set(id, { churned, plan, score });
    }
    lines.push(
      [id, name, email, age, CITIES[i % CITIES.length], churned ? "Yes" : "No", plan, score].join(
        ",",
      ),
    );
    line += 1 + (name.match(/\n/g)?.length ?? 0);
    if (i === 100) {
      lines.push(",,,,,,,");
      line++;
    }
  }
  const file = path.join(dir, `customers-${count}-${Date.now()}.csv`);
  await writeFile(file, `${lines.join("\n")}\n`);
  return { file, rows: count + 1, valid, bad };
}

function importOptions(
  file: string,
  credentials: string[],
  extra: string[] = [],
): ImportCustomersOptions {
  const command = parseCliArgs(
    ["customers", file, "--url", supergraph.stack.gateway.url, ...credentials, "--quiet", ...extra],
    {},
  );
  if (command.kind !== "customers") throw new Error("expected an import command");
  return command.options;
}

async function storedState(organizationId: string) {
  const [row] = await supergraph.sql<{ count: number; churned: number; last_update: Date }>(
    "customers",
    `SELECT count(*)::int AS count, count(*) FILTER (WHERE status = 'CHURNED')::int AS churned, max(updated_at) AS last_update
       FROM customers WHERE organization_id = $1`,
    [organizationId],
  );
  return row;
}

describe("npm run import -- customers", () => {
  let admin: SignedUp;
  let csv: GeneratedCsv;
  let first: ImportSummary;

  beforeAll(async () => {
    admin = await supergraph.signUp();
    csv = await generateCsv(2_500);
    first = await importCustomers(
      importOptions(
        csv.file,
        ["--token", admin.accessToken],
        ["--churned-column", "Churn", "--churned-value", "Yes", "--batch-size", "700"],
      ),
    );
  });

  it("stores every valid row and reports the others", () => {
    expect(first).toMatchObject({
      rowsRead: csv.rows,
      created: csv.valid.size,
      updated: 0,
      unchanged: 0,
      rejected: csv.bad.length,
      skipped: 1,
    });
    expect(first.rowsRead).toBe(
      first.created + first.updated + first.unchanged + first.rejected + first.skipped,
    );
  });

  it("reports each bad row with its CSV line and the reason", () => {
    expect(csv.bad.length).toBe(11);
    expect(first.rejections).toEqual(csv.bad);
  });

  it("stores the rows in the organization with the churned status from the Churn column", async () => {
    const expectedChurned = [...csv.valid.values()].filter((row) => row.churned).length;
    const state = await storedState(admin.organizationId);
    expect(state.count).toBe(csv.valid.size);
    expect(state.churned).toBe(expectedChurned);

    const rows = await supergraph.sql(
      "customers",
      "SELECT external_id, status, churned_at, attributes FROM customers WHERE organization_id = $1",
      [admin.organizationId],
    );
    expect(new Set(rows.map((row) => row.external_id))).toEqual(new Set(csv.valid.keys()));
    for (const row of rows) {
      const expected = csv.valid.get(row.external_id)!;
      expect(row.status).toBe(expected.churned ? "CHURNED" : "ACTIVE");
      expect(row.churned_at !== null).toBe(expected.churned);
      // Plan and Score are kept as attributes, Score as a JSON number; Churn is not.
      expect(row.attributes).toEqual({ Plan: expected.plan, Score: expected.score });
    }
  });

  it("stores the typed fields from the detected columns", async () => {
    const rows = await supergraph.sql(
      "customers",
      "SELECT external_id, name, email, age, location FROM customers WHERE organization_id = $1 AND external_id = ANY($2) ORDER BY external_id",
      [admin.organizationId, ["CUST-00009", "CUST-00010", "CUST-00011"]],
    );
    expect(rows).toEqual([
      {
        external_id: "CUST-00009",
        name: "Customer 9",
        email: "customer.9@example.com",
        age: 27,
        location: "Madrid",
      },
      {
        external_id: "CUST-00010",
        name: "Smith, Jane",
        email: "customer.10@example.com",
        age: 28,
        location: "Lisbon",
      },
      {
        external_id: "CUST-00011",
        name: "Two\nLines",
        email: "customer.11@example.com",
        age: 29,
        location: "Oslo",
      },
    ]);
    const [score] = await supergraph.sql(
      "customers",
      "SELECT count(*) FILTER (WHERE jsonb_typeof(attributes->'Score') = 'number')::int AS numbers FROM customers WHERE organization_id = $1",
      [admin.organizationId],
    );
    expect(score.numbers).toBe(csv.valid.size);
  });

  it("changes nothing when the same file is imported again", async () => {
    const before = await storedState(admin.organizationId);
    const again = await importCustomers(
      importOptions(
        csv.file,
        ["--token", admin.accessToken],
        ["--churned-column", "Churn", "--churned-value", "Yes", "--batch-size", "700"],
      ),
    );
    expect(again).toMatchObject({
      rowsRead: csv.rows,
      created: 0,
      updated: 0,
      unchanged: first.created,
      rejected: csv.bad.length,
      skipped: 1,
    });
    expect(await storedState(admin.organizationId)).toEqual(before);
  });

  it("fails with the gateway's reason when the token is bad", async () => {
    const error = await importCustomers(
      importOptions(csv.file, ["--token", "not-a-real-token"]),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(
      /^The batch starting on line 2 failed: .+ \(UNAUTHENTICATED\)/,
    );
  });
});

describe("other credentials", () => {
  it("imports with an API key that has the CUSTOMERS_WRITE scope, and with an email and password", async () => {
    const admin = await supergraph.signUp();
    const { body } = await supergraph.request<{ createApiKey: { secret: string } }>(
      `mutation { createApiKey(name: "csv import", scopes: [CUSTOMERS_WRITE]) { secret } }`,
      { token: admin.accessToken },
    );
    const file = path.join(dir, "few.csv");
    await writeFile(
      file,
      "id,First Name,Last Name,Status\nk1,Ada,Lovelace,active\nk2,Grace,Hopper,churned\n",
    );

    const withKey = await importCustomers(
      importOptions(file, ["--api-key", body.data!.createApiKey.secret]),
    );
    expect(withKey).toMatchObject({ created: 2, rejected: 0 });
    const rows = await supergraph.sql(
      "customers",
      "SELECT external_id, name, status, attributes FROM customers WHERE organization_id = $1 ORDER BY external_id",
      [admin.organizationId],
    );
    expect(rows).toEqual([
      { external_id: "k1", name: "Ada Lovelace", status: "ACTIVE", attributes: {} },
      { external_id: "k2", name: "Grace Hopper", status: "CHURNED", attributes: {} },
    ]);

    const withLogin = await importCustomers(
      importOptions(file, ["--email", admin.email, "--password", admin.password]),
    );
    expect(withLogin).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
  });

  it("fails with the server's reason for a wrong password", async () => {
    const admin = await supergraph.signUp();
    const file = path.join(dir, "one.csv");
    await writeFile(file, "id,name\nz1,Zed\n");
    await expect(
      importCustomers(
        importOptions(file, ["--email", admin.email, "--password", "wrong-password-123"]),
      ),
    ).rejects.toThrow(/^Signing in failed: /);
  });
});
