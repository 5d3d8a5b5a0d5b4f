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
