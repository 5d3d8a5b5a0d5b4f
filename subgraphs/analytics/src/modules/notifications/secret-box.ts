import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Encrypts the webhook signing secrets at rest (AES-256-GCM), so that the database alone does not
 * reveal them while the service can still sign with them. The key is `ALERT_SECRET_KEY` (32 bytes,
 * base64) when set, otherwise a development key generated once at `<keysDir>/alert-secret-key`.
 * A ciphertext is `v1.<iv>.<tag>.<data>` in base64url.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Loads the key as described above; throws when `ALERT_SECRET_KEY` is not 32 bytes. */
  static async load(keysDir: string, env: NodeJS.ProcessEnv = process.env): Promise<SecretBox> {
    if (env.ALERT_SECRET_KEY) {
      const key = Buffer.from(env.ALERT_SECRET_KEY, "base64");
      if (key.length !== 32)
        throw new Error("ALERT_SECRET_KEY must be 32 bytes in base64 (openssl rand -base64 32).");
      return new SecretBox(key);
    }
    const file = path.join(keysDir, "alert-secret-key");
    if (!existsSync(file)) {
      await mkdir(keysDir, { recursive: true });
      await writeFile(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" }).catch(
        (error: NodeJS.ErrnoException) => {
          // Another service of the same DATA_DIR wrote it first.
          if (error.code !== "EEXIST") throw error;
        },
      );
    }
    return new SecretBox(Buffer.from((await readFile(file, "utf8")).trim(), "base64"));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return ["v1", iv, cipher.getAuthTag(), data].map(encode).join(".");
  }

  /** Throws when the ciphertext was made with another key or altered. */
  decrypt(ciphertext: string): string {
    const [version, iv, tag, data] = ciphertext.split(".");
    if (version !== "v1" || !iv || !tag || data === undefined)
      throw new TypeError("Expected a v1.<iv>.<tag>.<data> ciphertext.");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([
      decipher.update(Buffer.from(data, "base64url")),
      decipher.final(),
    ]).toString("utf8");
  }
}

function encode(part: string | Buffer): string {
  return typeof part === "string" ? part : part.toString("base64url");
}
