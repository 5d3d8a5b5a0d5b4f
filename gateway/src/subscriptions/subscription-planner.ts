import { operationFromDocument, Supergraph, type Schema } from "@apollo/federation-internals";
import { buildOperationContext } from "@apollo/gateway";

type OperationContext = ReturnType<typeof buildOperationContext>;
import { QueryPlanner, type FetchNode, type PlanNode } from "@apollo/query-planner";
import { GraphQLError, print, type DocumentNode, type GraphQLSchema } from "graphql";
import { ErrorCode } from "#kit/errors";

/** How one subscription operation runs across subgraphs. */
export interface SubscriptionPlan {
  /** The subscription to open on the subgraph that owns the root field. */
  primary: FetchNode;
  /**
   * Completes each event with fields of other subgraphs (`_entities` fetches); absent when none.
   */
  rest: PlanNode | undefined;
  operationContext: OperationContext;
}

/** Plans kept per document and operation name. */
const PLAN_CACHE_SIZE = 500;

/**
 * Plans subscriptions with the same query planner `@apollo/gateway` uses for queries (it plans
 * subscriptions, but its executor refuses to run them): the plan names the owning subgraph from the
 * supergraph, never from a hard-coded list.
 */
export class SubscriptionPlanner {
  readonly supergraphSchema: GraphQLSchema;
  readonly apiSchema: Schema;
  /** The schema clients see (what operations are validated against). */
  readonly clientSchema: GraphQLSchema;
  /** Each subgraph's name and routing URL. */
  readonly subgraphs: { name: string; url: string }[];
  /** The supergraph and its query planner (shared with {@link SubgraphPassthrough}). */
  readonly supergraph: Supergraph;
  readonly queryPlanner: QueryPlanner;
  private readonly cache = new Map<string, SubscriptionPlan>();

  constructor(supergraphSdl: string) {
    const supergraph = (this.supergraph = Supergraph.build(supergraphSdl));
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.clientSchema = this.apiSchema.toGraphQLJSSchema();
    this.queryPlanner = new QueryPlanner(supergraph);
    this.subgraphs = supergraph
      .subgraphs()
      .values()
      .map((subgraph) => ({ name: subgraph.name, url: subgraph.url }));
  }

  /**
   * The plan of a validated subscription document; throws a GraphQLError when it cannot be planned.
   */
  plan(document: DocumentNode, operationName: string | undefined | null): SubscriptionPlan {
    const key = `${operationName ?? ""}\n${print(document)}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const operationContext = buildOperationContext({
      schema: this.clientSchema,
      operationDocument: document,
      operationName: operationName ?? undefined,
    });
    const queryPlan = this.queryPlanner.buildQueryPlan(
      operationFromDocument(this.apiSchema, document, {
        operationName: operationName ?? undefined,
      }),
    );
    const node = queryPlan.node;
    if (node?.kind !== "Subscription") {
      throw new GraphQLError("Only subscriptions are planned here.", {
        extensions: { code: ErrorCode.BadUserInput },
      });
    }
    const plan = { primary: node.primary, rest: node.rest, operationContext };
    if (this.cache.size >= PLAN_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, plan);
    return plan;
  }
}
