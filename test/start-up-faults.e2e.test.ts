import net from "node:net";
import { startStack } from "../stack/start-stack";
import { DatabaseUnreachableError } from "#kit/database/connect";
import { PortInUseError } from "#kit/http/ports";
import { startCustomersService } from "../subgraphs/customers/src/service";
import { TEST_ENV } from "./support/test-database";

describe("starting the supergraph", () => {
  it("says which port is taken and starts nothing", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const attempt = startStack({
        serverUrl: process.env[TEST_ENV.serverUrl],
        demoData: false,
        ports: { gateway: 0, users: 0, customers: taken, analytics: 0 },
      });
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(attempt).rejects.toThrow(`Port ${taken} (customers subgraph) is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("uses the server in DATABASE_URL and starts no embedded PostgreSQL", async () => {
    // The embedded server's port is blocked: trying to start one would fail with PortInUseError.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const saved = { ...process.env };
    process.env.DATABASE_URL = process.env[TEST_ENV.serverUrl];
    process.env.EMBEDDED_POSTGRES_PORT = String((blocker.address() as net.AddressInfo).port);
    try {
      const stack = await startStack({
        demoData: false,
        keysDir: process.env[TEST_ENV.keysDir],
        ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
      });
      try {
        const response = await fetch(stack.gateway.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ __typename }" }),
        });
        expect(await response.json()).toEqual({ data: { __typename: "Query" } });
      } finally {
        await stack.stop();
      }
    } finally {
      process.env = saved;
      blocker.close();
    }
  });

  it("retries an unreachable database, then fails naming the URL without its password", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const started = Date.now();
    const attempt = startCustomersService({
      port: 0,
      databaseUrl: `postgres://app:s3cret@127.0.0.1:${port}/customers`,
      connect: { attempts: 3, delayMs: 20 },
    }).catch((error) => error);
    const error = await attempt;
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40); // three attempts, two pauses of 20 ms
    expect(error.message).toContain(`postgres://app:***@127.0.0.1:${port}/customers`);
    expect(error.message).not.toContain("s3cret");
    expect(error.message).toMatch(/Check that the server is running/);
  });
});
