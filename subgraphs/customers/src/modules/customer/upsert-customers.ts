import type { DataSource, EntityManager } from "typeorm";
import { badUserInput } from "#kit/errors";
import type { CustomerInput } from "./customer.input";
import { customerFingerprint, validateCustomer, type CustomerRow } from "./customer-validation";
import type { RejectedRow, UpsertCustomersResult } from "./upsert-customers-result.type";

/** Most rows one upsertCustomers call takes. */
export const MAX_UPSERT_BATCH = 5_000;

/**
 * Stores a batch of customers keyed by `externalId`, in one transaction and a constant number of
 * statements (lock, read existing, insert new, update changed): rows that are new are created,
 * rows that differ from what is stored are updated, identical rows are left alone, so sending the
 * same batch twice writes nothing the second time. Invalid rows, rows without an externalId and
 * repeats of an externalId within the batch are rejected by index; the others are still stored.
 */
export async function upsertCustomers(
  dataSource: DataSource,
  organizationId: string,
  inputs: CustomerInput[],
): Promise<UpsertCustomersResult> {
  if (inputs.length > MAX_UPSERT_BATCH)
    throw badUserInput(
      `upsertCustomers takes at most ${MAX_UPSERT_BATCH} rows per call, got ${inputs.length}; split the batch.`,
      "input",
    );
  const now = new Date();
  return dataSource.transaction(async (manager) => {
    // One batch at a time per organization, so two concurrent batches cannot both create a row.
    await manager.query("SELECT pg_advisory_xact_lock(hashtext('customers:upsert:' || $1))", [
      organizationId,
    ]);
    const rejected: RejectedRow[] = [];
    const firstIndex = new Map<string, number>();
    const candidates: { index: number; input: CustomerInput; externalId: string }[] = [];
    inputs.forEach((input, index) => {
      const externalId = input.externalId?.trim();
      if (!externalId)
        return rejected.push({
          index,
          field: "externalId",
          reason: "upsertCustomers needs an externalId on every row.",
        });
      const first = firstIndex.get(externalId);
      if (first !== undefined)
        return rejected.push({
          index,
          field: "externalId",
          reason: `externalId '${externalId}' appears again; its first row is ${first}.`,
        });
      firstIndex.set(externalId, index);
      candidates.push({ index, input, externalId });
    });

    const existing = await loadByExternalId(
      manager,
      organizationId,
      candidates.map((c) => c.externalId),
    );
    const toInsert: CustomerRow[] = [];
    const toUpdate: (CustomerRow & { id: string })[] = [];
    let invalid = 0;
    for (const { index, input, externalId } of candidates) {
      const stored = existing.get(externalId);
      const validated = validateCustomer(input, now, stored?.row);
      if (!validated.ok) {
        invalid++;
        rejected.push({ index, field: validated.problem.field, reason: validated.problem.reason });
      } else if (!stored) {
        toInsert.push(validated.row);
      } else if (customerFingerprint(validated.row) !== customerFingerprint(stored.row)) {
        toUpdate.push({ ...validated.row, id: stored.id });
      }
    }
    if (toInsert.length > 0) await insertRows(manager, organizationId, toInsert);
    if (toUpdate.length > 0) await updateRows(manager, organizationId, toUpdate);
    return {
      created: toInsert.length,
      updated: toUpdate.length,
      unchanged: candidates.length - invalid - toInsert.length - toUpdate.length,
      rejected: rejected.sort((a, b) => a.index - b.index),
    };
  });
}

const COLUMNS = `external_id, name, email, age, gender, location, income_range, preferred_category, status, churned_at, registered_at, attributes`;

async function loadByExternalId(
  manager: EntityManager,
  organizationId: string,
  externalIds: string[],
): Promise<Map<string, { id: string; row: CustomerRow }>> {
  if (externalIds.length === 0) return new Map();
  const rows: Record<string, any>[] = await manager.query(
    `SELECT id, ${COLUMNS} FROM customers WHERE organization_id = $1 AND external_id = ANY($2::text[]) FOR UPDATE`,
    [organizationId, externalIds],
  );
  return new Map(
    rows.map((r) => [
      r.external_id,
      {
        id: r.id,
        row: {
          externalId: r.external_id,
          name: r.name,
          email: r.email,
          age: r.age,
          gender: r.gender,
          location: r.location,
          incomeRange: r.income_range,
          preferredCategory: r.preferred_category,
          status: r.status,
          churnedAt: r.churned_at,
          registeredAt: r.registered_at,
          attributes: r.attributes,
        },
      },
    ]),
  );
}

/** The rows as one array per column, for `unnest`. */
function columns(rows: CustomerRow[]): unknown[][] {
  return [
    rows.map((r) => r.externalId),
    rows.map((r) => r.name),
    rows.map((r) => r.email),
    rows.map((r) => r.age),
    rows.map((r) => r.gender),
    rows.map((r) => r.location),
    rows.map((r) => r.incomeRange),
    rows.map((r) => r.preferredCategory),
    rows.map((r) => r.status),
    rows.map((r) => r.churnedAt?.toISOString() ?? null),
    rows.map((r) => r.registeredAt.toISOString()),
    rows.map((r) => JSON.stringify(r.attributes)),
  ];
}

/** The columns of {@link columns} as parameters $2..$13. */
const UNNEST_ARGS = `$2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::customer_status[], $11::timestamptz[], $12::timestamptz[], $13::jsonb[]`;

async function insertRows(
  manager: EntityManager,
  organizationId: string,
  rows: CustomerRow[],
): Promise<void> {
  await manager.query(
    `INSERT INTO customers (organization_id, ${COLUMNS}) SELECT $1, * FROM unnest(${UNNEST_ARGS})`,
    [organizationId, ...columns(rows)],
  );
}

async function updateRows(
  manager: EntityManager,
  organizationId: string,
  rows: (CustomerRow & { id: string })[],
): Promise<void> {
  await manager.query(
    `UPDATE customers AS c
        SET name = u.name, email = u.email, age = u.age, gender = u.gender, location = u.location,
            income_range = u.income_range, preferred_category = u.preferred_category, status = u.status,
            churned_at = u.churned_at, registered_at = u.registered_at, attributes = u.attributes, updated_at = now()
       FROM unnest($14::uuid[], ${UNNEST_ARGS}) AS u(id, ${COLUMNS})
      WHERE c.id = u.id AND c.organization_id = $1`,
    [organizationId, ...columns(rows), rows.map((r) => r.id)],
  );
}
