import { readFile } from "node:fs/promises";
import path from "node:path";
import { generateKeyPair, importJWK, SignJWT } from "jose";
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from "#kit/auth/access-token";
import { useSupergraph, uniqueSuffix, type SignedUp } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

const supergraph = useSupergraph();

const ME = `{ me { id email role organization { id } } }`;
const REFRESH = `mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken expiresAt user { id } } }`;
const LOGOUT = `mutation($token: String!) { logout(refreshToken: $token) }`;

function code(body: { errors?: { extensions?: Record<string, any> }[] }): unknown {
  return body.errors?.[0]?.extensions?.code;
}

describe("the token life cycle", () => {
  it("signs up an organization whose first user is its ADMIN, with a 15-minute access token", async () => {
    const email = `founder-${uniqueSuffix()}@example.test`;
    const { body } = await supergraph.request(
      `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken expiresAt user { email role organization { name users { email } } } } }`,
      {
        variables: {
          input: {
            organizationName: "Founders Inc",
            name: "Fay Founder",
            email,
            password: "correct-horse-battery",
          },
        },
      },
    );
    expect(body.errors).toBeUndefined();
    const payload = body.data!.signUp;
    expect(payload.user).toEqual({
      email,
      role: "ADMIN",
      organization: { name: "Founders Inc", users: [{ email }] },
    });
    const lifetime = new Date(payload.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(14 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(15 * 60_000);
    const claims = JSON.parse(
      Buffer.from(payload.accessToken.split(".")[1], "base64url").toString(),
    );
    expect(claims).toMatchObject({
      iss: ACCESS_TOKEN_ISSUER,
      aud: ACCESS_TOKEN_AUDIENCE,
      role: "ADMIN",
    });
    expect(typeof claims.org).toBe("string");
    expect(
      JSON.parse(Buffer.from(payload.accessToken.split(".")[0], "base64url").toString()),
    ).toMatchObject({ alg: "EdDSA", kid: expect.any(String) });
    const me = await supergraph.request(ME, { token: payload.accessToken });
    expect(me.body.data!.me).toMatchObject({
      email,
      role: "ADMIN",
      organization: { id: claims.org },
    });
  });

  it("rotates refresh tokens and revokes the whole session when an old one is reused", async () => {
    const admin = await supergraph.signUp();
    const first = await supergraph.request(REFRESH, { variables: { token: admin.refreshToken } });
    expect(first.body.errors).toBeUndefined();
    const second = first.body.data!.refreshToken;
    expect(second.refreshToken).not.toBe(admin.refreshToken);
    expect(second.user.id).toBe(admin.userId);
    expect((await supergraph.request(ME, { token: second.accessToken })).body.data!.me.id).toBe(
      admin.userId,
    );

    // The original token is presented again: someone copied it. Both it and its successor die.
    const reuse = await supergraph.request(REFRESH, { variables: { token: admin.refreshToken } });
    expect(code(reuse.body)).toBe("UNAUTHENTICATED");
    expect(reuse.body.errors![0].message).toMatch(/already used/);
    const successor = await supergraph.request(REFRESH, {
      variables: { token: second.refreshToken },
    });
    expect(code(successor.body)).toBe("UNAUTHENTICATED");
  });

  it("stores refresh tokens only as hashes", async () => {
    const admin = await supergraph.signUp();
    const rows = await supergraph.sql(
      "users",
      "SELECT encode(token_hash, 'hex') AS hash FROM refresh_tokens WHERE user_id = $1",
      [admin.userId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).not.toContain(Buffer.from(admin.refreshToken).toString("hex"));
    expect(rows[0].hash).toHaveLength(64);
  });

  it("logs out: the refresh token and its session stop working", async () => {
    const admin = await supergraph.signUp();
    expect(
      (await supergraph.request(LOGOUT, { variables: { token: admin.refreshToken } })).body.data,
    ).toEqual({ logout: true });
    expect(
      code((await supergraph.request(REFRESH, { variables: { token: admin.refreshToken } })).body),
    ).toBe("UNAUTHENTICATED");
    expect(
      (await supergraph.request(LOGOUT, { variables: { token: admin.refreshToken } })).body.data,
    ).toEqual({ logout: false });
  });

  it("refuses an unknown refresh token", async () => {
    expect(
      code(
        (await supergraph.request(REFRESH, { variables: { token: "rt_not-a-real-token" } })).body,
      ),
    ).toBe("UNAUTHENTICATED");
  });
});

describe("access tokens that must be refused", () => {
  let admin: SignedUp;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    admin = await supergraph.signUp();
    claims = JSON.parse(Buffer.from(admin.accessToken.split(".")[1], "base64url").toString());
  });

  async function expectRefused(token: string) {
    const { status, body } = await supergraph.request(ME, { token });
    expect(status).toBe(401);
    expect(code(body)).toBe("UNAUTHENTICATED");
    // And a subgraph reached directly refuses it too.
    const direct = await supergraph.request(`{ customers(first: 1) { totalCount } }`, {
      token,
      url: supergraph.stack.subgraphs.customers.url,
    });
    expect(code(direct.body)).toBe("UNAUTHENTICATED");
  }

  it("refuses an expired token", async () => {
    const jwk = JSON.parse(
      await readFile(path.join(process.env[TEST_ENV.keysDir]!, "jwt-signing-key.json"), "utf8"),
    );
    const key = await importJWK(jwk, "EdDSA");
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ org: claims.org, role: "ADMIN" })
      .setProtectedHeader({ alg: "EdDSA", kid: jwk.kid })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(admin.userId)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(key);
    await expectRefused(expired);
  });

  it("refuses a token whose payload was tampered with (moved to another organization)", async () => {
    const [header, , signature] = admin.accessToken.split(".");
    const tampered = Buffer.from(
      JSON.stringify({ ...claims, org: "00000000-0000-4000-8000-000000000000" }),
    ).toString("base64url");
    await expectRefused(`${header}.${tampered}.${signature}`);
  });

  it("refuses alg: none", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
    await expectRefused(`${header}.${payload}.`);
  });

  it("refuses HS256 signed with the published public key", async () => {
    const jwks = (await (
      await fetch(
        supergraph.stack.subgraphs.users.url.replace("/graphql", "/.well-known/jwks.json"),
      )
    ).json()) as { keys: { x: string; kid: string }[] };
    const publicKeyBytes = Buffer.from(jwks.keys[0].x, "base64url");
    const forged = await new SignJWT(claims as never)
      .setProtectedHeader({ alg: "HS256", kid: jwks.keys[0].kid })
      .sign(new Uint8Array(publicKeyBytes));
    await expectRefused(forged);
  });

  it("refuses a token from another issuer's key", async () => {
    const { privateKey } = await generateKeyPair("EdDSA");
    const foreign = await new SignJWT({ org: claims.org, role: "ADMIN" })
      .setProtectedHeader({ alg: "EdDSA", kid: "someone-else" })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(admin.userId)
      .setExpirationTime("5m")
      .sign(privateKey);
    await expectRefused(foreign);
  });
});

