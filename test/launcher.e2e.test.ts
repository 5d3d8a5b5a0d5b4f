import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "#kit/http/ports";
import { TEST_ENV } from "./support/test-database";

/**
 * `npm start`'s own launcher (`node dist/stack/main.js`, built by `npm test`), a process per part,
 * here on the run's PostgreSQL: killing the customers subgraph leaves the rest answering, the
 * launcher starts it again and the gateway recovers by itself; SIGTERM stops the parts in order.
 */
const ROOT = path.resolve(__dirname, "..");

interface LogLine {
  service?: string;
  process?: string;
  msg?: string;
}

let launcher: ChildProcess;
let exited: Promise<number | null>;
let gatewayUrl: string;
const lines: LogLine[] = [];
let dataDir: string;

/** Resolves with the first log line (already printed or to come) that `match` accepts. */
function logLine(match: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
  const found = lines.find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `no such log line in ${timeoutMs} ms; last: ${JSON.stringify(lines.slice(-5))}`,
          ),
        ),
      timeoutMs,
    );
    waiters.push((line) => {
      if (!match(line)) return false;
      clearTimeout(timer);
      resolve(line);
      return true;
    });
  });
}
let waiters: ((line: LogLine) => boolean)[] = [];

const pidOf = (line: LogLine) => Number(/\(pid (\d+)\)/.exec(line.msg ?? "")?.[1]);
const readyLine = (name: string) => (line: LogLine) =>
  line.msg?.startsWith(`${name} is ready`) === true;

async function gql(query: string, token?: string) {
  const response = await fetch(gatewayUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: (await response.json()) as any };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start` as npm runs it (its script in `sh -c`, after the build the global setup did), on free
 * ports and the run's PostgreSQL, its stdout and stderr piped here: a signal npm forwards to the
 * shell must reach the launcher, so the script execs node.
 */
async function spawnLauncher(
  dataDir: string,
  /** Runs on an embedded PostgreSQL of its own on this port instead of the run's. */
  embeddedPostgresPort?: number,
): Promise<{
  child: ChildProcess;
  exited: Promise<number | null>;
  gatewayUrl: string;
}> {
  const [gateway, users, customers, analytics] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    // The run's demo organization is shared with the other tests: no background jobs on it.
    DEMO_JOBS: "false",
    DATA_DIR: dataDir,
    DATABASE_URL: process.env[TEST_ENV.serverUrl],
    GATEWAY_PORT: String(gateway),
    USERS_PORT: String(users),
    CUSTOMERS_PORT: String(customers),
    ANALYTICS_PORT: String(analytics),
  };
  if (embeddedPostgresPort !== undefined) {
    for (const name of Object.keys(env)) if (/DATABASE_URL$/.test(name)) delete env[name];
    env.EMBEDDED_POSTGRES_PORT = String(embeddedPostgresPort);
  }
  const { scripts } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: { start: string };
  };
  const build = "npm run -s build && ";
  expect(scripts.start.startsWith(build)).toBe(true);
  const child = spawn("sh", ["-c", scripts.start.slice(build.length)], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return { child, exited, gatewayUrl: `http://localhost:${gateway}/graphql` };
}

beforeAll(async () => {
  dataDir = path.join(
    os.tmpdir(),
    `federated-analytics-launcher-${process.pid}-${Date.now().toString(36)}`,
  );
  await mkdir(dataDir, { recursive: true });
  ({ child: launcher, exited, gatewayUrl } = await spawnLauncher(dataDir));
  createInterface({ input: launcher.stdout! }).on("line", (text) => {
    if (!text.startsWith("{")) return;
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    waiters = waiters.filter((waiter) => !waiter(line));
  });
  launcher.stderr!.resume();
  await logLine(readyLine("gateway"));
}, 120_000);

