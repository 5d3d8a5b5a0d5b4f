import { GraphQLError } from "graphql";
import { ErrorCode } from "../../../../shared/src/errors";

/** What the customers subgraph knows of a customer that a churn model can use. */
export interface CustomerProfile {
  id: string;
  /** The organization's own id for the customer (null when it has none): the same across re-imports. */
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

const PAGE = `query($after: String) { customersExport(first: 5000, after: $after) {
  edges { node { id externalId status churnedAt registeredAt age gender location incomeRange preferredCategory attributes } }
  pageInfo { hasNextPage endCursor } } }`;

type GraphQLBody<T> = { data?: T | null; errors?: { message: string }[] };

/** One query to the customers subgraph as the caller; `SERVICE_UNAVAILABLE` when it fails or refuses. */
async function customersQuery<T>(customersUrl: string, accessToken: string, query: string, variables: Record<string, unknown>): Promise<T> {
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
    throw new GraphQLError(`The customers service could not be read: ${(error as Error).message}`, { extensions: { code: ErrorCode.ServiceUnavailable } });
  }
  if (!body.data) throw new GraphQLError(`The customers service refused: ${body.errors?.[0]?.message ?? "no data"}`, { extensions: { code: ErrorCode.ServiceUnavailable } });
  return body.data;
}

/**
 * Every customer of the caller's organization, read through the customers subgraph's public
 * GraphQL API as the caller (their access token), 5,000 at a time. Analytics never reads the
 * customers database. Rejects with `SERVICE_UNAVAILABLE` when the customers service fails.
 */
export async function fetchCustomerProfiles(customersUrl: string, accessToken: string): Promise<CustomerProfile[]> {
  const profiles: CustomerProfile[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    type Page = { customersExport: { edges: { node: CustomerProfile }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const data: Page = await customersQuery<Page>(customersUrl, accessToken, PAGE, { after });
    for (const edge of data.customersExport.edges) profiles.push(edge.node);
    if (!data.customersExport.pageInfo.hasNextPage) break;
    after = data.customersExport.pageInfo.endCursor;
  }
  return profiles;
}

/**
 * Whether the organization records churn (has a CHURNED customer): one small query, so that the
 * label source, hence the cut-off, is known before the profiles are read and the event features
 * can be computed meanwhile.
 */
export async function organizationRecordsChurn(customersUrl: string, accessToken: string): Promise<boolean> {
  const data = await customersQuery<{ customers: { edges: unknown[] } }>(customersUrl, accessToken, `{ customers(filter: { status: CHURNED }, first: 1) { edges { node { id } } } }`, {});
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
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.profile.id < b.profile.id ? -1 : a.profile.id > b.profile.id ? 1 : 0))
    .map(({ profile }) => profile);
}
