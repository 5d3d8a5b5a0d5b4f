import { promisify } from "node:util";
import { gzip as gzipCallback, constants } from "node:zlib";
import { booleanFromEnv } from "../config";

const gzip = promisify(gzipCallback);

/** Bodies shorter than this go uncompressed: the bytes saved would not pay for the CPU. */
export const COMPRESSION_MIN_BYTES = 1_024;
/** zlib level: the fast end, most of the saving on JSON for a fraction of level 9's CPU. */
const GZIP_LEVEL = 4;

/**
 * The response body to send and its `content-encoding`: gzip when the client accepts it (its
 * `accept-encoding`, `q=0` meaning refused) and the body is at least {@link COMPRESSION_MIN_BYTES};
 * otherwise the body as it is and no encoding. Compression runs on libuv's thread pool, not on the
 * event loop.
 */
export async function compressBody(
  acceptEncoding: string | undefined,
  body: string,
): Promise<{ body: Buffer | string; encoding?: "gzip" }> {
  if (!acceptsGzip(acceptEncoding) || Buffer.byteLength(body) < COMPRESSION_MIN_BYTES)
    return { body };
  return {
    body: await gzip(body, { level: GZIP_LEVEL, strategy: constants.Z_DEFAULT_STRATEGY }),
    encoding: "gzip",
  };
}

/** `HTTP_COMPRESSION`: gzip responses for clients that accept it. @default true */
export function compressionFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return booleanFromEnv(env, "HTTP_COMPRESSION", true);
}

/** True when `accept-encoding` lists gzip (or `*`) without `q=0`. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (name !== "gzip" && name !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return !q || Number(q.slice(2)) > 0;
  }
  return false;
}