describe("roles", () => {
  let admin: SignedUp;
  const tokens: Record<string, string> = {};
  const users: Record<string, string> = {};

  beforeAll(async () => {
    admin = await supergraph.signUp();
    for (const role of ["ANALYST", "VIEWER"]) {
      const email = `${role.toLowerCase()}-${uniqueSuffix()}@example.test`;
      const created = await supergraph.request(
        `mutation($input: CreateUserInput!) { createUser(input: $input) { id email role } }`,
        {
          token: admin.accessToken,
          variables: { input: { email, name: role, password: "another-good-password", role } },
        },
      );
      expect(created.body.data!.createUser).toMatchObject({ email, role });
      users[role] = created.body.data!.createUser.id;
      const login = await supergraph.request(
        `mutation($e: String!) { login(email: $e, password: "another-good-password") { accessToken } }`,
        { variables: { e: email } },
      );
      tokens[role] = login.body.data!.login.accessToken;
    }
    tokens.ADMIN = admin.accessToken;
  });

  const createUser = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
  const newUser = () => ({
    input: {
      email: `new-${uniqueSuffix()}@example.test`,
      name: "New",
      password: "long-enough-password",
      role: "VIEWER",
    },
  });

  it.each([
    [
      "VIEWER",
      "reads users and customers",
      `{ users { email } customers(first: 1) { totalCount } }`,
      undefined,
    ],
    [
      "ANALYST",
      "reads users and customers",
      `{ users { email } customers(first: 1) { totalCount } }`,
      undefined,
    ],
  ])("lets a %s do what it may: %s", async (role, _what, query) => {
    const { body } = await supergraph.request(query, { token: tokens[role] });
    expect(body.errors).toBeUndefined();
    expect(body.data!.users).toHaveLength(3);
  });

  it.each(["VIEWER", "ANALYST"])(
    "refuses user and API key management to a %s with FORBIDDEN, writing nothing",
    async (role) => {
      const before = await supergraph.sql(
        "users",
        "SELECT (SELECT count(*) FROM users WHERE organization_id = $1)::int AS users, (SELECT count(*) FROM api_keys WHERE organization_id = $1)::int AS keys",
        [admin.organizationId],
      );
      for (const [query, variables] of [
        [createUser, newUser()],
        [`mutation($id: ID!) { updateUserRole(id: $id, role: ADMIN) { id } }`, { id: users[role] }],
        [`mutation { createApiKey(name: "k", scopes: [READ]) { secret } }`, {}],
        [`{ apiKeys { id } }`, {}],
      ] as const) {
        const { body } = await supergraph.request(query, { token: tokens[role], variables });
        expect({ query, code: code(body) }).toEqual({ query, code: "FORBIDDEN" });
      }
      const after = await supergraph.sql(
        "users",
        "SELECT (SELECT count(*) FROM users WHERE organization_id = $1)::int AS users, (SELECT count(*) FROM api_keys WHERE organization_id = $1)::int AS keys",
        [admin.organizationId],
      );
      expect(after).toEqual(before);
      // The role in the database is unchanged: the VIEWER did not promote themself.
      const [row] = await supergraph.sql("users", "SELECT role FROM users WHERE id = $1", [
        users[role],
      ]);
      expect(row.role).toBe(role);
    },
  );

  it("lets an ADMIN change roles, but never demote the last ADMIN", async () => {
    const promote = await supergraph.request(
      `mutation($id: ID!) { updateUserRole(id: $id, role: VIEWER) { id role } }`,
      { token: admin.accessToken, variables: { id: users.ANALYST } },
    );
    expect(promote.body.data!.updateUserRole).toEqual({ id: users.ANALYST, role: "VIEWER" });
    const demoteSelf = await supergraph.request(
      `mutation($id: ID!) { updateUserRole(id: $id, role: VIEWER) { id } }`,
      { token: admin.accessToken, variables: { id: admin.userId } },
    );
    expect(code(demoteSelf.body)).toBe("BAD_USER_INPUT");
    const [row] = await supergraph.sql("users", "SELECT role FROM users WHERE id = $1", [
      admin.userId,
    ]);
    expect(row.role).toBe("ADMIN");
    await supergraph.request(
      `mutation($id: ID!) { updateUserRole(id: $id, role: ANALYST) { id } }`,
      { token: admin.accessToken, variables: { id: users.ANALYST } },
    );
  });

  it("refuses an unknown role with BAD_USER_INPUT", async () => {
    const { body } = await supergraph.request(
      `mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { id } }`,
      {
        token: admin.accessToken,
        variables: { id: users.VIEWER, role: "OWNER" },
      },
    );
    expect(code(body)).toBe("BAD_USER_INPUT");
  });
});

