import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Addresses a webhook may not reach: unspecified, private, loopback, link-local, shared (CGNAT),
 * benchmarking, multicast and reserved ranges of IPv4 and IPv6 (IPv4-mapped and NAT64 IPv6
 * addresses are checked as the IPv4 address they hold).
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  BLOCKED.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
] as const)
  BLOCKED.addSubnet(network, prefix, "ipv6");

/** A target that may not be called; the message says why (for the caller and the delivery log). */
export class TargetRefused extends Error {
  override readonly name = "TargetRefused";
}

/** True when private targets are allowed (`ALERT_WEBHOOK_ALLOW_PRIVATE=true`, read at each call). */
export function privateTargetsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ALERT_WEBHOOK_ALLOW_PRIVATE === "true";
}

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d` or NAT64), or null. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** True when the address (IPv4 or IPv6 text) is in a refused range. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, "ipv4");
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return BLOCKED.check(v4, "ipv4");
    return BLOCKED.check(address, "ipv6");
  }
  return true;
}

/** Resolves a host name to every address it has (an IP literal to itself). */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Checks a webhook or Slack URL: http or https only, no credentials in it, and (unless private
 * targets are allowed) a host whose every address, IPv4 and IPv6, is public. Resolves the parsed
 * URL; throws {@link TargetRefused} saying why not.
 */
export async function checkTarget(
  url: string,
  options: { allowPrivate?: boolean; resolve?: Resolver } = {},
): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefused("is not a URL.");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new TargetRefused("must be an http or https URL.");
  if (parsed.username || parsed.password)
    throw new TargetRefused("must not hold a user name or password.");
  if (options.allowPrivate ?? privateTargetsAllowed()) return parsed;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const addresses = isIP(host)
    ? [host]
    : await (options.resolve ?? systemResolver)(host).catch(() => {
        throw new TargetRefused(`has a host name that does not resolve (${host}).`);
      });
  if (addresses.length === 0) throw new TargetRefused(`has a host name with no address (${host}).`);
  const blocked = addresses.filter(isBlockedAddress);
  if (blocked.length)
    throw new TargetRefused(
      `reaches a private, loopback or link-local address (${host} is ${blocked.join(", ")}); such targets are refused unless ALERT_WEBHOOK_ALLOW_PRIVATE=true.`,
    );
  return parsed;
}

/**
 * A `lookup` for http.request that refuses private addresses at connection time, so that a host
 * name whose DNS changed after the check cannot reach them (unless private targets are allowed).
 */
export function checkedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: { family?: number | string; all?: boolean },
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void,
  ): void => {
    lookup(hostname, { all: true, verbatim: true }).then(
      (entries) => {
        const refused = allowPrivate
          ? []
          : entries.filter((entry) => isBlockedAddress(entry.address));
        if (refused.length || entries.length === 0) {
          callback(
            new TargetRefused(
              `reaches a private, loopback or link-local address (${hostname} is ${refused.map((entry) => entry.address).join(", ")}).`,
            ),
            [],
          );
          return;
        }
        if (options.all) callback(null, entries);
        else callback(null, entries[0].address, entries[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}
