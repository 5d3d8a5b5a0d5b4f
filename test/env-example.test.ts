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

/** Every variable the code reads: `env.X`, `env["X"]`, `numberFromEnv(env, "X"` and the per-service patterns. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sources(path.join(ROOT, "gateway/src")), ...sources(path.join(ROOT, "subgraphs"))]) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|env\["([A-Z][A-Z0-9_]+)"\]|FromEnv\(env, "([A-Z][A-Z0-9_]+)"|read\("([A-Z][A-Z0-9_]+)"/g)) {
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

describe(".env.example", () => {
  it("lists every environment variable the services read", () => {
    const listed = variablesListed();
    // The per-service patterns also produce names of the gateway, which has no database nor pool.
    const missing = [...variablesRead()].filter((name) => !listed.has(name) && !["GATEWAY_DATABASE_URL", "GATEWAY_URL", "GATEWAY_DB_POOL_SIZE"].includes(name));
    expect(missing).toEqual([]);
  });

  it("lists nothing the services do not read", () => {
    const read = variablesRead();
    expect([...variablesListed()].filter((name) => !read.has(name))).toEqual([]);
  });
});
