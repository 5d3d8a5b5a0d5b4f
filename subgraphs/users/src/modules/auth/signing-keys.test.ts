import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair } from "jose";
import { createAccessTokenVerifier } from "#kit/auth/access-token";
import { Role } from "#kit/auth/role";
import { createAccessTokenIssuer } from "./access-token-issuer";
import { loadSigningKeys } from "./signing-keys";

const viewer = {
  kind: "user" as const,
  userId: "2b0a3c1e-1111-4222-8333-444455556666",
  organizationId: "3c0a3c1e-1111-4222-8333-444455556666",
  role: Role.ANALYST,
};

describe("signing keys", () => {
  it("generates a development key once and reuses it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "keys-"));
    const first = await loadSigningKeys(dir, {});
    const second = await loadSigningKeys(dir, {});
    expect(second.keyId).toBe(first.keyId);
    expect(first.jwks.keys[0]).toMatchObject({
      kty: "OKP",
      crv: "Ed25519",
      alg: "EdDSA",
      kid: first.keyId,
    });
    expect(first.jwks.keys[0]).not.toHaveProperty("d");
  });

  it("rotates by kid: tokens of the previous key still verify while it is published", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "keys-"));
    const old = await loadSigningKeys(dir, {});
    const oldToken = (await createAccessTokenIssuer(old).issue(viewer)).token;

    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const rotated = await loadSigningKeys(dir, {
      JWT_PRIVATE_KEY: await exportPKCS8(privateKey),
      JWT_KEY_ID: "2026-12",
      JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify(old.jwks.keys),
    });
    expect(rotated.jwks.keys.map((key) => key.kid)).toEqual(["2026-12", old.keyId]);
    const newToken = (await createAccessTokenIssuer(rotated).issue(viewer)).token;
    expect(JSON.parse(Buffer.from(newToken.split(".")[0], "base64url").toString()).kid).toBe(
      "2026-12",
    );

    const verify = createAccessTokenVerifier(createLocalJWKSet(rotated.jwks));
    await expect(verify(oldToken)).resolves.toEqual(viewer);
    await expect(verify(newToken)).resolves.toEqual(viewer);

    // Once the old key is no longer published, its tokens are refused.
    const current = createAccessTokenVerifier(createLocalJWKSet({ keys: [rotated.jwks.keys[0]] }));
    await expect(current(oldToken)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
    expect(await exportJWK(privateKey)).toHaveProperty("d");
  });
});
