import type { UsersContext } from "../../context";
import type { OrganizationEntity } from "./organization.entity";

/**
 * Resolves `Organization` references; only the caller's own organization resolves, others are
 * `null`.
 */
export async function resolveOrganizationReference(
  reference: { id: string },
  { loaders }: UsersContext,
): Promise<OrganizationEntity | null> {
  return loaders ? loaders.organizationById.load(reference.id) : null;
}
