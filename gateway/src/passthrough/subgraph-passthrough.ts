import type { GraphQLDataSource } from "@apollo/gateway";
import { GraphQLDataSourceRequestKind } from "@apollo/gateway/dist/datasources/types";
import { operationFromDocument, type Schema, type Supergraph } from "@apollo/federation-internals";
import type { ApolloGateway } from "@apollo/gateway";
import type { QueryPlanner } from "@apollo/query-planner";
import type {
  GatewayExecutionResult,
  GatewayGraphQLRequestContext,
} from "@apollo/server-gateway-interface";
import {
  BREAK,
  getVariableValues,
  GraphQLError,
  Kind,
  validate,
  visit,
  type DocumentNode,
  type GraphQLSchema,
} from "graphql";
import type { GatewayContext } from "../context";

/** Decisions kept per query hash and operation name. */
const DECISION_CACHE_SIZE = 1_000;

/** What the query planner and the supergraph say about operations. */
export interface PlanningSources {
  supergraph: Supergraph;
  apiSchema: Schema;
  /** The API schema as graphql-js's, which clients' variables are checked against. */
  clientSchema: GraphQLSchema;
  queryPlanner: QueryPlanner;
}

/**
 * Operations that one subgraph answers alone, sent to it as the client wrote them and answered
 * with its response as it is: no query plan execution and no result shaping in the gateway, whose
 * cost grows with the size of the answer. An operation qualifies when its query plan is a single
 * fetch from one subgraph (no `@requires`, no rewrites), the document is also valid against that
 * subgraph's own schema (so the subgraph executes exactly the selection the client asked for,
 * shaped the same way), and it neither introspects (the subgraph's schema is not the
 * supergraph's) nor defers. Everything else goes through `@apollo/gateway`. Errors of the subgraph
 * keep their message, path and extensions, with `serviceName` added as `@apollo/gateway` does.
 */
export class SubgraphPassthrough {
  private readonly subgraphSchemas = new Map<string, GraphQLSchema>();
  private readonly decisions = new Map<string, string | null>();

  constructor(
    private readonly planning: PlanningSources,
    private readonly services: ReadonlyMap<string, GraphQLDataSource<GatewayContext>>,
  ) {}

  /**
   * The subgraph that answers the operation alone, or null when the gateway must plan it.
   * Decided once per document (by Apollo Server's query hash) and operation name.
   */
  ownerOf(
    document: DocumentNode,
    operationName: string | null | undefined,
    queryHash: string,
  ): string | null {
    const key = `${queryHash}\n${operationName ?? ""}`;
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    const owner = this.decide(document, operationName);
    if (this.decisions.size >= DECISION_CACHE_SIZE)
      this.decisions.delete(this.decisions.keys().next().value!);
    this.decisions.set(key, owner);
    return owner;
  }

  /**
   * Runs the operation on its one subgraph, or resolves with null when it is not a
   * single-subgraph operation (the caller then runs it through `@apollo/gateway`).
   */
  async execute(
    requestContext: GatewayGraphQLRequestContext<GatewayContext>,
  ): Promise<GatewayExecutionResult | null> {
    const { document, operationName, queryHash, source, request, context } = requestContext;
    const owner = this.ownerOf(document, operationName, queryHash);
    const service = owner === null ? undefined : this.services.get(owner);
    if (!service || !owner) return null;
    // Variables are checked here, as @apollo/gateway does before planning: errors without data,
    // which Apollo Server answers with HTTP 400.
    const variableDefinitions = requestContext.operation?.variableDefinitions;
    if (variableDefinitions?.length) {
      const { errors } = getVariableValues(
        this.planning.clientSchema,
        variableDefinitions,
        request.variables ?? {},
      );
      if (errors) return { errors };
    }
    try {
      const response = await service.process({
        kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
        request: {
          query: source,
          variables: request.variables,
          operationName: operationName ?? undefined,
        },
        incomingRequestContext: requestContext as never,
        context,
        document,
      } as never);
      return {
        data: response.data,
        errors: response.errors?.map(
          (error) =>
            new GraphQLError(error.message, {
              path: error.path,
              extensions: { ...error.extensions, serviceName: owner },
            }),
        ),
      };
    } catch (error) {
      // The subgraph could not be asked or refused the request (SubgraphDataSource's errors).
      return {
        data: null,
        errors: [
          error instanceof GraphQLError
            ? error
            : new GraphQLError((error as Error).message, { extensions: { serviceName: owner } }),
        ],
      };
    }
  }

