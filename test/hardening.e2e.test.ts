import { Lexer, Source, TokenKind } from "graphql";
import { auditServer } from "graphql-http";
import WebSocket from "ws";
import { startGateway } from "../gateway/src/gateway";
import { GRAPHQL_PATH } from "#kit/http/graphql-http-server";
import type { RunningService } from "#kit/server/graphql-service";
import { useSupergraph } from "./support/supergraph";

// Limits small enough to reach here; the defaults are in docs/hardening.md.
const file = useSupergraph({
  owner: true,
  env: {
    GRAPHQL_MAX_BODY_BYTES: "65536",
    RATE_LIMIT_PER_MINUTE: "600", // 10 per second
    RATE_LIMIT_BURST_SECONDS: "1", // a burst of 10
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "0", // every request here comes from 127.0.0.1
  },
});

/** POSTs a document with a fresh credential-less request or the owner's token. */
async function post(query: string, token: string | undefined = file.owner.accessToken) {
  return file.request(query, { token });
}

/**
 * `{ me { organization { users { organization { ... { id } } } } } }` with `depth` levels of
 * selection.
 */
function deepQuery(depth: number): string {
  let inner = "id";
  for (let level = depth - 1; level >= 2; level--)
    inner = level % 2 === 0 ? `organization { ${inner} }` : `users { ${inner} }`;
  return `{ me { ${inner} } }`;
}

describe("operation limits, each just under and just over", () => {
  it("depth: 10 levels run, 11 are refused with HTTP 400 naming the limit", async () => {
    const ok = await post(deepQuery(10));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    const over = await post(deepQuery(11));
    expect(over.status).toBe(400);
    expect(over.body.errors![0]).toMatchObject({
      message: expect.stringContaining("depth limit of 10"),
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
  });

  it("aliases: 30 run, 31 are refused", async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
    expect((await post(aliases(30))).status).toBe(200);
    const over = await post(aliases(31));
    expect(over.status).toBe(400);
    expect(over.body.errors![0].message).toContain("Aliases limit of 30");
  });

  it("directives: 50 run, 51 are refused", async () => {
    const directives = (n: number) => `{ me { ${"... @include(if: true) { id } ".repeat(n)} } }`;
    expect((await post(directives(50))).status).toBe(200);
    const over = await post(directives(51));
    expect(over.status).toBe(400);
    expect(over.body.errors![0].message).toContain("Directives limit of 50");
  });

  it("tokens: 5,000 parse, more are refused while parsing", async () => {
    // A long list argument: the document grows one token per item.
    const withItems = (n: number) =>
      `{ aggregate(metrics: [${'"a" '.repeat(n)}], from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { group } }`;
    const items = 5000 - countTokens(withItems(0));
    expect(countTokens(withItems(items))).toBe(5000);
    const under = await post(withItems(items));
    expect(under.status).toBe(200);
    expect(under.body.errors![0].extensions!.code).toBe("BAD_USER_INPUT"); // parsed, validated, run: "a" is no metric
    const over = await post(withItems(items + 1));
    expect(over.status).toBe(400);
    expect(over.body.errors![0]).toMatchObject({
      message: expect.stringContaining("5000 tokens"),
      extensions: { code: "GRAPHQL_PARSE_FAILED" },
    });
  });

  it("cost: counts list sizes; at the limit runs, one field more per item is refused", async () => {
    const { users, customers, analytics } = file.stack.subgraphs;
    process.env.GRAPHQL_MAX_COST = "901";
    const gateway = await startGateway({
      port: 0,
      subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics.url },
      usersBaseUrl: `http://localhost:${users.port}`,
    }).finally(() => delete process.env.GRAPHQL_MAX_COST);
    const post = (query: string) =>
      file.request(query, { url: gateway.url, token: file.owner.accessToken });
    // 1 + 100 x (edges 1 + node 1 + id 1 + stats 2 + segment 2 + churnRisk 2) = 901
    const page = (extra: string) =>
      `{ customers(first: 100) { edges { node { id stats { orders } segment { label } churnRisk { probability } ${extra} } } } }`;
    const ok = await post(page(""));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    const over = await post(page("name"));
    expect(over.status).toBe(400);
    expect(over.body.errors![0]).toMatchObject({
      message: expect.stringContaining("cost limit of 901 exceeded, found 1001"),
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
    await gateway.stop();
  });
});

describe("a subgraph reached directly", () => {
  it("applies the same depth and alias limits", async () => {
    let inner = "id";
    for (let level = 10; level >= 2; level--)
      inner = level % 2 === 0 ? `organization { ${inner} }` : `users { ${inner} }`;
    const deep = await file.request(`{ me { ${inner} } }`, {
      token: file.owner.accessToken,
      url: file.stack.subgraphs.users.url,
    });
    expect(deep.status).toBe(400);
    expect(deep.body.errors![0].message).toContain("depth limit of 10");
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
    const many = await file.request(aliases, {
      token: file.owner.accessToken,
      url: file.stack.subgraphs.users.url,
    });
    expect(many.status).toBe(400);
  });
});

describe("HTTP", () => {
  const url = () => file.stack.gateway.url;

  it("refuses batched requests", async () => {
    const response = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]),
    });
    expect(response.status).toBe(400);
  });

  it("prevents CSRF: a simple (non-preflighted) request is refused", async () => {
    const form = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(form.status).toBe(400);
    const get = await fetch(`${url()}?query=${encodeURIComponent("{ __typename }")}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toContain("Cross-Site Request Forgery");
    const preflighted = await fetch(`${url()}?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(preflighted.status).toBe(200);
  });

  it("caps request bodies with HTTP 413", async () => {
    const big = JSON.stringify({ query: `{ __typename }`, variables: { pad: "x".repeat(70_000) } });
    const response = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(response.status).toBe(413);
    expect(
      ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
        .extensions.code,
    ).toBe("BAD_REQUEST");
  });

  it("rate limits per caller: HTTP 429 with Retry-After and RATE_LIMITED, whatever token the user holds, then lets the caller back in", async () => {
    const caller = await file.signUp();
    // A second token of the same user shares the bucket.
    const secondToken = (
      await file.request(
        `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
        { variables: { email: caller.email, password: caller.password } },
      )
    ).body.data!.login.accessToken;
    const send = (token: string) =>
      fetch(url(), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ me { id } }" }),
      });
    // 20 at once, with two tokens, against a bucket of 10 (refilled at 10 per second).
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(i % 2 ? secondToken : caller.accessToken)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(5);
    const refused = responses.find((response) => response.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(
      ((await refused.json()) as { errors: { extensions: unknown }[] }).errors[0].extensions,
    ).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 1 });
    // Another credential is not affected.
    expect((await post("{ me { id } }")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await fetch(url(), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${caller.accessToken}`,
      },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(again.status).toBe(200);
  });

  it("counts operations sent over the WebSocket against the same caller's limit", async () => {
    const caller = await file.signUp();
    const codes = await new Promise<string[]>((resolve) => {
      const socket = new WebSocket(url().replace(/^http/, "ws"), "graphql-transport-ws");
      const seen: string[] = [];
      socket.on("open", () =>
        socket.send(
          JSON.stringify({
            type: "connection_init",
            payload: { authorization: `Bearer ${caller.accessToken}` },
          }),
        ),
      );
      socket.on("message", (data) => {
        const message = JSON.parse(String(data));
        if (message.type === "connection_ack") {
          for (let i = 0; i < 20; i++)
            socket.send(
              JSON.stringify({
                id: String(i),
                type: "subscribe",
                payload: { query: "{ me { id } }" },
              }),
            );
        } else if (message.type === "next" || message.type === "error") {
          seen.push(message.type === "next" ? "ok" : message.payload[0].extensions.code);
          if (seen.length === 20) {
            socket.close();
            resolve(seen);
          }
        }
      });
    });
    expect(codes.filter((code) => code === "ok").length).toBeGreaterThanOrEqual(10);
    expect(codes).toContain("RATE_LIMITED");
  });

  it("passes every mandatory GraphQL-over-HTTP audit (graphql-http)", async () => {
    const results = await auditServer({ url: url() });
    const failures = results
      .filter((result) => result.status === "error")
      .map((result) => `${result.name}: ${(result as { reason?: string }).reason}`);
    expect(failures).toEqual([]);
    // application/graphql-response+json is spoken.
    const response = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(response.headers.get("content-type")).toContain("application/graphql-response+json");
  });
});

