import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { ApiKeyScope } from "#kit/auth/api-key-scope";
import { requireUser } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { isUuid } from "#kit/data/ids";
import { badUserInput, notFound } from "#kit/errors";
import type { UsersContext } from "../../context";
import { generateSecret, hashSecret } from "../secret/secrets";
import { ApiKeyEntity } from "./api-key.entity";
import { ApiKey, CreatedApiKey } from "./api-key.type";

/** Characters of the secret kept visible as its prefix (`fa_` and 8 more). */
const PREFIX_LENGTH = 11;

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], {
    description: "Your organization's API keys, newest first, revoked ones included. ADMIN only.",
  })
  async apiKeys(@Ctx() ctx: UsersContext): Promise<ApiKeyEntity[]> {
    const admin = requireUser(ctx.viewer, Role.ADMIN);
    return ctx.dataSource.getRepository(ApiKeyEntity).find({
      where: { organizationId: admin.organizationId },
      order: { createdAt: "DESC", id: "DESC" },
    });
  }

  @Mutation(() => CreatedApiKey, {
    description: "Creates an API key; its secret is in the answer and never again. ADMIN only.",
  })
  async createApiKey(
    @Arg("name") name: string,
    @Arg("scopes", () => [ApiKeyScope]) scopes: ApiKeyScope[],
    @Ctx() ctx: UsersContext,
  ): Promise<CreatedApiKey> {
    const admin = requireUser(ctx.viewer, Role.ADMIN);
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 100)
      throw badUserInput("An API key's name must be 1 to 100 characters.", "name");
    if (scopes.length === 0) throw badUserInput("Give an API key at least one scope.", "scopes");
    const secret = generateSecret("fa");
    const repository = ctx.dataSource.getRepository(ApiKeyEntity);
    const saved = await repository.save(
      repository.create({
        organizationId: admin.organizationId,
        name: trimmed,
        prefix: secret.slice(0, PREFIX_LENGTH),
        secretHash: hashSecret(secret),
        scopes: [...new Set(scopes)].sort(),
        createdByUserId: admin.userId,
      }),
    );
    const { secretHash: _hash, ...apiKey } = saved;
    return { apiKey, secret };
  }

  @Mutation(() => ApiKey, {
    description: "Revokes an API key at once; revoking twice is harmless. ADMIN only.",
  })
  async revokeApiKey(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: UsersContext,
  ): Promise<ApiKeyEntity> {
    const admin = requireUser(ctx.viewer, Role.ADMIN);
    if (!isUuid(id)) throw notFound("ApiKey", id);
    const [rows]: [ApiKeyEntity[], number] = await ctx.dataSource.query(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
        WHERE id = $1 AND organization_id = $2
        RETURNING id`,
      [id, admin.organizationId],
    );
    if (rows.length === 0) throw notFound("ApiKey", id);
    return ctx.dataSource
      .getRepository(ApiKeyEntity)
      .findOneByOrFail({ id, organizationId: admin.organizationId });
  }
}
