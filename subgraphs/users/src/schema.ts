import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema } from "#kit/schema/build-subgraph-schema";
import { ApiKeyResolver } from "./modules/api-key/api-key.resolver";
import { AuthResolver } from "./modules/auth/auth.resolver";
import { OrganizationResolver } from "./modules/organization/organization.resolver";
import { resolveOrganizationReference } from "./modules/organization/organization.reference";
import { OrganizationUsersResolver } from "./modules/user/organization-users.resolver";
import { resolveUserReference } from "./modules/user/user.reference";
import { UserResolver } from "./modules/user/user.resolver";

/** The users subgraph schema: organizations, users, sign-in and sessions, API keys. */
export function buildUsersSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    {
      resolvers: [
        UserResolver,
        OrganizationResolver,
        OrganizationUsersResolver,
        AuthResolver,
        ApiKeyResolver,
      ],
    },
    {
      User: { __resolveReference: resolveUserReference },
      Organization: { __resolveReference: resolveOrganizationReference },
    } as never,
  );
}
