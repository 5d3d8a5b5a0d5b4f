import fc from "fast-check";
import { useSupergraph } from "./support/supergraph";

// Property-based: random and malformed documents, variables and event batches through the gateway.
// Whatever arrives: never a 5xx, always a JSON answer, the services stay up, and a batch is stored
// entirely as reported or not at all. Seeded, so a failure can be replayed (`FUZZ_SEED`).
const seed = Number(process.env.FUZZ_SEED ?? 20261123);

const file = useSupergraph({ owner: true });

/** Sends a raw body; resolves the status and the parsed JSON (throws when it is not JSON). */
async function send(body: string, contentType = "application/json") {
  const response = await fetch(file.stack.gateway.url, {
    method: "POST",
    headers: { "content-type": contentType, authorization: `Bearer ${file.owner.accessToken}` },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    json: JSON.parse(text) as { data?: any; errors?: { extensions?: { code?: string } }[] },
  };
}

const FIELDS = [
  "me",
  "users",
  "customers",
  "customer",
  "campaigns",
  "metrics",
  "timeseries",
  "aggregate",
  "summary",
  "segmentation",
  "churnModel",
  "churnPredictions",
  "alertRules",
  "__typename",
  "__schema",
  "nope",
];
const SUBFIELDS = [
  "id",
  "name",
  "email",
  "edges",
  "node",
  "totalCount",
  "value",
  "points",
  "bucket",
  "stats",
  "segment",
  "label",
  "organization",
  "__typename",
];
const VALUES = fc.oneof(
  fc.integer({ min: -1e9, max: 1e9 }).map(String),
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.constantFrom(
    "true",
    "null",
    "DAY",
    "MINUTE",
    "[]",
    "{}",
    "$v",
    "1e400",
    '"2026-01-01T00:00:00Z"',
    "-0",
    '"\\u0000"',
  ),
);

/**
 * Documents that look like GraphQL: fields, arguments, nesting, fragments, directives, variables.
 */
const graphqlish: fc.Arbitrary<string> = fc.letrec((tie) => ({
  selection: fc
    .tuple(
      fc.constantFrom(...FIELDS, ...SUBFIELDS),
      fc.array(
        fc.tuple(
          fc.constantFrom(
            "first",
            "id",
            "metric",
            "from",
            "to",
            "interval",
            "filter",
            "after",
            "x",
          ),
          VALUES,
        ),
        { maxLength: 3 },
      ),
      fc.option(tie("set"), { nil: undefined }),
      fc.boolean(),
    )
    .map(
      ([name, args, set, directive]) =>
        `${name}${args.length ? `(${args.map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""}${directive ? " @include(if: $v)" : ""}${set ?? ""}`,
    ),
  set: fc
    .array(tie("selection"), { minLength: 1, maxLength: 4 })
    .map((selections) => ` { ${selections.join(" ")} }`),
  document: fc
    .tuple(
      fc.constantFrom(
        "",
        "query Q($v: Boolean)",
        "mutation",
        "subscription",
        "query($v: Int!)",
        "fragment F on User",
      ),
      tie("set"),
    )
    .map(([head, set]) => `${head}${set}`),
})).document as fc.Arbitrary<string>;

describe("fuzzing the gateway", () => {
  it("answers malformed and random documents and variables without a 5xx", async () => {
    const bodies = fc.oneof(
      graphqlish.map((query) => JSON.stringify({ query })),
      fc
        .tuple(graphqlish, fc.jsonValue())
        .map(([query, variables]) => JSON.stringify({ query, variables })),
      fc.string({ maxLength: 200 }).map((query) => JSON.stringify({ query })),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200 }),
      fc
        .tuple(
          fc.constantFrom(
            "{ me { id } }",
            "query($n: Int) { customers(first: $n) { totalCount } }",
          ),
          fc.anything(),
        )
        .map(([query, variables]) =>
          JSON.stringify({
            query,
            variables,
            operationName: typeof variables === "string" ? variables : undefined,
          }),
        ),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const { status, json } = await send(body);
        expect(status).toBeLessThan(500);
        if (status === 200 && json.errors)
          for (const error of json.errors)
            expect(error.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
      }),
      { seed, numRuns: 250 },
    );
  }, 180_000);

  it("stores a random event batch exactly as reported, or nothing of a refused one", async () => {
    const event = fc.record(
      {
        id: fc.oneof(fc.uuid(), fc.string({ maxLength: 140 })),
        type: fc.oneof(
          fc.constantFrom("purchase", "page_view", "signup"),
          fc.string({ maxLength: 70 }),
        ),
        timestamp: fc.oneof(
          fc
            .date({
              min: new Date("1990-01-01"),
              max: new Date(Date.now() + 3_600_000),
              noInvalidDate: true,
            })
            .map((date) => date.toISOString()),
          fc.string({ maxLength: 30 }),
        ),
        value: fc.oneof(fc.double(), fc.string({ maxLength: 5 }), fc.constant(null)),
        customerId: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 }), fc.constant(null)),
        properties: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })),
          fc.constant(null),
          fc.string({ maxLength: 5 }),
        ),
      },
      { requiredKeys: [] },
    );
    let batchNumber = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 30 }), async (events) => {
        // Each batch's ids are made unique to it, so what it stored can be counted.
        const prefix = `fz${batchNumber++}-`;
        const tagged = events.map((e) =>
          typeof e.id === "string" ? { ...e, id: prefix + e.id } : e,
        );
        const { status, json } = await send(
          JSON.stringify({
            query: `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`,
            variables: { events: tagged },
          }),
        );
        expect(status).toBeLessThan(500);
        const [{ stored }] = await file.sql<{ stored: number }>(
          "analytics",
          `SELECT count(*)::int AS stored FROM events WHERE organization_id = $1 AND starts_with(id, $2)`,
          [file.owner.organizationId, prefix],
        );
        const withoutId = tagged.filter((e) => typeof e.id !== "string").length;
        if (json.data?.trackEvents) {
          const { accepted, duplicates, rejected } = json.data.trackEvents;
          expect(accepted + duplicates + rejected.length).toBe(events.length);
          // Events without a client id get a generated one (not under this prefix).
          expect(stored).toBeLessThanOrEqual(accepted);
          expect(stored).toBeGreaterThanOrEqual(accepted - withoutId);
        } else {
          expect(stored).toBe(0);
        }
      }),
      { seed, numRuns: 60 },
    );
  }, 180_000);

  it("is still up and serving afterwards", async () => {
    const { status, json } = await send(JSON.stringify({ query: "{ me { email } }" }));
    expect(status).toBe(200);
    expect(json.data.me.email).toBe(file.owner.email);
  });
});

/** One HTTP request as sent raw: method, query string, headers and body. */
interface RawRequest {
  name: string;
  method?: string;
  search?: string;
  contentType?: string | null;
  body?: string;
}

/** Sends a raw request to `url`; resolves the status and the JSON body (null when none). */
async function sendRaw(url: string, request: RawRequest) {
  const headers: Record<string, string> = { authorization: `Bearer ${file.owner.accessToken}` };
  if (request.contentType !== null)
    headers["content-type"] = request.contentType ?? "application/json";
  const response = await fetch(`${url}${request.search ?? ""}`, {
    method: request.method ?? "POST",
    headers,
    body: request.body,
  });
  const text = await response.text();
  let json: { errors?: { message: string; extensions?: Record<string, unknown> }[] } | null = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

const post = (name: string, value: unknown): RawRequest => ({ name, body: JSON.stringify(value) });
const ME = "{ __typename }";
const DECLARED = "query($n: Int, $s: String!, $list: [Int!], $input: EventFilter) { __typename }";

/** Nested arrays `depth` deep: [[[...]]]. */
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** Requests of a malformed shape: each must get a 4xx with a stable `extensions.code`. */
const MALFORMED: RawRequest[] = [
  ...[1, true, {}, [], ["Q"], 0.5].map((operationName) =>
    post(`operationName ${JSON.stringify(operationName)}`, { query: ME, operationName }),
  ),
  post("operationName naming no operation", { query: ME, operationName: "Nope" }),
  post("operationName naming no operation of several", {
    query: "query A { __typename } query B { __typename }",
    operationName: "C",
  }),
  post("several operations without operationName", {
    query: "query A { __typename } query B { __typename }",
  }),
  post("only fragments", { query: "fragment F on Query { __typename }" }),
  ...["x", 1, true, [], [1, 2], [{}]].map((variables) =>
    post(`variables ${JSON.stringify(variables)}`, { query: ME, variables }),
  ),
  {
    name: "variables nested 5,000 deep",
    body: `{"query":${JSON.stringify(DECLARED)},"variables":{"list":${nested(5_000)}}}`,
  },
  {
    name: "variables nested 5,000 objects deep",
    body: `{"query":${JSON.stringify(DECLARED)},"variables":{"input":${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}}}`,
  },
  post("a 2 MB variable", { query: DECLARED, variables: { s: "x".repeat(2_000_000) } }),
  post("a 200,000-item list variable", {
    query: DECLARED,
    variables: { s: "", list: Array.from({ length: 200_000 }, (_, i) => i) },
  }),
  ...[
    { n: "1" },
    { n: 1.5 },
    { n: 2 ** 40 },
    { s: null },
    { s: 1 },
    {},
    { s: "", list: "1" },
    { s: "", list: [null] },
    { s: "", list: [[1]] },
    { s: "", input: "x" },
    { s: "", input: { types: 1 } },
    { s: "", input: { nope: 1 } },
  ].map((variables) =>
    post(`declared variables ${JSON.stringify(variables)}`, { query: DECLARED, variables }),
  ),
  ...[
    "x",
    1,
    [],
    true,
    { persistedQuery: "x" },
    { persistedQuery: { version: 2, sha256Hash: 1 } },
  ].map((extensions) =>
    post(`extensions ${JSON.stringify(extensions)}`, { query: ME, extensions }),
  ),
  post("a persisted query hash that is not hex", {
    extensions: { persistedQuery: { version: 1, sha256Hash: "x" } },
  }),
  post("query not a string", { query: 1 }),
  post("query an object", { query: { kind: "Document" } }),
  post("no query", { variables: {} }),
  post("a batch", [{ query: ME }, { query: ME }]),
  post("an empty batch", []),
  post("a JSON string", "query"),
  post("JSON null", null),
  { name: "empty body", body: "" },
  { name: "not JSON", body: "{ me { id } }" },
  { name: "truncated JSON", body: '{"query": "{ __typename }"' },
  ...[
    "?",
    "?query=",
    "?query=%7B__typename%7D&variables=notjson",
    "?query=%7B__typename%7D&variables=%5B1%5D",
    "?query=%7B__typename%7D&extensions=bad",
    "?query=%7B__typename%7D&operationName=Nope",
    "?query=query%20A%7B__typename%7Dquery%20B%7B__typename%7D",
    "?query=%7B__typename%7D&query=%7B__typename%7D",
    "?query=%zz",
    "?query=mutation%20%7B__typename%7D",
    "?query=%7B",
    `?query=${"%7B".repeat(3_000)}`,
    "?variables=%7B%7D",
  ].map((search): RawRequest => ({
    name: `GET ${search.slice(0, 60)}`,
    method: "GET",
    search,
    contentType: null,
  })),
  ...["PUT", "DELETE", "PATCH", "PROPFIND", "FOO"].map((method): RawRequest => ({
    name: `${method}`,
    method,
    body: JSON.stringify({ query: ME }),
  })),
  ...[
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/graphql",
    "application/xml",
    null,
  ].map((contentType): RawRequest => ({
    name: `content type ${contentType}`,
    contentType,
    body: JSON.stringify({ query: ME }),
  })),
];

/** The codes a malformed request may get (kit/errors.ts's and the GraphQL framework's). */
const REQUEST_ERROR_CODES = [
  "BAD_REQUEST",
  "BAD_USER_INPUT",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
];

describe.each(["gateway", "users", "customers", "analytics"] as const)(
  "malformed requests to the %s",
  (service) => {
    const url = () =>
      service === "gateway" ? file.stack.gateway.url : file.stack.subgraphs[service].url;

    it.each(MALFORMED.map((request) => [request.name, request] as const))(
      "%s: a 4xx with a stable code",
      async (_name, request) => {
        const { status, json, text } = await sendRaw(url(), request);
        if (status < 400 || status >= 500)
          throw new Error(`HTTP ${status}, not a 4xx: ${text.slice(0, 300)}`);
        expect(json?.errors?.length).toBeGreaterThan(0);
        for (const error of json!.errors!) {
          expect(REQUEST_ERROR_CODES).toContain(error.extensions?.code);
          expect(error.extensions).not.toHaveProperty("detail");
        }
      },
    );

    it("answers random operationName, variables and extensions of any shape without a 5xx", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(ME, DECLARED, "query A { __typename } query B { __typename }"),
          fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
          fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
          fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })), {
            nil: undefined,
          }),
          async (query, variables, extensions, operationName) => {
            const { status, json } = await sendRaw(
              url(),
              post("random", { query, variables, extensions, operationName }),
            );
            expect(status).toBeLessThan(500);
            for (const error of json?.errors ?? [])
              expect(error.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
          },
        ),
        { seed, numRuns: 80 },
      );
    }, 120_000);
  },
);

describe("a persisted query the server does not know", () => {
  it("gets PERSISTED_QUERY_NOT_FOUND, as APQ clients expect, from the gateway and each subgraph", async () => {
    for (const url of [
      file.stack.gateway.url,
      ...Object.values(file.stack.subgraphs).map((subgraph) => subgraph.url),
    ]) {
      const { status, json } = await sendRaw(
        url,
        post("unknown hash", {
          extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } },
        }),
      );
      expect(status).toBeLessThan(500);
      expect(json?.errors?.map((error) => error.extensions?.code)).toEqual([
        "PERSISTED_QUERY_NOT_FOUND",
      ]);
    }
  });
});
