import { GraphQLError } from "graphql";
import { ErrorCode } from "#kit/errors";

/** What the customers subgraph knows of a customer that a churn model can use. */
export interface CustomerProfile {
  id: string;
  /**
   * The organization's own id for the customer (null when it has none): the same across re-imports.
   */
  externalId?: string | null;
  status: "ACTIVE" | "CHURNED";
  churnedAt: string | null;
  registeredAt: string;
  age: number | null;
  gender: string | null;
  location: string | null;
  incomeRange: string | null;
  preferredCategory: string | null;
  attributes: Record<string, unknown> | null;
}

/** The profile fields read, each a column of the customers subgraph's `customerColumns`. */
const PROFILE_FIELDS = [
  "id",
  "externalId",
  "status",
  "churnedAt",
  "registeredAt",
  "age",
  "gender",
  "location",
  "incomeRange",
  "preferredCategory",
  "attributes",
] as const;

/** Customers per page: the most `customerColumns` gives. */
const PAGE_SIZE = 5_000;

const PAGE = `query($after: String) { customerColumns(first: ${PAGE_SIZE}, after: $after) {
  size ${PROFILE_FIELDS.join(" ")}
  pageInfo { hasNextPage endCursor } } }`;

type ColumnsPage = {
  customerColumns: {
    size: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  } & { [F in (typeof PROFILE_FIELDS)[number]]: CustomerProfile[F][] };
};

type GraphQLBody<T> = { data?: T | null; errors?: { message: string }[] };

/**
 * One query to the customers subgraph as the caller; `SERVICE_UNAVAILABLE` when it fails or
 * refuses.
 */
export async function customersQuery<T>(
  customersUrl: string,
  accessToken: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  let body: GraphQLBody<T>;
  try {
    const response = await fetch(customersUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    body = (await response.json()) as GraphQLBody<T>;
  } catch (error) {
    throw new GraphQLError(`The customers service could not be read: ${(error as Error).message}`, {
      extensions: { code: ErrorCode.ServiceUnavailable },
    });
  }
  if (!body.data)
    throw new GraphQLError(
      `The customers service refused: ${body.errors?.[0]?.message ?? "no data"}`,
      { extensions: { code: ErrorCode.ServiceUnavailable } },
    );
  return body.data;
}

/**
 * Every customer of the caller's organization, read through the customers subgraph's public
 * GraphQL API as the caller (their access token), 5,000 at a time, oldest first. The pages come as
 * columns (`customerColumns`: one list per field), which costs the customers subgraph a fraction
 * of what one GraphQL object per customer costs. Analytics never reads the customers database.
 * Rejects with `SERVICE_UNAVAILABLE` when the customers service fails.
 */
export async function fetchCustomerProfiles(
  customersUrl: string,
  accessToken: string,
): Promise<CustomerProfile[]> {
  const profiles: CustomerProfile[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const { customerColumns: columns }: ColumnsPage = await customersQuery<ColumnsPage>(
      customersUrl,
      accessToken,
      PAGE,
      { after },
    );
    for (const field of PROFILE_FIELDS) {
      if (columns[field]?.length !== columns.size) {
        throw new GraphQLError(
          `The customers service gave ${columns[field]?.length ?? "no"} values of ${field} for ${columns.size} customers.`,
          { extensions: { code: ErrorCode.ServiceUnavailable } },
        );
      }
    }
    for (let i = 0; i < columns.size; i++) {
      profiles.push({
        id: columns.id[i],
        externalId: columns.externalId[i],
        status: columns.status[i],
        churnedAt: columns.churnedAt[i],
        registeredAt: columns.registeredAt[i],
        age: columns.age[i],
        gender: columns.gender[i],
        location: columns.location[i],
        incomeRange: columns.incomeRange[i],
        preferredCategory: columns.preferredCategory[i],
        attributes: columns.attributes[i],
      });
    }
    if (!columns.pageInfo.hasNextPage) break;
    after = columns.pageInfo.endCursor;
  }
  return profiles;
}

/**
 * Whether the organization records churn (has a CHURNED customer): one small query, so that the
 * label source, hence the cut-off, is known before the profiles are read and the event features
 * can be computed meanwhile.
 */
export async function organizationRecordsChurn(
  customersUrl: string,
  accessToken: string,
): Promise<boolean> {
  const data = await customersQuery<{ customers: { edges: unknown[] } }>(
    customersUrl,
    accessToken,
    `{ customers(filter: { status: CHURNED }, first: 1) { edges { node { id } } } }`,
    {},
  );
  return data.customers.edges.length > 0;
}

/**
 * The profiles in a stable order, whatever order they were read in: by externalId (the same when
 * the same file is imported again), then by id. Seeded splits of the result are reproducible.
 */
export function sortProfiles(profiles: CustomerProfile[]): CustomerProfile[] {
  const key = (p: CustomerProfile) => (p.externalId != null ? `0${p.externalId}` : `1${p.id}`);
  return profiles
    .map((profile) => ({ profile, key: key(profile) }))
    .sort((a, b) =>
      a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : a.profile.id < b.profile.id
            ? -1
            : a.profile.id > b.profile.id
              ? 1
              : 0,
    )
    .map(({ profile }) => profile);
}
