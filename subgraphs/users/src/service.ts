import path from "node:path";
import { dataDir } from "../../shared/src/config";
import { sendJson } from "../../shared/src/http/graphql-http-server";
import type { RunningService } from "../../shared/src/subgraph-server";
import { startSubgraphService, type SubgraphServiceOptions } from "../../shared/src/subgraph-service";
import { createUsersContext } from "./context";
import { createUsersDataSource } from "./data-source";
import { createAccessTokenIssuer } from "./modules/auth/access-token-issuer";
import { loadSigningKeys } from "./modules/auth/signing-keys";
import { seedUsersDemoData } from "./demo-data";
import { buildUsersSchema } from "./schema";

export interface UsersServiceOptions extends SubgraphServiceOptions {
  /** Where the development signing key is kept. @default <DATA_DIR>/keys */
  keysDir?: string;
}

/** The path of the public keys other services verify access tokens with. */
export const JWKS_PATH = "/.well-known/jwks.json";

/** Starts the users subgraph; it signs access tokens and publishes their public keys at {@link JWKS_PATH}. */
export async function startUsersService(options: UsersServiceOptions = {}): Promise<RunningService> {
  const keys = await loadSigningKeys(options.keysDir ?? path.join(dataDir(), "keys"));
  const tokens = createAccessTokenIssuer(keys, Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900));
  return startSubgraphService(
    {
      name: "users",
      seedDemoData: seedUsersDemoData,
      createDataSource: createUsersDataSource,
      buildSchema: buildUsersSchema,
      createContext: (dataSource, viewer) => createUsersContext(dataSource, tokens, viewer),
      verifyAccessToken: tokens.verify,
      routes: { [JWKS_PATH]: (_req, res) => sendJson(res, 200, tokens.jwks) },
    },
    options,
  );
}
