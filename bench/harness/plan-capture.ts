import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from "@apollo/gateway";
import type { PlanNode, QueryPlan } from "@apollo/query-planner";
import { ApolloServer } from "@apollo/server";
import type { RequestTree } from "./user-load";

interface RecordedFetch {
  url: string;
  body: string;
}

interface Context {
  authorization: string;
}

/**
 * Records, for operations as given users send them, the subgraph requests a federated query plan
 * makes: an in-process `@apollo/gateway` (the query planner our gateway and the bare peer use)
 * over the bench supergraph runs each operation once, while its data sources record every fetch's
 * URL and body on the way to the real subgraphs. The result is the plan's tree (sequences and
 * parallel branches) with each fetch's recorded request, to replay as the "subgraphs alone" load.
 */
export class PlanCapture {
  private readonly recorded: RecordedFetch[] = [];
  private plan: QueryPlan | null = null;
  private readonly server: ApolloServer<Context>;
  private readonly urls = new Map<string, string>();

  private constructor(supergraphSdl: string) {
    const recorded = this.recorded;
    const gateway = new ApolloGateway({
      supergraphSdl,
      experimental_didResolveQueryPlan: ({ queryPlan }) => {
        this.plan = queryPlan;
      },
      buildService: ({ name, url }) => {
        this.urls.set(name, url!);
        return new (class extends RemoteGraphQLDataSource<Context> {
          override willSendRequest({
            request,
            context,
          }: GraphQLDataSourceProcessOptions<Context>): void {
            request.http?.headers.set("authorization", (context as Context).authorization);
          }
        })({
          url,
          fetcher: (async (input: string, init: { body?: string } & RequestInit) => {
            recorded.push({ url: input, body: String(init.body) });
            return fetch(input, init);
          }) as never,
        });
      },
    });
    this.server = new ApolloServer<Context>({ gateway: gateway as never });
  }

  static async start(supergraphSdl: string): Promise<PlanCapture> {
    const capture = new PlanCapture(supergraphSdl);
    await capture.server.start();
    return capture;
  }

  /**
   * Runs the operation once as the caller with `authorization`; resolves the subgraph requests of
   * its plan as a tree, each with that authorization. Throws when the operation has errors or
   * the plan holds what is not replayed here (deferred or conditional parts).
   */
  async capture(
    query: string,
    variables: Record<string, unknown>,
    authorization: string,
  ): Promise<RequestTree> {
    this.recorded.length = 0;
    this.plan = null;
    const response = await this.server.executeOperation(
      { query, variables },
      { contextValue: { authorization } },
    );
    const result = response.body.kind === "single" ? response.body.singleResult : null;
    if (!result?.data || result.errors?.length)
      throw new Error(`Capturing the plan's fetches failed: ${JSON.stringify(result?.errors)}`);
    const plan = this.plan as QueryPlan | null;
    if (!plan?.node) throw new Error("The query plan was not seen.");
    if (plan.node.kind === "Subscription") throw new Error("Subscriptions are not replayed.");
    const unused = [...this.recorded];
    const tree = this.treeOf(plan.node, unused, authorization);
    if (unused.length)
      throw new Error(`${unused.length} subgraph fetches are not in the plan's tree.`);
    if (!tree) throw new Error("The plan made no subgraph fetch.");
    return tree;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** The plan node as a request tree, taking each fetch's recorded request out of `unused`. */
  private treeOf(
    node: PlanNode,
    unused: RecordedFetch[],
    authorization: string,
  ): RequestTree | null {
    switch (node.kind) {
      case "Fetch": {
        const url = this.urls.get(node.serviceName);
        const at = unused.findIndex(
          (fetch) => fetch.url === url && JSON.parse(fetch.body).query === node.operation,
        );
        // A fetch with nothing to resolve (no entities) is not sent, by the gateways either.
        if (at === -1) return null;
        const [fetch] = unused.splice(at, 1);
        return {
          kind: "request",
          url: fetch.url,
          body: fetch.body,
          headers: { authorization },
        };
      }
      case "Flatten":
        return this.treeOf(node.node, unused, authorization);
      case "Sequence":
      case "Parallel": {
        const nodes = node.nodes
          .map((child) => this.treeOf(child, unused, authorization))
          .filter((child): child is RequestTree => child !== null);
        if (nodes.length === 0) return null;
        return nodes.length === 1
          ? nodes[0]
          : { kind: node.kind === "Sequence" ? "sequence" : "parallel", nodes };
      }
      default:
        throw new Error(`A ${node.kind} node in the query plan is not replayed by the bench.`);
    }
  }
}
