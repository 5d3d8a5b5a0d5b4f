import type { Role } from "./role";

/** The verified caller of a request: who they are, which organization they act in, and their role. */
export interface Viewer {
  userId: string;
  organizationId: string;
  role: Role;
}
