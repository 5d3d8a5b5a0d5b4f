import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { isUuid } from "#kit/data/ids";
import { badUserInput } from "#kit/errors";
import type { EventFilter } from "../timeseries/event-filter.input";
import type { CohortDefinition } from "./cohort-rules";
import type { CohortDefinitionCache } from "./cohort-definitions";
import { cohortMembersSql } from "./cohort-sql";
import { listCohorts, loadCohort, queryCohortMembers } from "./cohort-store";

/** A request's cohort reads, scoped to the caller's organization. */
export interface CohortLoaders {
  /**
   * Each cohort's members as of the batch (ascending customer ids): the cohorts of one request
   * cost one SQL statement together.
   */
  members: DataLoader<CohortDefinition, string[], string>;
  /**
   * The cohorts each customer is a member of (newest first): all the request's customers cost one
   * statement together (their membership in the organization's cohorts, whose definitions come
   * from `definitions`; one more when those must be read).
   */
  customerCohorts: DataLoader<string, CohortDefinition[]>;
  /**
   * The filter with its `cohortId` resolved to the cohort's members as of now (one statement to
   * read the cohort); the filter itself when it names no cohort.
   * @throws BAD_USER_INPUT naming `<field>.cohortId` when the id is not a cohort of the
   *   organization (unknown, malformed or another organization's: the same answer)
   */
  resolveFilter(filter: EventFilter | null | undefined, field: string): Promise<EventFilter | null>;
}

/**
 * Cohort loaders of one request: definitions from `dataSource` (the primary: a cohort just
 * created is found) through the process's `definitions`, membership from `readDataSource` (the
 * replica when it is current).
 */
export function createCohortLoaders(
  dataSource: DataSource,
  readDataSource: () => Promise<DataSource>,
  organizationId: string,
  definitions: CohortDefinitionCache,
): CohortLoaders {
  return {
    members: new DataLoader<CohortDefinition, string[], string>(
      async (cohorts) =>
        queryCohortMembers(await readDataSource(), organizationId, cohorts, new Date()),
      { cacheKeyFn: (cohort) => cohort.id },
    ),
    customerCohorts: new DataLoader<string, CohortDefinition[]>(async (customerIds) => {
      const cohorts = await definitions.get(organizationId, () =>
        listCohorts(dataSource, organizationId),
      );
      const candidates = [...new Set(customerIds.filter(isUuid).map((id) => id.toLowerCase()))];
      if (cohorts.length === 0 || candidates.length === 0) return customerIds.map(() => []);
      const members = await queryCohortMembers(
        await readDataSource(),
        organizationId,
        cohorts,
        new Date(),
        candidates,
      );
      const byCustomer = new Map<string, CohortDefinition[]>();
      members.forEach((ids, i) => {
        for (const id of ids) {
          let list = byCustomer.get(id);
          if (!list) byCustomer.set(id, (list = []));
          list.push(cohorts[i]);
        }
      });
      return customerIds.map((id) => byCustomer.get(id.toLowerCase()) ?? []);
    }),
    resolveFilter: (filter, field) =>
      resolveCohortFilter(dataSource, organizationId, filter, field),
  };
}

/** See {@link CohortLoaders.resolveFilter}. */
export async function resolveCohortFilter(
  dataSource: DataSource,
  organizationId: string,
  filter: EventFilter | null | undefined,
  field: string,
): Promise<EventFilter | null> {
  if (!filter?.cohortId) return filter ?? null;
  const cohort = await loadCohort(dataSource, organizationId, filter.cohortId);
  if (!cohort)
    throw badUserInput(
      `${field}.cohortId '${filter.cohortId}' is not a cohort of your organization.`,
      `${field}.cohortId`,
    );
  const now = new Date().toISOString();
  return {
    ...filter,
    cohortMembers: (p) => {
      let nowParam: string | null = null;
      return cohortMembersSql(cohort, p, {
        organization: `${p(organizationId)}::uuid`,
        now: () => (nowParam ??= p(now)),
        candidates: null,
      });
    },
  };
}
