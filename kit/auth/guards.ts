import { forbidden, unauthenticated } from "../errors";
import type { ApiKeyScope } from "./api-key-scope";
import { Role, roleAtLeast } from "./role";
import type { UserViewer, Viewer } from "./viewer";

/** Returns the caller, or throws `UNAUTHENTICATED` for an anonymous request. */
export function requireViewer(viewer: Viewer | null | undefined): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

/**
 * Returns the caller when their role is `role` or above; throws `UNAUTHENTICATED` or `FORBIDDEN`.
 */
export function requireRole(viewer: Viewer | null | undefined, role: Role): Viewer {
  const caller = requireViewer(viewer);
  if (!roleAtLeast(caller.role, role))
    throw forbidden(`This operation needs the ${role} role or above; you are ${caller.role}.`);
  return caller;
}

/** Returns the caller when it is a signed-in user (not an API key) with `role` or above. */
export function requireUser(viewer: Viewer | null | undefined, role: Role): UserViewer {
  const caller = requireViewer(viewer);
  if (caller.kind !== "user")
    throw forbidden("This operation needs a signed-in user; API keys cannot perform it.");
  if (!roleAtLeast(caller.role, role))
    throw forbidden(`This operation needs the ${role} role or above; you are ${caller.role}.`);
  return caller;
}

/**
 * Returns the caller when it may change data: a user with the ANALYST role or above, or an API key
 * holding `scope` (e.g. CUSTOMERS_WRITE for imports). Throws `UNAUTHENTICATED` or `FORBIDDEN`.
 */
export function requireWriter(viewer: Viewer | null | undefined, scope?: ApiKeyScope): Viewer {
  const caller = requireViewer(viewer);
  if (caller.kind === "apiKey") {
    if (scope && caller.scopes.includes(scope)) return caller;
    throw forbidden(
      scope
        ? `This operation needs a user, or an API key with the ${scope} scope.`
        : "This operation needs a signed-in user.",
    );
  }
  return requireRole(caller, Role.ANALYST);
}
