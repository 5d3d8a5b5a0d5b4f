import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const root = path.resolve(__dirname, "..");
const hasDockerCompose = spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0;

describe("docker-compose.yml", () => {
  const compose = parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), {
    merge: true,
  });

  it("runs PostgreSQL, Redis, the three subgraphs (analytics twice) and the gateway, each with a health check", () => {
    const byDefault = Object.entries<any>(compose.services).filter(
      ([, service]) => !service.profiles,
    );
    expect(byDefault.map(([name]) => name).sort()).toEqual([
      "analytics",
      "analytics-2",
      "customers",
      "gateway",
      "postgres",
      "redis",
      "users",
    ]);
    for (const [name, service] of Object.entries<any>(compose.services)) {
      expect({ name, healthcheck: Boolean(service.healthcheck?.test) }).toEqual({
        name,
        healthcheck: true,
      });
    }
  });

  it("starts the gateway only once every subgraph is healthy, and subgraphs once PostgreSQL is", () => {
    const healthy = { condition: "service_healthy" };
    expect(compose.services.gateway.depends_on).toEqual({
      users: healthy,
      customers: healthy,
      analytics: healthy,
      "analytics-2": healthy,
      redis: healthy,
    });
    for (const name of ["users", "customers"])
      expect(compose.services[name].depends_on).toEqual({ postgres: healthy });
    for (const name of ["analytics", "analytics-2"])
      expect(compose.services[name].depends_on).toEqual({ postgres: healthy, redis: healthy });
  });

  it("puts both analytics replicas behind one name, and shares their events through Redis", () => {
    expect(compose.services.gateway.environment.ANALYTICS_URL).toBe(
      "http://analytics-pool:4003/graphql",
    );
    for (const name of ["analytics", "analytics-2"]) {
      expect(compose.services[name].networks.default.aliases).toContain("analytics-pool");
      expect(compose.services[name].environment.REDIS_URL).toBe("redis://redis:6379");
    }
  });

  it("has a citus profile: a coordinator, two workers, and a setup job that distributes the event tables", () => {
    const citus = Object.entries<any>(compose.services).filter(([, service]) =>
      service.profiles?.includes("citus"),
    );
    expect(citus.map(([name]) => name).sort()).toEqual([
      "citus-coordinator",
      "citus-setup",
      "citus-worker-1",
      "citus-worker-2",
    ]);
    expect(compose.services["citus-setup"].volumes).toEqual([
      "./deploy/citus/setup.sh:/setup.sh:ro",
      "./deploy/citus/distribute.sql:/distribute.sql:ro",
    ]);
    const distribute = readFileSync(path.join(root, "deploy", "citus", "distribute.sql"), "utf8");
    for (const table of [
      "events",
      "event_ids",
      "event_rollups_minute",
      "event_rollups_hour",
      "event_type_rollups_hour",
      "customer_activity",
    ])
      expect(distribute).toContain(`'${table}'`);
    // The analytics database stays on the shared PostgreSQL unless ANALYTICS_DATABASE_URL says
    // otherwise.
    for (const name of ["analytics", "analytics-2"]) {
      expect(compose.services[name].environment.ANALYTICS_DATABASE_URL).toBe(
        "${ANALYTICS_DATABASE_URL:-postgres://postgres:postgres@postgres:5432/analytics}",
      );
    }
  });

  (hasDockerCompose ? it : it.skip)("passes 'docker-compose config'", () => {
    execFileSync("docker-compose", ["-f", path.join(root, "docker-compose.yml"), "config", "-q"], {
      stdio: "pipe",
    });
  });
  if (!hasDockerCompose) {
    console.log(
      "skipped 'docker-compose config': docker-compose is not installed (apt-get install -y docker-compose to run it)",
    );
  }
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");

  it("builds the services, the kit, the launcher and the tools, and leaves tests and benchmarks out", () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)].map((match) => match[1]);
    expect(copied).toEqual(
      expect.arrayContaining(["gateway", "subgraphs", "kit", "dev", "stack", "cli"]),
    );
    expect(copied.filter((source) => /^(test|bench)\b/.test(source))).toEqual([]);
    expect(dockerfile).toMatch(/tsc -p tsconfig\.build\.json/);
    const build = JSON.parse(
      readFileSync(path.join(root, "tsconfig.build.json"), "utf8").replace(/^\s*\/\/.*$/gm, ""),
    );
    expect(build.include.some((glob: string) => /^(test|bench)\//.test(glob))).toBe(false);
    expect(build.exclude).toContain("**/*.test.ts");
  });

  it("runs, as its default command, an entry point the build produces", () => {
    const [, command] = /^CMD \["node", "([^"]+)"\]/m.exec(dockerfile)!;
    expect(command).toBe("dist/gateway/src/index.js");
    const compose = parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), {
      merge: true,
    });
    for (const service of ["users", "customers", "analytics", "gateway"]) {
      const [, entry] = compose.services[service].command as string[];
      expect(
        existsSync(path.join(root, entry.replace(/^dist\//, "").replace(/\.js$/, ".ts"))),
      ).toBe(true);
    }
  });
});

describe(".ci/run", () => {
  it("installs with npm ci and then runs npm test, failing on the first failure", () => {
    const script = readFileSync(path.join(root, ".ci", "run"), "utf8");
    expect(script).toMatch(/set -euo pipefail/);
    expect(script.indexOf("npm ci")).toBeGreaterThan(-1);
    expect(script.indexOf("npm test")).toBeGreaterThan(script.indexOf("npm ci"));
  });
});
