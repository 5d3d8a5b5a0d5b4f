import path from "node:path";
import { GraphQLError } from "graphql";
import { dataDir, USERS_AUTH_PATHS } from "#kit/config";
import { ErrorCode } from "#kit/errors";
import { sendJson, type RouteHandler } from "#kit/http/graphql-http-server";
import type { DemoDataset } from "#dev/demo/demo-dataset";
import type { RunningService } from "#kit/server/graphql-service";
import { startSubgraph, type SubgraphOptions } from "#kit/server/start-subgraph";
import { createUsersContext, type UsersServices } from "./context";
import { createUsersDataSource } from "./data-source";
import { seedUsersDemoData } from "./demo-data";
import { createApiKeyExchange } from "./modules/api-key/api-key-exchange";
import { createAccessTokenIssuer } from "./modules/auth/access-token-issuer";
import { LoginThrottle } from "./modules/auth/login-throttle";
import { loadSigningKeys } from "./modules/auth/signing-keys";
import { buildUsersSchema } from "./schema";

export interface UsersServiceOptions extends SubgraphOptions<DemoDataset> {
  /** Where the development signing key is kept. @default <DATA_DIR>/keys */
  keysDir?: string;
}

/**
 * Starts the users subgraph. Besides `/graphql` it serves its public keys at
 * `/.well-known/jwks.json` and exchanges API keys for access tokens at `POST /auth/api-key-token`.
 */
export async function startUsersService(
  options: UsersServiceOptions = {},
): Promise<RunningService> {
  const keys = await loadSigningKeys(options.keysDir ?? path.join(dataDir(), "keys"));
  const tokens = createAccessTokenIssuer(keys, Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900));
  const throttle = new LoginThrottle();
  return startSubgraph(
    {
      name: "users",
      seedDemoData: seedUsersDemoData,
      createDataSource: createUsersDataSource,
      buildSchema: buildUsersSchema,
      createContext: (dataSource, credential, req) =>
        createUsersContext(
          { dataSource, tokens, throttle } satisfies UsersServices,
          credential?.viewer ?? null,
          req,
        ),
      verifyAccessToken: tokens.verify,
      exchangeApiKey: (dataSource) => createApiKeyExchange(dataSource, tokens),
      routes: (dataSource) => ({
        [USERS_AUTH_PATHS.jwks]: (_req, res) => sendJson(res, 200, tokens.jwks),
        [USERS_AUTH_PATHS.apiKeyToken]: apiKeyTokenRoute(createApiKeyExchange(dataSource, tokens)),
      }),
    },
    options,
  );
}

/**
 * `POST /auth/api-key-token` with `Authorization: ApiKey <secret>`: `{ accessToken }`, or 401 with
 * a GraphQL-style error.
 */
function apiKeyTokenRoute(exchange: (secret: string) => Promise<string>): RouteHandler {
  return async (req, res) => {
    if (req.method !== "POST")
      return sendJson(res, 405, {
        errors: [{ message: "Use POST.", extensions: { code: ErrorCode.BadRequest } }],
      });
    const match = /^ApiKey\s+(\S+)$/i.exec(String(req.headers.authorization ?? "").trim());
    if (!match)
      return sendJson(res, 401, {
        errors: [
          {
            message: "Send Authorization: ApiKey <secret>.",
            extensions: { code: ErrorCode.Unauthenticated },
          },
        ],
      });
    try {
      sendJson(res, 200, { accessToken: await exchange(match[1]) });
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.Unauthenticated) {
        return sendJson(res, 401, {
          errors: [{ message: error.message, extensions: { code: ErrorCode.Unauthenticated } }],
        });
      }
      throw error;
    }
  };
}
