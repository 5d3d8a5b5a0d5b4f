import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { queryRetentionMembers, type MembersPageRequest } from "./retention-query";
import type { RetentionSpec } from "./retention-spec";

/** Pages of customers of the cohorts of one retention table. */
export type RetentionMembersLoader = DataLoader<MembersPageRequest, string[], string>;

/**
 * The loader of one retention table's member pages, made with the table for one request: the pages
 * asked for (any cohorts, any `first` and `after`) are read in one SQL statement, on the data
 * source `readDataSource` gives for the batch (the read replica when it is up to date).
 */
export function createRetentionMembersLoader(
  readDataSource: () => Promise<DataSource>,
  organizationId: string,
  spec: RetentionSpec,
): RetentionMembersLoader {
  return new DataLoader(
    async (requests) =>
      queryRetentionMembers(await readDataSource(), organizationId, spec, requests),
    { cacheKeyFn: (request) => JSON.stringify(request) },
  );
}

/** The identified members of one cohort, for `RetentionCohort.customers`. */
export class RetentionMembers {
  constructor(
    private readonly loader: RetentionMembersLoader,
    private readonly cohort: number,
    /** How many of the cohort's members are customers. */
    readonly identified: number,
  ) {}

  /** Up to `first` + 1 customer ids of the cohort after `after` (the extra one: a next page). */
  page(first: number, after: string | null): Promise<string[]> {
    return this.loader.load({ cohort: this.cohort, after, first });
  }
}
