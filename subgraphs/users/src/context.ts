import type { IncomingMessage } from "node:http";
import type { DataSource } from "typeorm";
import type { Viewer } from "#kit/auth/viewer";
import { clientAddress } from "#kit/http/client-address";
import type { ServiceContext } from "#kit/server/graphql-service";
import type { AccessTokenIssuer } from "./modules/auth/access-token-issuer";
import type { LoginThrottle } from "./modules/auth/login-throttle";
import { createOrganizationLoaders } from "./modules/organization/organization.loader";
import { createUserLoaders } from "./modules/user/user.loader";

/** What the users subgraph shares between requests. */
export interface UsersServices {
  dataSource: DataSource;
  tokens: AccessTokenIssuer;
  throttle: LoginThrottle;
}

/** The users subgraph's per-request context. */
export interface UsersContext extends ServiceContext, UsersServices {
  /** The client's address (through the gateway: the address it saw), for sign-in throttling. */
  clientAddress: string;
  /** Loaders scoped to the caller's organization; `null` for an anonymous request. */
  loaders: UsersLoaders | null;
  /**
   * Makes the rest of this request act as `viewer` (after a successful sign-in), so the payload's
   * `user { organization }` resolves like any signed-in request.
   */
  actAs(viewer: Viewer): void;
}

type UsersLoaders = ReturnType<typeof createUserLoaders> &
  ReturnType<typeof createOrganizationLoaders>;

function createLoaders(dataSource: DataSource, viewer: Viewer): UsersLoaders {
  return {
    ...createUserLoaders(dataSource, viewer.organizationId),
    ...createOrganizationLoaders(dataSource, viewer.organizationId),
  };
}

export function createUsersContext(
  services: UsersServices,
  viewer: Viewer | null,
  req: IncomingMessage,
): UsersContext {
  return {
    ...services,
    viewer,
    clientAddress: clientAddress(req),
    loaders: viewer ? createLoaders(services.dataSource, viewer) : null,
    // Uses `this`: Apollo Server hands resolvers a shallow copy of the context object.
    actAs(this: UsersContext, newViewer: Viewer) {
      this.viewer = newViewer;
      this.loaders = createLoaders(services.dataSource, newViewer);
    },
  };
}
