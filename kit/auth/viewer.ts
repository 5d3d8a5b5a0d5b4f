import type { ApiKeyScope } from "./api-key-scope";
import type { Role } from "./role";

/**
 * The verified caller of a request: a signed-in user, or an application holding an API key.
 * Everything the caller reads or writes is scoped to `organizationId`.
 */
export type Viewer = UserViewer | ApiKeyViewer;

export interface UserViewer {
  kind: "user";
  userId: string;
  organizationId: string;
  role: Role;
}

export interface ApiKeyViewer {
  kind: "apiKey";
  apiKeyId: string;
  organizationId: string;
  /** API keys act with the VIEWER role, narrowed further by their scopes. */
  role: Role;
  scopes: ApiKeyScope[];
}

/**
 * Who the caller is, for per-caller limits: `user:<id>` or `apiKey:<id>` (whatever token it holds).
 */
export function callerId(viewer: Viewer): string {
  return viewer.kind === "user" ? `user:${viewer.userId}` : `apiKey:${viewer.apiKeyId}`;
}
