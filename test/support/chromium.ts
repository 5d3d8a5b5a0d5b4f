import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";

/**
 * Debian's Chromium for the browser tests, installed with apt when missing and this process may
 * (root with apt-get). Resolves its path, or the reason there is none.
 */
export function ensureChromium(): { path: string } | { missing: string } {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get"))
    return {
      missing: "chromium is not installed and cannot be installed here (needs root and apt-get)",
    };
  const install = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  return {
    missing: `apt-get install chromium failed: ${(install.stderr || install.error?.message || "").trim().split("\n").at(-1)}`,
  };
}

/** The flags a root, offline, headless Chromium needs here. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
