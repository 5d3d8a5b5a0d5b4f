import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { withDatabase, type ServiceName } from "#kit/database/database-url";
import { TEST_ENV } from "./support/test-database";

/**
 * Citus distributes a table by a column only if every primary key, unique index and exclusion
 * constraint of the table contains that column (among its key columns, not its INCLUDE columns),
 * and a foreign key between two distributed tables only if it pairs the two distribution columns.
 * Every tenant table here is meant to be distributed by `organization_id` (docs/SCALING.md). These
 * tests read the catalog of each database as global setup left it (every migration run), so a
 * migration that adds a key without `organization_id`, or a tenant table without the column,
 * fails here.
 */

/**
 * Unique indexes that may lack `organization_id`, by `table.index`, and why. Each one keeps its
 * table from being distributed by organization (docs/SCALING.md: the users database stays on one
 * server).
 */
const GLOBAL_UNIQUE_INDEXES: Record<ServiceName, Record<string, string>> = {
  users: {
    // Sign-in is by email alone, before any organization is known, so an email names one account
    // across all organizations: global by design.
    "users.users_email_key": "sign-in is by email: one account per email across organizations",
    // A refresh token is presented alone and must find its one session row: global by design.
    "refresh_tokens.refresh_tokens_token_hash_key":
      "a refresh token is looked up by its hash alone, before its organization is known",
    // Likewise an API key secret (Authorization: ApiKey <secret>).
    "api_keys.api_keys_secret_hash_key":
      "an API key is looked up by its secret's hash alone, before its organization is known",
  },
  customers: {},
  analytics: {},
};

/**
 * Tables without an `organization_id` column, and why: none holds rows of one tenant. Any other
 * table without the column fails the test (tenant rows must carry their organization).
 */
const NOT_TENANT_TABLES: Record<ServiceName, Record<string, string>> = {
  users: {
    migrations: "TypeORM's record of the migrations run",
    // The tenants themselves: their id is the organization id (a Citus reference table, or
    // distributed by id).
    organizations: "the tenants themselves, keyed by the organization id",
  },
  customers: { migrations: "TypeORM's record of the migrations run" },
  analytics: { migrations: "TypeORM's record of the migrations run" },
};

/**
 * Tenant tables of the analytics database that deploy/citus/distribute.sql leaves as local tables
 * of the coordinator, and why. Every other one must be distributed there.
 */
const LOCAL_ON_COORDINATOR: Record<string, string> = {
  // A statement-level trigger with a transition table stands in for the foreign key between the
  // two (migration 1763900005000); not tried under Citus yet (docs/SCALING.md).
  churn_models: "the churn tables' trigger-kept reference is not tried under Citus",
  churn_predictions: "the churn tables' trigger-kept reference is not tried under Citus",
};

const SERVICES: ServiceName[] = ["users", "customers", "analytics"];

interface TableRow {
  table: string;
  has_organization_id: boolean;
}
interface KeyRow {
  table: string;
  name: string;
  kind: "primary key" | "unique index" | "exclusion constraint";
  key_columns: (string | null)[];
}
interface ForeignKeyRow {
  table: string;
  name: string;
  columns: string[];
  referenced_table: string;
  referenced_columns: string[];
  referenced_has_organization_id: boolean;
}

async function catalog(service: ServiceName) {
  const client = new Client({
    connectionString: withDatabase(process.env[TEST_ENV.serverUrl]!, service),
  });
  await client.connect();
  try {
    // Ordinary and partitioned tables of the public schema; a partition is checked through its
    // parent (Citus distributes the partitions of a distributed table with it), but its own
    // indexes are listed below too.
    const tables = await client.query<TableRow>(
      `SELECT c.relname AS table,
              EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped) AS has_organization_id
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY 1`,
    );
    // Every unique index (primary keys and unique constraints are backed by one) with its key
    // columns only (indnkeyatts: INCLUDE columns do not count); null for an expression column.
    const uniques = await client.query<KeyRow>(
      `SELECT t.relname AS table, i.relname AS name,
              CASE WHEN x.indisprimary THEN 'primary key' ELSE 'unique index' END AS kind,
              ARRAY(SELECT a.attname::text FROM generate_series(0, x.indnkeyatts - 1) AS k(position)
                      LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[k.position]
                     ORDER BY k.position) AS key_columns
         FROM pg_index x
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND x.indisunique
       UNION ALL
       SELECT t.relname, c.conname, 'exclusion constraint',
              ARRAY(SELECT a.attname::text FROM unnest(c.conkey) AS k(attnum)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND c.contype = 'x'
        ORDER BY 1, 2`,
    );
    const foreignKeys = await client.query<ForeignKeyRow>(
      `SELECT t.relname AS table, c.conname AS name,
              ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                     ORDER BY k.position) AS columns,
              r.relname AS referenced_table,
              ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, position)
                      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
                     ORDER BY k.position) AS referenced_columns,
              EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = r.oid AND a.attname = 'organization_id' AND NOT a.attisdropped) AS referenced_has_organization_id
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND c.contype = 'f' AND NOT t.relispartition
        ORDER BY 1, 2`,
    );
    return { tables: tables.rows, uniques: uniques.rows, foreignKeys: foreignKeys.rows };
  } finally {
    await client.end();
  }
}

