import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { exportJWK, generateKeyPair, importJWK, importPKCS8, type JWK, type KeyLike } from "jose";
import { ACCESS_TOKEN_ALGORITHM } from "#kit/auth/access-token";

/** The key that signs new access tokens, and the public keys that verify them. */
export interface SigningKeys {
  /** `kid` of the current signing key; it goes in every token header. */
  keyId: string;
  privateKey: KeyLike;
  /** The JSON Web Key Set published at `/.well-known/jwks.json`: the current public key first. */
  jwks: { keys: JWK[] };
}

/**
 * Loads the signing key: from `JWT_PRIVATE_KEY` (an Ed25519 PKCS#8 PEM) with `JWT_KEY_ID` when set;
 * otherwise from `<keysDir>/jwt-signing-key.json`, generating a development key pair there once.
 * `JWT_PREVIOUS_PUBLIC_KEYS` (a JSON array of public JWKs with `kid`) keeps rotated-out keys
 * verifiable until the tokens they signed have expired.
 */
export async function loadSigningKeys(
  keysDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SigningKeys> {
  let privateJwk: JWK;
  if (env.JWT_PRIVATE_KEY) {
    const key = await importPKCS8(
      env.JWT_PRIVATE_KEY.replace(/\\n/g, "\n"),
      ACCESS_TOKEN_ALGORITHM,
      { extractable: true },
    );
    privateJwk = { ...(await exportJWK(key)), kid: env.JWT_KEY_ID ?? "configured" };
  } else {
    privateJwk = await developmentKey(path.join(keysDir, "jwt-signing-key.json"));
  }
  const previous: JWK[] = env.JWT_PREVIOUS_PUBLIC_KEYS
    ? JSON.parse(env.JWT_PREVIOUS_PUBLIC_KEYS)
    : [];
  const { d: _private, ...publicJwk } = privateJwk;
  return {
    keyId: privateJwk.kid!,
    privateKey: (await importJWK(privateJwk, ACCESS_TOKEN_ALGORITHM)) as KeyLike,
    jwks: { keys: [{ ...publicJwk, alg: ACCESS_TOKEN_ALGORITHM, use: "sig" }, ...previous] },
  };
}

async function developmentKey(file: string): Promise<JWK> {
  if (existsSync(file)) return JSON.parse(await readFile(file, "utf8"));
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, {
    crv: "Ed25519",
    extractable: true,
  });
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: `dev-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`,
  };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(jwk, null, 2), { mode: 0o600, flag: "wx" }).catch(
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    },
  );
  // Another process may have won the race to create it: the file on disk is the key.
  return JSON.parse(await readFile(file, "utf8"));
}
