import {
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  type GraphQLSchema,
  type ValidationRule,
} from "graphql";
import { isJsonObject } from "#kit/data/json-object";
import type { ShortcutAnswer } from "#kit/http/graphql-http-server";
import type { GatewayContext } from "../context";
import { Declined } from "../execution/declined";
import type { PlannedQueries, PlannedQuery } from "../execution/planned-queries";
import { rememberSubgraphAnswers, type SubgraphDataSource } from "../subgraph-data-source";
import type { SubgraphPassthrough } from "./subgraph-passthrough";

/** Documents remembered with their owner (or none), the oldest forgotten first. */
const DECISION_CACHE_SIZE = 1_000;
/**
 * Longer documents go to Apollo Server: the decisions are kept by document text, which must not
 * let a client fill memory (1,000 documents of at most 20,000 characters).
 */
export const MAX_RAW_QUERY_LENGTH = 20_000;

/** What the gateway's operations are validated with (Apollo Server's settings). */
export interface OperationChecks {
  /** The supergraph's API schema. */
  schema: GraphQLSchema;
  /** The operation limits' rules, checked beside graphql-js's own. */
  validationRules: readonly ValidationRule[];
  /** The parser's token limit. */
  maxTokens: number;
}

/** A POSTed GraphQL request body, as JSON.parse gave it. */
export type RequestBody = Record<string, unknown>;

/**
 * Queries of signed-in users answered below Apollo Server, with no request pipeline:
 *
 * - a single-subgraph query goes to its subgraph as written, and the subgraph's answer to the
 *   client as the text it sent (no parse of the answer and no serialization again: for a page of
 *   50 customers, most of what the gateway spent on it);
 * - a federated query runs on the gateway's own execution of its query plan (see
 *   {@link PlannedQueries}) when `planned` is given.
 *
 * It answers a query of a signed-in user (an access token; API keys keep their scope checks in
 * Apollo Server) whose document is valid against the API schema within the operation limits, and
 * whose variables are valid, when every subgraph asked answers HTTP 200 with data and no errors.
 * Everything else resolves null and goes to Apollo Server, whose gateway takes the answers the
 * subgraphs gave here instead of asking again where its requests are the same (so a subgraph that
 * times out is waited for once): the errors a client gets are always Apollo Server's. Mutations
 * never come here.
 */
export class RawPassthrough {
  private readonly decisions = new Map<string, Decision>();

  constructor(
    private readonly passthrough: SubgraphPassthrough,
    private readonly services: ReadonlyMap<string, SubgraphDataSource>,
    private readonly checks: OperationChecks,
    private readonly planned: PlannedQueries | null = null,
  ) {}

  /**
   * The response body for the request and the operation's name, or null when Apollo Server must
   * answer it. `context` is the request's context (its credential verified), which Apollo Server
   * reuses if this declines.
   */
  async answer(
    body: RequestBody,
    context: Promise<GatewayContext>,
  ): Promise<ShortcutAnswer | null> {
    const { query, variables, operationName, extensions } = body;
    if (
      typeof query !== "string" ||
      query.length > MAX_RAW_QUERY_LENGTH ||
      extensions !== undefined ||
      !(
        operationName === undefined ||
        operationName === null ||
        typeof operationName === "string"
      ) ||
      !(variables === undefined || variables === null || isJsonObject(variables))
    )
      return null;
    // The caller first, as Apollo Server does: nobody refused or anonymous gets a document parsed
    // or a decision kept here.
    let caller: GatewayContext;
    try {
      caller = await context;
    } catch {
      return null; // Apollo Server answers with the refusal
    }
    if (caller.viewer?.kind !== "user") return null;
    const decision = this.decisionFor(query, operationName ?? undefined);
    if (!decision) return null;
    // Should this decline, Apollo Server's gateway reuses what the subgraphs answered here.
    rememberSubgraphAnswers(caller);
    if (decision.kind === "planned") {
      const values = (variables ?? {}) as Record<string, unknown>;
      return this.answerPlanned(decision.query, values, caller, decision.operationName);
    }
    const service = this.services.get(decision.owner);
    if (!service) return null;
    let answer: { status: number; text: string };
    try {
      answer = await service.forward(JSON.stringify({ query, variables, operationName }), caller);
    } catch {
      return null;
    }
    // Apollo Server writes `errors` before `data`: an answer that starts with data has none.
    return answer.status === 200 && answer.text.startsWith('{"data":')
      ? { body: answer.text, operationName: decision.operationName }
      : null;
  }

  private async answerPlanned(
    query: PlannedQuery,
    variables: Record<string, unknown>,
    caller: GatewayContext,
    operationName: string | undefined,
  ): Promise<ShortcutAnswer | null> {
    // Invalid variables are Apollo Server's HTTP 400.
    const definitions = query.operation.variableDefinitions ?? [];
    if (
      definitions.length > 0 &&
      getVariableValues(this.checks.schema, definitions, variables).errors
    )
      return null;
    const body = await this.planned!.run(query, variables, async (serviceName, request) => {
      const service = this.services.get(serviceName);
      if (!service) throw new Declined();
      const answer = await service.forward(request, caller);
      if (answer.status !== 200 || !answer.text.startsWith('{"data":{')) throw new Declined();
      const parsed = JSON.parse(answer.text) as { data: Record<string, unknown>; errors?: unknown };
      if (parsed.errors !== undefined) throw new Declined();
      return parsed.data;
    });
    return body === null ? null : { body, operationName };
  }

  /** How the query is answered, or null when Apollo Server must run it; decided once per document. */
  private decisionFor(query: string, operationName: string | undefined): Decision {
    const key = `${operationName ?? ""}\n${query}`;
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    const decision = this.decide(query, operationName, key);
    if (this.decisions.size >= DECISION_CACHE_SIZE)
      this.decisions.delete(this.decisions.keys().next().value!);
    this.decisions.set(key, decision);
    return decision;
  }

  private decide(query: string, operationName: string | undefined, key: string): Decision {
    let document;
    try {
      document = parse(query, { maxTokens: this.checks.maxTokens });
    } catch {
      return null;
    }
    const { schema, validationRules } = this.checks;
    if (validate(schema, document, [...specifiedRules, ...validationRules]).length > 0) return null;
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== "query") return null;
    const name = operation.name?.value;
    const owner = this.passthrough.ownerOf(document, operationName, key);
    if (owner !== null) return { kind: "forwarded", owner, operationName: name };
    const planned = this.planned?.compile(document, operationName);
    return planned ? { kind: "planned", query: planned, operationName: name } : null;
  }
}

/**
 * How a document is answered here: forwarded to the one subgraph that answers it, or run on the
 * gateway's own plan execution; null when Apollo Server answers it. `operationName` is the name
 * of the operation run.
 */
type Decision =
  | { kind: "forwarded"; owner: string; operationName: string | undefined }
  | { kind: "planned"; query: PlannedQuery; operationName: string | undefined }
  | null;
