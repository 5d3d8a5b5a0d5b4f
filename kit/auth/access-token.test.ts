import { createLocalJWKSet, errors as joseErrors, exportJWK, generateKeyPair, SignJWT } from "jose";
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  createAccessTokenVerifier,
  VERIFIED_TOKEN_CACHE_MS,
} from "./access-token";

async function keys() {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "EdDSA" };
  const sign = (claims: Record<string, unknown>, expiresAtSeconds: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject("user-1")
      .setExpirationTime(expiresAtSeconds)
      .sign(privateKey);
  const jwks = createLocalJWKSet({ keys: [jwk] });
  // The key set, counting how often a signature check asks it for a key.
  let checks = 0;
  const counted: typeof jwks = (...args) => {
    checks++;
    return jwks(...args);
  };
  return { sign, counted, checks: () => checks };
}

describe("createAccessTokenVerifier's cache of verified tokens", () => {
  it("answers a repeated token without a new signature check, but never past its exp", async () => {
    const { sign, counted, checks } = await keys();
    let clock = Date.now();
    const verify = createAccessTokenVerifier(counted, () => clock);
    const exp = Math.floor(clock / 1000) + 30;
    const token = await sign({ org: "org-1", role: "ADMIN" }, exp);

    const first = await verify(token);
    expect(first).toEqual({
      kind: "user",
      userId: "user-1",
      organizationId: "org-1",
      role: "ADMIN",
    });
    first.organizationId = "changed by a caller";
    expect(await verify(token)).toMatchObject({ organizationId: "org-1" });
    expect(checks()).toBe(1);

    clock = exp * 1000 + 1;
    await expect(verify(token)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
      message: expect.stringMatching(/expired/),
    });
  });

  it("checks the signature again after the trust window, and never remembers a failure", async () => {
    const { sign, counted, checks } = await keys();
    let clock = Date.now();
    const verify = createAccessTokenVerifier(counted, () => clock);
    const token = await sign({ org: "org-1", role: "VIEWER" }, Math.floor(clock / 1000) + 3600);
    await verify(token);
    clock += VERIFIED_TOKEN_CACHE_MS + 1;
    await verify(token);
    expect(checks()).toBe(2);

    const tampered = `${token.slice(0, -4)}AAAA`;
    await expect(verify(tampered)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
    await expect(verify(tampered)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
  });
});

describe("createAccessTokenVerifier when the public keys cannot be had", () => {
  it.each([
    ["the key set times out", () => new joseErrors.JWKSTimeout()],
    ["the users service is unreachable", () => new TypeError("fetch failed")],
    ["the key set is not one", () => new joseErrors.JWKSInvalid("not a JWKS")],
  ])("answers SERVICE_UNAVAILABLE, not an invalid token, when %s", async (_case, failure) => {
    const { sign } = await keys();
    const token = await sign({ org: "org-1", role: "ADMIN" }, Math.floor(Date.now() / 1000) + 30);
    const verify = createAccessTokenVerifier(async () => {
      throw failure();
    });
    await expect(verify(token)).rejects.toMatchObject({
      extensions: { code: "SERVICE_UNAVAILABLE" },
    });
  });

  it("still calls a token signed with an unknown key invalid", async () => {
    const { sign } = await keys();
    const other = await keys();
    const token = await sign({ org: "org-1", role: "ADMIN" }, Math.floor(Date.now() / 1000) + 30);
    const verify = createAccessTokenVerifier(other.counted);
    await expect(verify(token)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
      message: "The access token is invalid.",
    });
  });
});
