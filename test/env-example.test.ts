import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const SERVICES = ["USERS", "CUSTOMERS", "ANALYTICS", "GATEWAY"];

/** The TypeScript sources of the services (not tests, benchmarks or generated files). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "node_modules" ? [] : sources(full);
    return full.endsWith(".ts") && !full.endsWith(".test.ts") ? [full] : [];
  });
}

/**
 * Every variable the code reads: `env.X`, `env["X"]`, `numberFromEnv(env, "X"` and the per-service
 * patterns.
 */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const file of ["gateway/src", "subgraphs", "kit", "dev", "stack", "cli"].flatMap((dir) =>
    sources(path.join(ROOT, dir)),
  )) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(
      /\benv\.([A-Z][A-Z0-9_]+)|env\["([A-Z][A-Z0-9_]+)"\]|FromEnv\(env, "([A-Z][A-Z0-9_]+)"|read\("([A-Z][A-Z0-9_]+)"/g,
    )) {
      names.add(match[1] ?? match[2] ?? match[3] ?? match[4]);
    }
    // `${service.toUpperCase()}_PORT`, `_DATABASE_URL`, `_URL`
    for (const match of text.matchAll(/toUpperCase\(\)\}_([A-Z_]+)`/g)) {
      for (const service of SERVICES) names.add(`${service}_${match[1]}`);
    }
  }
  return names;
}

function variablesListed(): Set<string> {
  const text = readFileSync(path.join(ROOT, ".env.example"), "utf8");
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
}

import { ENVIRONMENT, environmentProblems } from "#kit/environment";

describe(".env.example", () => {
  it("names exactly the variables that are validated at start", () => {
    expect([...variablesListed()].sort()).toEqual(Object.keys(ENVIRONMENT).sort());
  });

  it("holds valid defaults", () => {
    const text = readFileSync(path.join(ROOT, ".env.example"), "utf8");
    const values = Object.fromEntries(
      [...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((match) => [match[1], match[2]]),
    );
    expect(environmentProblems(values)).toEqual([]);
  });

  it("lists every environment variable the services read", () => {
    const listed = variablesListed();
    // The per-service patterns also produce names of the gateway, which has no database nor pool.
    const missing = [...variablesRead()].filter(
      (name) =>
        !listed.has(name) &&
        !["GATEWAY_DATABASE_URL", "GATEWAY_URL", "GATEWAY_DB_POOL_SIZE"].includes(name),
    );
    expect(missing).toEqual([]);
  });

  it("lists nothing the services do not read", () => {
    const read = variablesRead();
    expect([...variablesListed()].filter((name) => !read.has(name))).toEqual([]);
  });
});

describe("validation at start", () => {
  it("names each wrong value and what it must be", () => {
    const problems = environmentProblems({
      GATEWAY_PORT: "70000",
      GRAPHQL_MAX_DEPTH: "0",
      DATABASE_URL: "not a url",
      LOG_LEVEL: "loud",
      DEMO_DATA: "yes",
      USERS_PORT: "4001",
      REDIS_URL: "",
    });
    expect(problems).toEqual([
      'LOG_LEVEL="loud" must be one of trace, debug, info, warn, error, fatal, silent.',
      'DEMO_DATA="yes" must be true or false.',
      'GATEWAY_PORT="70000" must be a port number (0 to 65535; 0 picks a free one).',
      "DATABASE_URL must be a URL (such as postgres://user:password@host:5432/db or http://host:4001).",
      'GRAPHQL_MAX_DEPTH="0" must be a whole number of at least 1.',
    ]);
  });
});

import { spawnSync } from "node:child_process";

describe("a service started with a wrong value", () => {
  it("fails fast, before touching anything, with the message (npm start's entry point, built by npm test)", () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, [path.join(ROOT, "dist/stack/main.js")], {
      env: { ...process.env, GATEWAY_PORT: "70000", WS_KEEP_ALIVE_MS: "soon" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("The configuration has 2 problems");
    expect(run.stderr).toContain('GATEWAY_PORT="70000" must be a port number');
    expect(run.stderr).toContain('WS_KEEP_ALIVE_MS="soon" must be a whole number of at least 1');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
