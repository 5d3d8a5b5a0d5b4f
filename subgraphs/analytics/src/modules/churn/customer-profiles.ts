import { GraphQLError } from "graphql";
import { ErrorCode } from "../../../../shared/src/errors";

/** What the customers subgraph knows of a customer that a churn model can use. */
export interface CustomerProfile {
  id: string;
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
  edges { node { id status churnedAt registeredAt age gender location incomeRange preferredCategory attributes } }
  pageInfo { hasNextPage endCursor } } }`;

/**
 * Every customer of the caller's organization, read through the customers subgraph's public
 * GraphQL API as the caller (their access token), 5,000 at a time. Analytics never reads the
 * customers database. Rejects with `SERVICE_UNAVAILABLE` when the customers service fails.
 */
export async function fetchCustomerProfiles(customersUrl: string, accessToken: string): Promise<CustomerProfile[]> {
  const profiles: CustomerProfile[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    let body: { data?: { customersExport: { edges: { node: CustomerProfile }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }; errors?: { message: string }[] };
    try {
      const response = await fetch(customersUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ query: PAGE, variables: { after } }),
        signal: AbortSignal.timeout(30_000),
      });
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new GraphQLError(`The customers service could not be read: ${(error as Error).message}`, { extensions: { code: ErrorCode.ServiceUnavailable } });
    }
    if (!body.data) throw new GraphQLError(`The customers service refused: ${body.errors?.[0]?.message ?? "no data"}`, { extensions: { code: ErrorCode.ServiceUnavailable } });
    profiles.push(...body.data.customersExport.edges.map((edge) => edge.node));
    if (!body.data.customersExport.pageInfo.hasNextPage) break;
    after = body.data.customersExport.pageInfo.endCursor;
  }
  return profiles;
}
