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
 * A counter of the gateway's /metrics (`gatewayUrl` is its /graphql) for one operation, summed
 * over its other labels.
 */
export async function gatewayCount(
  gatewayUrl: string,
  metric: string,
  operation: string,
): Promise<number> {
  const text = await (await fetch(gatewayUrl.replace(/\/graphql$/, "/metrics"))).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${metric}{`) && line.includes(`operation="${operation}"`))
      total += Number(line.split(" ").pop());
  }
  return total;
}
