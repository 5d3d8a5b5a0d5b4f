import { booleanFromEnv } from "../config";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { GraphQLError, type ValidationContext, type ValidationRule } from "graphql";
import { numberFromEnv } from "../config";
import { operationCostRule } from "./operation-cost";

/** Limits every operation must stay within; each has an environment variable. */
export interface OperationLimits {
  /** `GRAPHQL_MAX_DEPTH`: nesting of selections. @default 10 */
  maxDepth: number;
  /** `GRAPHQL_MAX_ALIASES`: aliases in one operation, none exempt. @default 30 */
  maxAliases: number;
  /** `GRAPHQL_MAX_DIRECTIVES`: directives in one operation. @default 50 */
  maxDirectives: number;
  /** `GRAPHQL_MAX_TOKENS`: lexical tokens of the document (checked while parsing). @default 5000 */
  maxTokens: number;
  /** `GRAPHQL_MAX_COST`: see {@link operationCostRule}. @default 20000 */
  maxCost: number;
}

export function operationLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): OperationLimits {
  const read = (name: string, fallback: number) => numberFromEnv(env, name, fallback, { min: 1 });
  return {
    maxDepth: read("GRAPHQL_MAX_DEPTH", 10),
    maxAliases: read("GRAPHQL_MAX_ALIASES", 30),
    maxDirectives: read("GRAPHQL_MAX_DIRECTIVES", 50),
    maxTokens: read("GRAPHQL_MAX_TOKENS", 5000),
    maxCost: read("GRAPHQL_MAX_COST", 20_000),
  };
}

/**
 * The validation rules enforcing the limits (depth, aliases and directives with graphql-armor,
 * cost with our own rule, which counts list sizes). An operation over a limit fails validation:
 * HTTP 400, `GRAPHQL_VALIDATION_FAILED`, a message naming the limit and the value found. The
 * token limit is not a rule: pass `maxTokens` to the parser (Apollo Server's `parseOptions`).
 * `withCost: false` leaves cost out (subgraphs: the gateway's own fetches of `_entities` would
 * count every representation).
 */
export function operationLimitRules(
  limits: OperationLimits,
  { withCost = true } = {},
): ValidationRule[] {
  // graphql-armor throws by default (a 500 under Apollo Server): report the error instead.
  const report = { exposeLimits: true, propagateOnRejection: false, onReject: [reportRejection] };
  const rules: ValidationRule[] = [
    maxDepthRule({ n: limits.maxDepth, ...report }) as unknown as ValidationRule,
    maxAliasesRule({ n: limits.maxAliases, allowList: [], ...report }) as unknown as ValidationRule,
    maxDirectivesRule({ n: limits.maxDirectives, ...report }) as unknown as ValidationRule,
  ];
  if (withCost) rules.push(operationCostRule(limits.maxCost));
  return rules;
}

/**
 * graphql-armor's rejection as a validation error, without its misleading "Syntax Error:" prefix.
 */
function reportRejection(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(
    new GraphQLError(`${error.message.replace(/^Syntax Error: /, "")} (see docs/hardening.md)`),
  );
}

/**
 * Whether introspection is served: always outside production; with `NODE_ENV=production` only when
 * `GRAPHQL_INTROSPECTION=true` (for example for a self-hosted GraphiQL on a private network).
 */
export function introspectionEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV !== "production" || booleanFromEnv(env, "GRAPHQL_INTROSPECTION", false);
}
