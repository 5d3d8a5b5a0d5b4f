import { createHash, randomBytes } from "node:crypto";

/** A random secret: `<kind>_` then 32 random bytes in base64url (256 bits). */
export function generateSecret(kind: "rt" | "fa"): string {
  return `${kind}_${randomBytes(32).toString("base64url")}`;
}

/**
 * SHA-256 of a secret, as stored. Enough for 256-bit random secrets (nothing to brute-force), and
 * fast enough to look up on every request, unlike a password hash.
 */
export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}
