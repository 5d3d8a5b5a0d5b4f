import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import Redis from "ioredis";
import { freePort } from "#kit/http/ports";

/** A redis-server this process started, on a free port, keeping nothing on disk. */
export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

const BINARY_PATHS = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

/**
 * Finds `redis-server`, installing Debian's package when it is missing and this process may
 * (root, with apt-get). Resolves its path, or the reason there is none.
 */
export function ensureRedisServer(): { path: string } | { missing: string } {
  const found = () => BINARY_PATHS.find((candidate) => existsSync(candidate));
  if (found()) return { path: found()! };
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get"))
    return {
      missing:
        "redis-server is not installed and cannot be installed here (needs root and apt-get)",
    };
  const install = spawnSync(
    "apt-get",
    ["install", "-y", "--no-install-recommends", "redis-server"],
    {
      encoding: "utf8",
      timeout: 180_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    },
  );
  if (found()) return { path: found()! };
  return {
    missing: `apt-get install redis-server failed: ${(install.stderr || install.error?.message || "").trim().split("\n").at(-1)}`,
  };
}

/** Starts a throwaway redis-server; resolves once it answers PING. */
export async function startLocalRedis(binary: string): Promise<LocalRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => 100,
    maxRetriesPerRequest: null,
  });
  probe.on("error", () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe.connect().catch(() => undefined);
      if ((await probe.ping()) === "PONG") break;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  probe.disconnect();
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
