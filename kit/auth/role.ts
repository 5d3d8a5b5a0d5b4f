/**
 * A user's role inside their organization. Each role can do everything the one before it can:
 * VIEWER reads; ANALYST also changes analytics, customers and campaigns; ADMIN also manages users
 * and API keys.
 */
export enum Role {
  VIEWER = "VIEWER",
  ANALYST = "ANALYST",
  ADMIN = "ADMIN",
}

const RANK: Record<Role, number> = { [Role.VIEWER]: 0, [Role.ANALYST]: 1, [Role.ADMIN]: 2 };

/** True when `role` is `required` or a role above it. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && value in RANK;
}