describe.each(SERVICES)("the %s database is ready to distribute by organization_id", (service) => {
  let found: Awaited<ReturnType<typeof catalog>>;
  beforeAll(async () => {
    found = await catalog(service);
  });

  it("has organization_id in every table that holds tenant rows", () => {
    const without = found.tables.filter((t) => !t.has_organization_id).map((t) => t.table);
    expect(without.sort()).toEqual(Object.keys(NOT_TENANT_TABLES[service]).sort());
  });

  it("has organization_id among the key columns of every primary key, unique index and exclusion constraint of those tables", () => {
    const tenant = new Set(found.tables.filter((t) => t.has_organization_id).map((t) => t.table));
    // Partitions' indexes count as their parent's table (events_p202601 → events).
    const checked = found.uniques.filter(
      (key) => tenant.has(key.table) || !found.tables.some((t) => t.table === key.table),
    );
    expect(checked.length).toBeGreaterThan(0);
    const lacking = checked
      .filter((key) => !key.key_columns.includes("organization_id"))
      .map((key) => `${key.table}.${key.name}`)
      .filter((name) => !(name in GLOBAL_UNIQUE_INDEXES[service]));
    expect(lacking).toEqual([]);
  });

  it("allows only unique indexes that exist and still lack organization_id", () => {
    // A stale entry would hide nothing today but could hide a regression tomorrow.
    const lacking = new Set(
      found.uniques
        .filter((key) => !key.key_columns.includes("organization_id"))
        .map((key) => `${key.table}.${key.name}`),
    );
    expect(
      Object.keys(GLOBAL_UNIQUE_INDEXES[service]).filter((name) => !lacking.has(name)),
    ).toEqual([]);
  });

  it("pairs organization_id with organization_id in every foreign key between tenant tables", () => {
    const tenant = new Set(found.tables.filter((t) => t.has_organization_id).map((t) => t.table));
    const wrong = found.foreignKeys
      .filter((fk) => tenant.has(fk.table) && fk.referenced_has_organization_id)
      .filter((fk) => {
        const at = fk.columns.indexOf("organization_id");
        return at === -1 || fk.referenced_columns[at] !== "organization_id";
      })
      .map((fk) => `${fk.table}.${fk.name} (${fk.columns}) → ${fk.referenced_table}`);
    expect(wrong).toEqual([]);
  });
});

describe("deploy/citus/distribute.sql", () => {
  const sql = readFileSync(path.join(__dirname, "..", "deploy", "citus", "distribute.sql"), "utf8");
  /** The tables of its ARRAY[...], in order. */
  const listed = [.../ARRAY\[([^\]]*)\]/.exec(sql)![1].matchAll(/'([a-z_0-9]+)'/g)].map(
    (match) => match[1],
  );

  it("distributes every tenant table of the analytics database but the local ones named here", async () => {
    const { tables } = await catalog("analytics");
    const tenant = tables.filter((t) => t.has_organization_id).map((t) => t.table);
    expect([...listed].sort()).toEqual(
      tenant.filter((table) => !(table in LOCAL_ON_COORDINATOR)).sort(),
    );
  });

  it("distributes a table referenced by a foreign key, before the tables that reference it", async () => {
    const { foreignKeys } = await catalog("analytics");
    const late = foreignKeys
      .filter((fk) => listed.includes(fk.table) && fk.table !== fk.referenced_table)
      .filter((fk) => {
        const referenced = listed.indexOf(fk.referenced_table);
        // A distributed table may reference another distributed (co-located) one, not a local one.
        return referenced === -1
          ? fk.referenced_has_organization_id
          : referenced > listed.indexOf(fk.table);
      })
      .map((fk) => `${fk.table} → ${fk.referenced_table}`);
    expect(late).toEqual([]);
  });
});
