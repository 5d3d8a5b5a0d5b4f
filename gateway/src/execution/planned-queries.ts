import { operationFromDocument } from "@apollo/federation-internals";
import {
  getOperationAST,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { PlanningSources } from "../passthrough/subgraph-passthrough";
import { compilePlan, executePlan, type CompiledPlan, type SendFetch } from "./plan-execution";
import { compileResultShape, shapeResult, type ResultShape } from "./result-shape";

/** A query compiled for the gateway's own execution: its plan and the shape of its answers. */
export interface PlannedQuery {
  plan: CompiledPlan;
  shape: ResultShape;
  operation: OperationDefinitionNode;
}

/**
 * Federated queries executed by the gateway itself, without `@apollo/gateway`'s executor: the same
 * query plan (from the same planner), the same merge of the subgraphs' data, and the same result
 * shaping, compiled once per document instead of interpreted per request, and answered only when
 * every subgraph answered cleanly (see {@link ResultShape} for what is left to `@apollo/gateway`).
 */
export class PlannedQueries {
  constructor(
    private readonly planning: PlanningSources,
    /** The supergraph's schema as graphql-js's (type conditions of representations). */
    private readonly supergraphSchema: GraphQLSchema,
  ) {}

  /**
   * The query compiled, or null when the gateway's own execution does not run it (not a query, a
   * plan or a selection it does not handle, or no plan at all).
   */
  compile(document: DocumentNode, operationName: string | undefined): PlannedQuery | null {
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== "query") return null;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        fragments.set(definition.name.value, definition);
    const shape = compileResultShape(this.planning.clientSchema, operation, fragments);
    if (!shape) return null;
    let plan;
    try {
      plan = compilePlan(
        this.planning.queryPlanner.buildQueryPlan(
          operationFromDocument(this.planning.apiSchema, document, { operationName }),
        ),
      );
    } catch {
      return null;
    }
    return plan ? { plan, shape, operation } : null;
  }

  /**
   * The response body (`{"data":…}`) of the query for these variables, or null when the answer is
   * for `@apollo/gateway` to give: `send` threw (a subgraph answered with errors or could not be
   * asked), or the data has values it would report.
   */
  async run(
    query: PlannedQuery,
    variables: Readonly<Record<string, unknown>>,
    send: SendFetch,
  ): Promise<string | null> {
    try {
      const merged = await executePlan(query.plan, variables, this.supergraphSchema, send);
      return JSON.stringify({ data: shapeResult(query.shape, merged, variables) });
    } catch {
      return null; // Declined, or a subgraph that could not be asked: Apollo's answer then
    }
  }
}