describe("in production (NODE_ENV=production)", () => {
  let gateway: RunningService;

  beforeAll(async () => {
    const { users, customers, analytics } = file.stack.subgraphs;
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      gateway = await startGateway({
        port: 0,
        subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics.url },
        usersBaseUrl: `http://localhost:${users.port}`,
      });
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  afterAll(() => gateway?.stop());

  it("refuses introspection, hides field suggestions, and keeps internals out of errors", async () => {
    const introspection = await file.request(`{ __schema { types { name } } }`, {
      url: gateway.url,
      token: file.owner.accessToken,
    });
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors![0].message).toMatch(/introspection/i);
    const typo = await file.request(`{ me { emial } }`, {
      url: gateway.url,
      token: file.owner.accessToken,
    });
    expect(typo.status).toBe(400);
    expect(typo.body.errors![0].message).not.toMatch(/Did you mean/);
    expect(JSON.stringify(typo.body)).not.toMatch(/stacktrace|localhost|SELECT/);
  });

  it("serves introspection in production only with GRAPHQL_INTROSPECTION=true", async () => {
    const { users, customers, analytics } = file.stack.subgraphs;
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    process.env.GRAPHQL_INTROSPECTION = "true";
    const open = await startGateway({
      port: 0,
      subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics.url },
      usersBaseUrl: `http://localhost:${users.port}`,
    }).finally(() => {
      process.env.NODE_ENV = previous;
      delete process.env.GRAPHQL_INTROSPECTION;
    });
    try {
      const introspection = await file.request(`{ __schema { queryType { name } } }`, {
        url: open.url,
        token: file.owner.accessToken,
      });
      expect(introspection.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    } finally {
      await open.stop();
    }
  });

  it("serves the same API otherwise", async () => {
    const me = await file.request(`{ me { email } }`, {
      url: gateway.url,
      token: file.owner.accessToken,
    });
    expect(me.body.data).toEqual({ me: { email: file.owner.email } });
    expect(gateway.url.endsWith(GRAPHQL_PATH)).toBe(true);
  });
});

/** The lexical tokens of a document, as the parser counts them for its limit. */
function countTokens(document: string): number {
  const lexer = new Lexer(new Source(document));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}
