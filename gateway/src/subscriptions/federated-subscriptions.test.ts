import { readFileSync } from "node:fs";
import path from "node:path";
import type { GraphQLDataSource } from "@apollo/gateway";
import { parse, type ExecutionResult } from "graphql";
import type { GatewayContext } from "../context";
import { FederatedSubscriptions } from "./federated-subscriptions";
import { SubscriptionPlanner } from "./subscription-planner";
import type { UpstreamConnections } from "./upstream-connections";

const planner = new SubscriptionPlanner(
  readFileSync(path.join(__dirname, "../../../schema/supergraph.graphql"), "utf8"),
);

/**
 * A stand-in for the subgraph's graphql-ws connection: records what was subscribed and lets the
 * test send events.
 */
function fakeUpstream() {
  const opened: { query: string; operationName?: string; variables?: Record<string, unknown> }[] =
    [];
  let sink: { next(value: unknown): void } | undefined;
  const upstream = {
    acquire: () => ({
      client: {
        subscribe(
          request: { query: string; operationName?: string },
          s: { next(value: unknown): void },
        ) {
          opened.push(request);
          sink = s;
          return () => undefined;
        },
      },
      release: () => undefined,
    }),
  } as unknown as UpstreamConnections;
  return { upstream, opened, send: (event: unknown) => sink!.next(event) };
}

async function take(
  iterable: AsyncIterable<ExecutionResult>,
  count: number,
): Promise<ExecutionResult[]> {
  const results: ExecutionResult[] = [];
  for await (const result of iterable) {
    results.push(result);
    if (results.length === count) break;
  }
  return results;
}

const context: GatewayContext = { viewer: null, accessToken: "token" };

describe("FederatedSubscriptions", () => {
  it("opens a subscription that needs no other subgraph as the client wrote it, and forwards its events as they are", async () => {
    const { upstream, opened, send } = fakeUpstream();
    const subscriptions = new FederatedSubscriptions(planner, {}, upstream, () => true);
    const document = parse(`subscription Mine { eventTracked { id kind: type customer { id } } }`);
    const iterable = subscriptions.subscribe({
      schema: planner.clientSchema,
      document,
      operationName: "Mine",
      contextValue: context,
    }) as AsyncIterable<ExecutionResult>;
    expect(opened).toHaveLength(1);
    expect(opened[0].operationName).toBe("Mine");
    expect(opened[0].query).toContain("kind: type");
    const events = [1, 2, 3].map((n) => ({
      data: { eventTracked: { id: `e${n}`, kind: "purchase", customer: { id: `c${n}` } } },
    }));
    const received = take(iterable, 3);
    for (const event of events) send(event);
    expect(await received).toEqual(events);
  });

  it("completes the events of a plan with other subgraphs concurrently, and delivers them in the subgraph's order", async () => {
    const { upstream, opened, send } = fakeUpstream();
    let inFlight = 0;
    let mostInFlight = 0;
    let calls = 0;
    // The first event's entity fetch is the slowest: in order delivery must wait for it.
    const customers = {
      async process({
        request,
      }: {
        request: { variables?: { representations?: { id: string }[] } };
      }) {
        const delay = 40 - 10 * calls++;
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, delay));
        inFlight--;
        return {
          data: {
            _entities: (request.variables?.representations ?? []).map((r) => ({
              __typename: "Customer",
              name: `name of ${r.id}`,
            })),
          },
        };
      },
    } as unknown as GraphQLDataSource<GatewayContext>;
    const subscriptions = new FederatedSubscriptions(planner, { customers }, upstream, () => true);
    const document = parse(`subscription Named { eventTracked { id customer { name } } }`);
    const iterable = subscriptions.subscribe({
      schema: planner.clientSchema,
      document,
      operationName: "Named",
      contextValue: context,
    }) as AsyncIterable<ExecutionResult>;
    // Planned: the subgraph gets the plan's own operation, not the client's.
    expect(opened[0].operationName).not.toBe("Named");
    const received = take(iterable, 4);
    for (let n = 1; n <= 4; n++)
      send({
        data: { eventTracked: { id: `e${n}`, customer: { __typename: "Customer", id: `c${n}` } } },
      });
    const results = await received;
    expect(results.map((result) => result.data)).toEqual(
      [1, 2, 3, 4].map((n) => ({
        eventTracked: { id: `e${n}`, customer: { name: `name of c${n}` } },
      })),
    );
    expect(mostInFlight).toBeGreaterThan(1);
  });
});