describe("bad input to sign-up and user creation", () => {
  const signUp = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }`;

  async function organizationsNamed(name: string): Promise<number> {
    return (
      await supergraph.sql(
        "users",
        "SELECT count(*)::int AS count FROM organizations WHERE name = $1",
        [name],
      )
    )[0].count;
  }

  it.each([
    ["an invalid email", { email: "not-an-email" }, /not a valid email/],
    ["a weak password", { password: "short" }, /at least 10 characters/],
    ["an empty organization name", { organizationName: "   " }, /1 to 200 characters/],
    ["an email that is taken", { email: "admin@acme.test" }, /already exists/],
  ])("refuses %s with BAD_USER_INPUT and writes nothing", async (_case, override, message) => {
    const organizationName = `Nope ${uniqueSuffix()}`;
    const input = {
      organizationName,
      name: "N",
      email: `n-${uniqueSuffix()}@example.test`,
      password: "long-enough-password",
      ...override,
    };
    const { body } = await supergraph.request(signUp, { variables: { input } });
    expect(code(body)).toBe("BAD_USER_INPUT");
    expect(body.errors![0].message).toMatch(message);
    expect(await organizationsNamed(organizationName)).toBe(0);
  });

  it("refuses a duplicate email in createUser, case-insensitively", async () => {
    const admin = await supergraph.signUp();
    const { body } = await supergraph.request(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      {
        token: admin.accessToken,
        variables: {
          input: {
            email: admin.email.toUpperCase(),
            name: "Twin",
            password: "long-enough-password",
            role: "VIEWER",
          },
        },
      },
    );
    expect(code(body)).toBe("BAD_USER_INPUT");
    const [{ count }] = await supergraph.sql(
      "users",
      "SELECT count(*)::int AS count FROM users WHERE organization_id = $1",
      [admin.organizationId],
    );
    expect(count).toBe(1);
  });
});

describe("API keys", () => {
  let admin: SignedUp;

  beforeAll(async () => {
    admin = await supergraph.signUp();
  });

  async function createKey(scopes: string[], token = admin.accessToken) {
    const { body } = await supergraph.request(
      `mutation($scopes: [ApiKeyScope!]!) { createApiKey(name: "ingest", scopes: $scopes) { secret apiKey { id name prefix scopes lastUsedAt revokedAt } } }`,
      {
        token,
        variables: { scopes },
      },
    );
    expect(body.errors).toBeUndefined();
    return body.data!.createApiKey as {
      secret: string;
      apiKey: { id: string; prefix: string; scopes: string[]; lastUsedAt: string | null };
    };
  }

  it("shows the secret once, stores only its hash, and lists keys by prefix", async () => {
    const created = await createKey(["READ"]);
    expect(created.secret.startsWith(created.apiKey.prefix)).toBe(true);
    expect(created.apiKey.prefix.length).toBeLessThan(created.secret.length / 2);
    const [row] = await supergraph.sql(
      "users",
      "SELECT encode(secret_hash, 'hex') AS hash, prefix FROM api_keys WHERE id = $1",
      [created.apiKey.id],
    );
    expect(row.hash).toHaveLength(64);
    expect(JSON.stringify(row)).not.toContain(created.secret);
    const listed = await supergraph.request(`{ apiKeys { id prefix scopes } }`, {
      token: admin.accessToken,
    });
    expect(listed.body.data!.apiKeys).toContainEqual({
      id: created.apiKey.id,
      prefix: created.apiKey.prefix,
      scopes: ["READ"],
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
  });

  it("lets a READ key query, through the gateway and straight to a subgraph, and records lastUsedAt", async () => {
    const key = await createKey(["READ"]);
    const viaGateway = await supergraph.request(
      `{ users { id } customers(first: 1) { totalCount } }`,
      { authorization: `ApiKey ${key.secret}` },
    );
    expect(viaGateway.body.errors).toBeUndefined();
    expect(viaGateway.body.data!.users.map((u: { id: string }) => u.id)).toEqual([admin.userId]);
    const direct = await supergraph.request(`{ customers(first: 1) { totalCount } }`, {
      authorization: `ApiKey ${key.secret}`,
      url: supergraph.stack.subgraphs.customers.url,
    });
    expect(direct.body.data).toEqual({ customers: { totalCount: 0 } });
    const [row] = await supergraph.sql("users", "SELECT last_used_at FROM api_keys WHERE id = $1", [
      key.apiKey.id,
    ]);
    expect(row.last_used_at).not.toBeNull();
    expect(Date.now() - new Date(row.last_used_at).getTime()).toBeLessThan(60_000);
  });

  it("refuses mutations to a READ key and everything but trackEvents to an EVENTS_WRITE key", async () => {
    const read = await createKey(["READ"]);
    const write = await createKey(["EVENTS_WRITE"]);
    const mutation = await supergraph.request(
      `mutation { createApiKey(name: "escalate", scopes: [READ]) { secret } }`,
      { authorization: `ApiKey ${read.secret}` },
    );
    expect(code(mutation.body)).toBe("FORBIDDEN");
    expect(mutation.status).toBe(403);
    const query = await supergraph.request(`{ customers(first: 1) { totalCount } }`, {
      authorization: `ApiKey ${write.secret}`,
    });
    expect(code(query.body)).toBe("FORBIDDEN");
    expect(query.body.errors![0].message).toMatch(/only call trackEvents/);
    const other = await supergraph.request(`mutation { logout(refreshToken: "x") }`, {
      authorization: `ApiKey ${write.secret}`,
    });
    expect(code(other.body)).toBe("FORBIDDEN");
    // Straight to the subgraph, the same rules hold.
    const direct = await supergraph.request(
      `mutation { createApiKey(name: "escalate", scopes: [READ]) { secret } }`,
      { authorization: `ApiKey ${read.secret}`, url: supergraph.stack.subgraphs.users.url },
    );
    expect(code(direct.body)).toBe("FORBIDDEN");
  });

  it("stops working the moment it is revoked, though its exchanged token is reused while it is valid", async () => {
    const key = await createKey(["READ"]);
    const exchange = () =>
      fetch(
        `${supergraph.stack.subgraphs.users.url.replace(/\/graphql$/, "")}/auth/api-key-token`,
        { method: "POST", headers: { authorization: `ApiKey ${key.secret}` } },
      );
    const tokenOf = async () =>
      ((await (await exchange()).json()) as { accessToken: string }).accessToken;
    const [first, second] = [await tokenOf(), await tokenOf()];
    expect(second).toBe(first);
    expect(
      (await supergraph.request(`{ users { id } }`, { authorization: `ApiKey ${key.secret}` })).body
        .errors,
    ).toBeUndefined();
    const revoked = await supergraph.request(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`,
      { token: admin.accessToken, variables: { id: key.apiKey.id } },
    );
    expect(revoked.body.data!.revokeApiKey.revokedAt).not.toBeNull();
    const after = await supergraph.request(`{ users { id } }`, {
      authorization: `ApiKey ${key.secret}`,
    });
    expect(after.status).toBe(401);
    expect(code(after.body)).toBe("UNAUTHENTICATED");
    expect((await exchange()).status).toBe(401);
  });

  it("refuses a made-up key", async () => {
    const { status, body } = await supergraph.request(`{ users { id } }`, {
      authorization: "ApiKey fa_made-up-secret",
    });
    expect(status).toBe(401);
    expect(code(body)).toBe("UNAUTHENTICATED");
  });
});
