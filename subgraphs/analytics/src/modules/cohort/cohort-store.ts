import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { isUuid } from "#kit/data/ids";
import { badUserInput } from "#kit/errors";
import type { CohortMatch } from "./cohort.input";
import { parseSegmentId, type CohortDefinition, type CohortRule } from "./cohort-rules";
import { cohortMembersSql } from "./cohort-sql";

interface CohortRow {
  id: string;
  name: string;
  match: CohortMatch;
  rules: CohortRule[];
  created_at: Date;
}

const COLUMNS = "id, name, match, rules, created_at";

function toDefinition(row: CohortRow): CohortDefinition {
  return {
    id: row.id,
    name: row.name,
    match: row.match,
    rules: row.rules,
    createdAt: row.created_at,
  };
}

/** The organization's cohort with this id; null when there is none (or the id is not a UUID). */
export async function loadCohort(
  dataSource: DataSource,
  organizationId: string,
  id: string,
): Promise<CohortDefinition | null> {
  if (!isUuid(id)) return null;
  const [row]: CohortRow[] = await dataSource.query(
    `SELECT ${COLUMNS} FROM cohorts WHERE organization_id = $1 AND id = $2`,
    [organizationId, id.toLowerCase()],
  );
  return row ? toDefinition(row) : null;
}

/** Every cohort of the organization, newest first (ties by id). */
export async function listCohorts(
  dataSource: DataSource,
  organizationId: string,
): Promise<CohortDefinition[]> {
  const rows: CohortRow[] = await dataSource.query(
    `SELECT ${COLUMNS} FROM cohorts WHERE organization_id = $1 ORDER BY created_at DESC, id`,
    [organizationId],
  );
  return rows.map(toDefinition);
}

/**
 * Stores a validated cohort (with a new id unless `id` is given) in one transaction that also checks, under a share lock, that each
 * segment its rules name is one of the organization's.
 * @throws BAD_USER_INPUT (`input.rules[i].segmentId`) for a segment the organization does not have
 */
export async function insertCohort(
  dataSource: DataSource,
  organizationId: string,
  createdBy: string,
  cohort: { name: string; match: CohortMatch; rules: CohortRule[] },
  id: string = randomUUID(),
): Promise<CohortDefinition> {
  return dataSource.transaction(async (manager) => {
    for (const [i, rule] of cohort.rules.entries()) {
      if (rule.kind !== "segment") continue;
      const { runId, index } = parseSegmentId(rule.segmentId)!;
      const found: unknown[] = await manager.query(
        `SELECT 1 FROM segments WHERE organization_id = $1 AND run_id = $2 AND index = $3 FOR SHARE`,
        [organizationId, runId, index],
      );
      if (found.length === 0)
        throw badUserInput(
          `input.rules[${i}].segmentId '${rule.segmentId}' is not a segment of your organization.`,
          `input.rules[${i}].segmentId`,
        );
    }
    const [row]: CohortRow[] = await manager.query(
      `INSERT INTO cohorts (organization_id, id, name, match, rules, created_by)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING ${COLUMNS}`,
      [organizationId, id, cohort.name, cohort.match, JSON.stringify(cohort.rules), createdBy],
    );
    return toDefinition(row);
  });
}

/** Deletes the organization's cohort; false when it had none with this id. */
export async function deleteCohort(
  dataSource: DataSource,
  organizationId: string,
  id: string,
): Promise<boolean> {
  if (!isUuid(id)) return false;
  return dataSource.transaction(async (manager) => {
    const [{ deleted }]: { deleted: number }[] = await manager.query(
      `WITH d AS (DELETE FROM cohorts WHERE organization_id = $1 AND id = $2 RETURNING id)
       SELECT count(*)::int AS deleted FROM d`,
      [organizationId, id.toLowerCase()],
    );
    return deleted > 0;
  });
}

/**
 * The members of each cohort as of `now`, in ascending id order, in one SQL statement for all of
 * them; with `candidates`, only those customers are considered (each cohort's members among them).
 */
export async function queryCohortMembers(
  dataSource: DataSource,
  organizationId: string,
  cohorts: readonly CohortDefinition[],
  now: Date,
  candidates: readonly string[] | null = null,
): Promise<string[][]> {
  if (cohorts.length === 0) return [];
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  let nowParam: string | null = null;
  const scope = {
    organization: "$1",
    now: () => (nowParam ??= p(now.toISOString())),
    candidates: candidates ? p(candidates) : null,
  };
  const parts = cohorts.map(
    (cohort, i) =>
      `SELECT ${i} AS k, customer_id FROM (${cohortMembersSql(cohort, p, scope)}) AS c${i}`,
  );
  const rows: { k: number; ids: string[] }[] = await dataSource.query(
    `SELECT k, array_agg(customer_id::text ORDER BY customer_id) AS ids FROM (${parts.join(" UNION ALL ")}) AS members GROUP BY k`,
    params,
  );
  const members: string[][] = cohorts.map(() => []);
  for (const row of rows) members[row.k] = row.ids;
  return members;
}
