import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { Kind, type OperationDefinitionNode } from "graphql";
import { GraphQLError } from "graphql";
import { ErrorCode } from "../errors";
import { ApiKeyScope } from "./api-key-scope";
import type { Viewer } from "./viewer";

/** Root mutation fields an `EVENTS_WRITE` key may call. */
export const EVENTS_WRITE_MUTATIONS = new Set(["trackEvents"]);

/**
 * Throws `FORBIDDEN` when an API key's scopes do not allow the operation: `READ` allows queries and
 * subscriptions; `EVENTS_WRITE` allows mutations whose root fields are all `trackEvents`. Users are
 * not affected (their role decides, in the resolvers).
 */
export function assertApiKeyScopes(viewer: Viewer | null, operation: OperationDefinitionNode): void {
  if (viewer?.kind !== "apiKey") return;
  if (operation.operation === "mutation") {
    const fields = operation.selectionSet.selections.map((selection) => (selection.kind === Kind.FIELD ? selection.name.value : "..."));
    const onlyEvents = fields.every((name) => EVENTS_WRITE_MUTATIONS.has(name) || name === "__typename");
    if (viewer.scopes.includes(ApiKeyScope.EVENTS_WRITE) && onlyEvents) return;
    throw scopeError(
      viewer.scopes.includes(ApiKeyScope.EVENTS_WRITE)
        ? "An EVENTS_WRITE API key can only call trackEvents."
        : "A READ API key cannot run mutations.",
    );
  }
  if (!viewer.scopes.includes(ApiKeyScope.READ)) throw scopeError("This API key has no READ scope: it can only call trackEvents.");
}

function scopeError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Forbidden, http: { status: 403 } } });
}

/** Enforces {@link assertApiKeyScopes} on every operation, before any resolver runs. */
export function apiKeyScopePlugin<TContext extends BaseContext & { viewer: Viewer | null }>(): ApolloServerPlugin<TContext> {
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
