import { PassThrough } from "node:stream";
import { setLogDestination } from "#kit/logger";
import { useSupergraph, type SignedUp } from "./support/supergraph";

// Log lines of every service of this process, as parsed JSON objects.
const lines: Record<string, any>[] = [];
let owner: SignedUp;

beforeAll(() => {
  const stream = new PassThrough();
  let buffered = "";
  stream.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split("\n");
    buffered = complete.pop()!;
    for (const line of complete) if (line) lines.push(JSON.parse(line));
  });
  setLogDestination(stream);
});
afterAll(() => setLogDestination(undefined));

const supergraph = useSupergraph({ env: { LOG_LEVEL: "info" } });

beforeAll(async () => {
  owner = await supergraph.signUp();
});

describe("structured logs with a request id", () => {
  it("follows one request across the gateway and the subgraphs it calls, with the caller's x-request-id", async () => {
    const response = await fetch(supergraph.stack.gateway.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${owner.accessToken}`,
        "x-request-id": "trace-abc-123",
      },
      body: JSON.stringify({
        query:
          "query Overview { me { email } metrics { name } customers(first: 1) { totalCount } }",
        operationName: "Overview",
      }),
    });
    expect(response.headers.get("x-request-id")).toBe("trace-abc-123");
    await response.json();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const traced = lines.filter((line) => line.requestId === "trace-abc-123");
    expect(new Set(traced.map((line) => line.service))).toEqual(
      new Set(["gateway", "users", "customers", "analytics"]),
    );
    const gatewayLine = traced.find((line) => line.service === "gateway")!;
    expect(gatewayLine).toMatchObject({
      msg: "graphql request",
      operation: "Overview",
      status: 200,
      level: 30,
    });
    expect(typeof gatewayLine.durationMs).toBe("number");
    expect(typeof gatewayLine.time).toBe("string");
  });

  it("makes an id when the caller sends none (or an unusable one)", async () => {
    for (const header of [undefined, "bad id with spaces"]) {
      const response = await fetch(supergraph.stack.gateway.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(header ? { "x-request-id": header } : {}),
        },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