  private decide(document: DocumentNode, operationName: string | null | undefined): string | null {
    if (introspectsOrDefers(document)) return null;
    let plan;
    try {
      plan = this.planning.queryPlanner.buildQueryPlan(
        operationFromDocument(this.planning.apiSchema, document, {
          operationName: operationName ?? undefined,
        }),
      );
    } catch {
      return null;
    }
    const node = plan.node;
    if (
      node?.kind !== "Fetch" ||
      node.requires ||
      node.inputRewrites?.length ||
      node.outputRewrites?.length ||
      node.contextRewrites?.length
    )
      return null;
    return this.canForward(node.serviceName, document) ? node.serviceName : null;
  }

  /**
   * True when the subgraph can run the document as written, with the answer the client expects:
   * it is valid against the subgraph's own schema and neither introspects nor defers. (For a
   * subscription whose plan has no other fetch, the gateway then forwards the subgraph's events as
   * they are.)
   */
  canForward(serviceName: string, document: DocumentNode): boolean {
    if (introspectsOrDefers(document)) return false;
    const schema = this.subgraphSchema(serviceName);
    return schema !== undefined && validate(schema, document).length === 0;
  }

  private subgraphSchema(name: string): GraphQLSchema | undefined {
    let schema = this.subgraphSchemas.get(name);
    if (!schema) {
      const subgraph = this.planning.supergraph.subgraphs().get(name);
      if (!subgraph) return undefined;
      this.subgraphSchemas.set(name, (schema = subgraph.schema.toGraphQLJSSchema()));
    }
    return schema;
  }
}

/** True when the document asks for `__schema` or `__type`, or uses `@defer` or `@stream`. */
function introspectsOrDefers(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === "__schema" || node.name.value === "__type") {
        found = true;
        return BREAK;
      }
      return undefined;
    },
    Directive(node) {
      if (node.name.value === "defer" || node.name.value === "stream") {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Why Apollo Server found no operation to run in the document, as graphql-js's `execute` says it
 * (so Apollo Server answers HTTP 400 `OPERATION_RESOLUTION_FAILURE`, as a subgraph does); null
 * when it found one. Without this the request would reach `@apollo/gateway`, whose executor
 * throws for it (an HTTP 500), or the passthrough, which would run some operation.
 */
export function unresolvedOperation(requestContext: {
  operation?: unknown;
  document: DocumentNode;
  request: { operationName?: string | null };
}): GraphQLError | null {
  if (requestContext.operation) return null;
  const { operationName } = requestContext.request;
  if (operationName != null) return new GraphQLError(`Unknown operation named "${operationName}".`);
  const operations = requestContext.document.definitions.filter(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION,
  );
  return new GraphQLError(
    operations.length > 1
      ? "Must provide operation name if query contains multiple operations."
      : "Must provide an operation.",
  );
}

/**
 * `@apollo/gateway` as Apollo Server sees it, except that operations one subgraph answers alone
 * are run by `passthrough` (see {@link SubgraphPassthrough}).
 */
export function withPassthrough(
  gateway: ApolloGateway,
  passthrough: SubgraphPassthrough,
): ApolloGateway {
  return {
    onSchemaLoadOrUpdate: (callback: Parameters<ApolloGateway["onSchemaLoadOrUpdate"]>[0]) =>
      gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    load: async (options: Parameters<ApolloGateway["load"]>[0]) => {
      const loaded = await gateway.load(options);
      const executor = loaded.executor;
      return {
        ...loaded,
        executor: async (requestContext: Parameters<typeof executor>[0]) => {
          const unresolved = unresolvedOperation(requestContext);
          if (unresolved) return { errors: [unresolved] };
          return (await passthrough.execute(requestContext as never)) ?? executor(requestContext);
        },
      };
    },
  } as unknown as ApolloGateway;
}
