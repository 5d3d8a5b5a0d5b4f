/** An HTTP answer as the client got it. */
export interface Sent {
  status: number;
  contentType: string | null;
  contentEncoding: string | null;
  /** The body, decompressed. */
  text: string;
}

/** POSTs a GraphQL request body as JSON with the bearer token; the answer as text. */
export async function postJson(
  url: string,
  token: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    contentEncoding: response.headers.get("content-encoding"),
    text: await response.text(),
  };
}

/**
 * A counter of a service's /metrics (`serviceUrl` is its /graphql) for one operation, summed over
 * its other labels; with `prefix`, for every operation whose name starts with `operation` (the
 * planner's names of a document's fetches, `Name__subgraph__1`).
 */
export async function gatewayCount(
  serviceUrl: string,
  metric: string,
  operation: string,
  prefix = false,
): Promise<number> {
  const text = await (await fetch(serviceUrl.replace(/\/graphql$/, "/metrics"))).text();
  const label = prefix ? `operation="${operation}` : `operation="${operation}"`;
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${metric}{`) && line.includes(label))
      total += Number(line.split(" ").pop());
  }
  return total;
}
