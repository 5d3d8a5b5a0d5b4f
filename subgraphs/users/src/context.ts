import type { DataSource } from "typeorm";
import type { Viewer } from "../../shared/src/auth/viewer";
import type { BaseSubgraphContext } from "../../shared/src/subgraph-server";
import type { AccessTokenIssuer } from "./modules/auth/access-token-issuer";
import { createOrganizationLoaders } from "./modules/organization/organization.loader";
import { createUserLoaders } from "./modules/user/user.loader";

/** The users subgraph's per-request context. */
export interface UsersContext extends BaseSubgraphContext {
  dataSource: DataSource;
  tokens: AccessTokenIssuer;
  /** Loaders scoped to the caller's organization; `null` for an anonymous request. */
  loaders: UsersLoaders | null;
  /**
   * Makes the rest of this request act as `viewer` (after a successful sign-in), so the payload's
   * `user { organization }` resolves like any signed-in request.
   */
  actAs(viewer: Viewer): void;
}

type UsersLoaders = ReturnType<typeof createUserLoaders> & ReturnType<typeof createOrganizationLoaders>;

function createLoaders(dataSource: DataSource, viewer: Viewer): UsersLoaders {
  return { ...createUserLoaders(dataSource, viewer.organizationId), ...createOrganizationLoaders(dataSource, viewer.organizationId) };
}

export function createUsersContext(dataSource: DataSource, tokens: AccessTokenIssuer, viewer: Viewer | null): UsersContext {
  const context: UsersContext = {
    viewer,
    dataSource,
    tokens,
    loaders: viewer ? createLoaders(dataSource, viewer) : null,
    // Uses `this`: Apollo Server hands resolvers a shallow copy of the context object.
    actAs(this: UsersContext, newViewer: Viewer) {
      this.viewer = newViewer;
      this.loaders = createLoaders(dataSource, newViewer);
    },
  };
  return context;
}
