import type { UsersContext } from "../../context";
import type { UserEntity } from "./user.entity";

/**
 * Resolves `User` references from other subgraphs (e.g. `Campaign.createdBy`). Batched per request;
 * a reference to a user of another organization, or any reference from an anonymous caller,
 * resolves to `null`.
 */
export async function resolveUserReference(
  reference: { id: string },
  { loaders }: UsersContext,
): Promise<UserEntity | null> {
  return loaders ? loaders.userById.load(reference.id) : null;
}