afterAll(async () => {
  if (launcher?.exitCode === null) {
    launcher.kill("SIGTERM");
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe("npm start's launcher", () => {
  let token: string;
  let customerId: string;

  it("runs users, customers, analytics and the gateway each in a process of its own, every log line naming its service", async () => {
    const pids = await Promise.all(
      ["users", "customers", "analytics", "gateway"].map(async (name) =>
        pidOf(await logLine(readyLine(name))),
      ),
    );
    expect(new Set([...pids, launcher.pid]).size).toBe(5);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    for (const name of ["users", "customers", "analytics", "gateway"]) {
      expect(lines.some((line) => line.service === name)).toBe(true);
    }
    const signUp = await gql(
      `mutation { signUp(input: { organizationName: "Launcher", name: "Ops", email: "ops-${Date.now()}@launcher.test", password: "a-long-enough-password" }) { accessToken } }`,
    );
    token = signUp.body.data.signUp.accessToken;
    const created = await gql(
      `mutation { createCustomer(input: { name: "Grace" }) { id } }`,
      token,
    );
    customerId = created.body.data.createCustomer.id;
  }, 30_000);

  it("keeps the gateway, users and analytics answering while customers is down, gives partial data with a clear error, restarts it, and the gateway recovers by itself", async () => {
    const query = `{ me { name } customer(id: "${customerId}") { name stats { orders } } metrics { name } }`;
    expect((await gql(query, token)).body).toEqual({
      data: {
        me: { name: "Ops" },
        customer: { name: "Grace", stats: { orders: 0 } },
        metrics: expect.arrayContaining([{ name: "events" }]),
      },
    });
    const customersPid = pidOf(await logLine(readyLine("customers")));
    process.kill(customersPid, "SIGKILL");
    await logLine(
      (line) =>
        line.msg?.startsWith("customers exited (signal SIGKILL); restarting it in") === true,
      10_000,
    );

    const partial = await gql(query, token);
    expect(partial.status).toBe(200);
    expect(partial.body.data.me).toEqual({ name: "Ops" });
    expect(partial.body.data.metrics.length).toBeGreaterThan(0);
    expect(partial.body.data.customer).toBeNull();
    expect(partial.body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining("customers service"),
        extensions: expect.objectContaining({
          code: "SERVICE_UNAVAILABLE",
          serviceName: "customers",
        }),
      }),
    ]);

    const restarted = await logLine(
      (line) => readyLine("customers")(line) && pidOf(line) !== customersPid,
      30_000,
    );
    expect(alive(pidOf(restarted))).toBe(true);
    let recovered = await gql(query, token);
    for (let attempt = 0; attempt < 20 && recovered.body.errors; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      recovered = await gql(query, token);
    }
    expect(recovered.body.errors).toBeUndefined();
    expect(recovered.body.data.customer).toEqual({ name: "Grace", stats: { orders: 0 } });
  }, 60_000);

  it("on SIGTERM stops the gateway, then the subgraphs, and exits 0 with none of its processes left", async () => {
    const pids = ["users", "customers", "analytics", "gateway"].map((name) =>
      pidOf(lines.filter(readyLine(name)).at(-1)!),
    );
    launcher.kill("SIGTERM");
    expect(await exited).toBe(0);
    const order = lines
      .filter((line) => line.service === "stack" && /^stopping /.test(line.msg ?? ""))
      .map((line) => line.msg);
    expect(order[0]).toBe("stopping gateway");
    expect(order.slice(1).sort()).toEqual([
      "stopping analytics",
      "stopping customers",
      "stopping users",
    ]);
    const gatewayStopped = lines.findIndex((line) => line.msg === "gateway stopped");
    const firstSubgraphStopping = lines.findIndex((line) => line.msg === "stopping users");
    expect(gatewayStopped).toBeGreaterThan(-1);
    expect(gatewayStopped).toBeLessThan(firstSubgraphStopping);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  }, 60_000);
});

describe("npm start's launcher, once nothing reads its output", () => {
  it("keeps serving (a closed stdout is not a crash), and once killed leaves no process behind, PostgreSQL included", async () => {
    const own = path.join(dataDir, "output-closed");
    await mkdir(own, { recursive: true });
    const { child, exited, gatewayUrl } = await spawnLauncher(own, await freePort());
    const seen: LogLine[] = [];
    try {
      const ready = new Promise<void>((resolve) =>
        createInterface({ input: child.stdout! }).on("line", (text) => {
          if (!text.startsWith("{")) return;
          const line = JSON.parse(text) as LogLine;
          seen.push(line);
          if (readyLine("gateway")(line)) resolve();
        }),
      );
      child.stderr!.resume();
      await ready;
      const pids = ["users", "customers", "analytics", "gateway"].map((name) =>
        pidOf(seen.filter(readyLine(name)).at(-1)!),
      );
      const postmaster = Number(
        (await readFile(path.join(own, "postgres", "postmaster.pid"), "utf8")).split("\n")[0],
      );
      expect(alive(postmaster)).toBe(true);
      // The reader goes away: every line the launcher writes from now on meets a closed pipe.
      child.stdout!.destroy();
      for (let i = 0; i < 5; i++) {
        const response = await fetch(gatewayUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ __typename }" }),
          signal: AbortSignal.timeout(20_000),
        });
        expect(await response.json()).toEqual({ data: { __typename: "Query" } });
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(child.exitCode).toBeNull();
      // Killed outright: the parts see their channel to it close, stop, and write to no one.
      child.kill("SIGKILL");
      await exited;
      const left = () => [...pids, postmaster].filter(alive);
      for (let i = 0; i < 150 && left().length > 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 200));
      expect(left()).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 120_000);
});
