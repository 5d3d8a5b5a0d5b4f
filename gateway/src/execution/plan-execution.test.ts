import type { QueryPlan } from "@apollo/query-planner";
import { buildSchema } from "graphql";
import { Declined } from "./declined";
import { compilePlan, executePlan } from "./plan-execution";

/** The supergraph's types the representations' type conditions are checked against. */
const supergraph = buildSchema(`
  type Query { customers: [Customer] }
  type Customer { id: ID!, name: String, stats: Stats }
  type Stats { orders: Int }
`);

/** A root fetch of customers, then an entity fetch of their stats (as the planner makes them). */
const PLAN: QueryPlan = {
  kind: "QueryPlan",
  node: {
    kind: "Sequence",
    nodes: [
      {
        kind: "Fetch",
        serviceName: "customers",
        variableUsages: ["first"],
        operation:
          "query Page__customers__0($first:Int){customers(first:$first){__typename id name}}",
        operationName: "Page__customers__0",
        operationKind: "query" as never,
      },
      {
        kind: "Flatten",
        path: ["customers", "@"],
        node: {
          kind: "Fetch",
          serviceName: "analytics",
          requires: [
            {
              kind: "InlineFragment",
              typeCondition: "Customer",
              selections: [
                { kind: "Field", name: "__typename" },
                { kind: "Field", name: "id" },
              ],
            },
          ],
          operation:
            "query Page__analytics__1($representations:[_Any!]!){_entities(representations:$representations){...on Customer{stats{orders}}}}",
          operationName: "Page__analytics__1",
          operationKind: "query" as never,
        },
      },
    ],
  },
};

/** Answers from stand-in subgraphs, and the request bodies they were sent. */
function subgraphs(answers: Record<string, (body: any) => Record<string, unknown>>) {
  const sent: { serviceName: string; body: any; text: string }[] = [];
  const send = async (serviceName: string, text: string) => {
    const body = JSON.parse(text);
    sent.push({ serviceName, body, text });
    return answers[serviceName](body);
  };
  return { sent, send };
}

it("sends each fetch its variables and representations, and merges the entities' data", async () => {
  const { sent, send } = subgraphs({
    customers: () => ({
      customers: [
        { __typename: "Customer", id: "1", name: "Ada" },
        null,
        { __typename: "Customer", id: "2", name: "Bo" },
      ],
    }),
    analytics: (body) => ({
      _entities: body.variables.representations.map((r: { id: string }) => ({
        stats: { orders: Number(r.id) * 10 },
      })),
    }),
  });
  const data = await executePlan(compilePlan(PLAN)!, { first: 3, unused: true }, supergraph, send);
  expect(sent.map((s) => s.serviceName)).toEqual(["customers", "analytics"]);
  // Only the variables the fetch uses; the body laid out as @apollo/gateway lays it out.
  expect(sent[0].text).toBe(
    `{"query":${JSON.stringify(PLAN.node && (PLAN.node as any).nodes[0].operation)},"variables":{"first":3},"operationName":"Page__customers__0"}`,
  );
  // No representation for the null entry.
  expect(sent[1].body.variables).toEqual({
    representations: [
      { __typename: "Customer", id: "1" },
      { __typename: "Customer", id: "2" },
    ],
  });
  expect(data).toEqual({
    customers: [
      { __typename: "Customer", id: "1", name: "Ada", stats: { orders: 10 } },
      null,
      { __typename: "Customer", id: "2", name: "Bo", stats: { orders: 20 } },
    ],
  });
});

it("skips the entity fetch when there is no entity to ask about", async () => {
  const { sent, send } = subgraphs({ customers: () => ({ customers: [] }), analytics: () => ({}) });
  expect(await executePlan(compilePlan(PLAN)!, {}, supergraph, send)).toEqual({ customers: [] });
  expect(sent).toHaveLength(1);
});

it("declines an _entities answer of the wrong length", async () => {
  const { send } = subgraphs({
    customers: () => ({ customers: [{ __typename: "Customer", id: "1" }] }),
    analytics: () => ({ _entities: [] }),
  });
  await expect(executePlan(compilePlan(PLAN)!, {}, supergraph, send)).rejects.toThrow(Declined);
});

it("does not compile plans it does not run", () => {
  const fetch = (PLAN.node as any).nodes[0];
  expect(
    compilePlan({ kind: "QueryPlan", node: { kind: "Condition", condition: "c" } }),
  ).toBeNull();
  expect(
    compilePlan({ kind: "QueryPlan", node: { ...fetch, operationKind: "mutation" } }),
  ).toBeNull();
  expect(
    compilePlan({
      kind: "QueryPlan",
      node: { ...fetch, outputRewrites: [{ kind: "KeyRenamer", path: ["a"], renameKeyTo: "b" }] },
    }),
  ).toBeNull();
  expect(compilePlan({ kind: "QueryPlan" })).toEqual({ node: null });
});
