import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { Kind, type OperationDefinitionNode } from "graphql";
import { GraphQLError } from "graphql";
import { ErrorCode } from "../errors";
import { ApiKeyScope, SCOPE_MUTATIONS, SCOPE_QUERIES } from "./api-key-scope";
import type { Viewer } from "./viewer";

/**
 * Throws `FORBIDDEN` when an API key's scopes do not allow the operation: `READ` allows queries and
 * subscriptions; `EVENTS_WRITE` allows mutations whose root fields are all `trackEvents` or
 * `identify` (and queries of `knownCustomerIds` alone), and `CUSTOMERS_WRITE` those that are all
 * `upsertCustomers`. Users are not affected (their role decides, in the resolvers).
 */
export function assertApiKeyScopes(
  viewer: Viewer | null,
  operation: OperationDefinitionNode,
): void {
  if (viewer?.kind !== "apiKey") return;
  const fields = operation.selectionSet.selections.map((selection) =>
    selection.kind === Kind.FIELD ? selection.name.value : "...",
  );
  if (operation.operation === "mutation") {
    const allowed = viewer.scopes.flatMap((scope) => SCOPE_MUTATIONS[scope] ?? []);
    if (
      allowed.length > 0 &&
      fields.every((name) => allowed.includes(name) || name === "__typename")
    )
      return;
    throw scopeError(
      allowed.length > 0
        ? `This API key can only call ${allowed.join(" and ")}.`
        : "A READ API key cannot run mutations.",
    );
  }
  if (!viewer.scopes.includes(ApiKeyScope.READ)) {
    const queries = viewer.scopes.flatMap((scope) => SCOPE_QUERIES[scope] ?? []);
    if (
      operation.operation === "query" &&
      queries.length > 0 &&
      fields.every((name) => queries.includes(name) || name === "__typename")
    )
      return;
    const allowed = viewer.scopes.flatMap((scope) => SCOPE_MUTATIONS[scope] ?? []);
    throw scopeError(`This API key has no READ scope: it can only call ${allowed.join(" and ")}.`);
  }
}

function scopeError(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.Forbidden, http: { status: 403 } },
  });
}

/** Enforces {@link assertApiKeyScopes} on every operation, before any resolver runs. */
export function apiKeyScopePlugin<
  TContext extends BaseContext & { viewer: Viewer | null },
>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (operation) assertApiKeyScopes(contextValue.viewer, operation);
        },
      };
    },
  };
}
