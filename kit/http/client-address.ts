import type { IncomingMessage } from "node:http";

/**
 * Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, comma-separated). @default
 * loopback
 */
export function trustedProxiesFromEnv(env: NodeJS.ProcessEnv = process.env): Set<string> {
  const list = env.TRUSTED_PROXIES?.split(",")
    .map((entry) => entry.trim())
    .filter(Boolean) ?? ["127.0.0.1", "::1", "::ffff:127.0.0.1"];
  return new Set(list);
}

/**
 * The address of the client behind a request: the peer, unless the peer is a trusted proxy (the
 * gateway), in which case the right-most address of `X-Forwarded-For` that is not itself a trusted
 * proxy. A client cannot spoof it by sending the header straight to a service.
 */
export function clientAddress(
  req: IncomingMessage,
  trustedProxies: Set<string> = trustedProxiesFromEnv(),
): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (!trustedProxies.has(peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  const chain = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) if (!trustedProxies.has(chain[i])) return chain[i];
  return chain[0] ?? peer;
}
