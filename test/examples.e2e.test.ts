import { readFileSync } from "node:fs";
import path from "node:path";
import { Supergraph } from "@apollo/federation-internals";
import { Kind, parse, print, validate, type OperationDefinitionNode } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { useSupergraph } from "./support/supergraph";

// docs/examples.graphql, run as written against the demo data (loaded by the global setup).
const ROOT = path.resolve(__dirname, "..");
const document = parse(readFileSync(path.join(ROOT, "docs/examples.graphql"), "utf8"));
const operations = document.definitions.filter(
  (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
);
// Segmentation and training change the demo organization's latest models, which other test files
// read at the same time: those two are validated here and run by test/models.e2e.test.ts.
// Mutations that change the demo data (or call out: a webhook at example.com) are validated only.
const VALIDATED_ONLY = new Set([
  "Segment",
  "TrainChurn",
  "CreateWebhookChannel",
  "CreateAnomalyRule",
  "CreateCohort",
]);

const supergraph = useSupergraph();
let token: string;

beforeAll(async () => {
  token = await supergraph.login("admin@acme.test"); // as in GraphiQL
});

describe("docs/examples.graphql", () => {
  it("covers every area, and every operation is valid against the supergraph", () => {
    const names = operations.map((operation) => operation.name!.value);
    expect(names).toEqual(
      expect.arrayContaining([
        "Login",
        "WhoAmI",
        "NewestActiveCustomers",
        "ActiveCampaigns",
        "Metrics",
        "RevenueByWeek",
        "Dashboard",
        "Segment",
        "TrainChurn",
        "AtRisk",
        "LiveEvents",
        "LiveRevenue",
        "Alerts",
        "RevenueAnomalies",
        "AlertsAndDeliveries",
        "Identify",
        "SignupFunnel",
        "WeeklyRetention",
        "DailyStickiness",
        "WeeklyLifecycle",
        "PathsFromPageView",
        "CreateCohort",
        "Cohorts",
        "RepeatBuyers",
      ]),
    );
    const schema = Supergraph.build(
      readFileSync(path.join(ROOT, "schema/supergraph.graphql"), "utf8"),
    )
      .apiSchema()
      .toGraphQLJSSchema();
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
  });

  const runnable = operations.filter(
    (operation) =>
      operation.operation !== "subscription" && !VALIDATED_ONLY.has(operation.name!.value),
  );
  it.each(runnable.map((operation) => [operation.name!.value, operation] as const))(
    "%s runs without errors",
    async (_name, operation) => {
      const { status, body } = await supergraph.request(print(operation), { token });
      expect(body.errors).toBeUndefined();
      expect(status).toBe(200);
    },
  );

  const subscriptions = operations.filter((operation) => operation.operation === "subscription");
  it.each(subscriptions.map((operation) => [operation.name!.value, operation] as const))(
    "%s starts over WebSocket",
    async (name, operation) => {
      const client = createClient({
        url: supergraph.stack.gateway.url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      try {
        const outcome = await new Promise<string>((resolve) => {
          client.subscribe(
            { query: print(operation) },
            {
              next: (result) =>
                resolve(result.errors ? `errors: ${JSON.stringify(result.errors)}` : "data"),
              error: (error) => resolve(`error: ${JSON.stringify(error)}`),
              complete: () => resolve("completed"),
            },
          );
          // Event and alert subscriptions stay silent until something happens: running is enough.
          setTimeout(() => resolve("running"), 1000);
        });
        expect(outcome).toBe(name === "LiveRevenue" ? "data" : "running");
      } finally {
        await client.dispose();
      }
    },
  );
});
