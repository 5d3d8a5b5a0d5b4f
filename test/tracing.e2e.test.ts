import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startStack } from "../stack/start-stack";
import { TEST_ENV } from "./support/test-database";

// An OTLP/HTTP receiver standing in for a collector: it keeps what it is sent.
const received: string[] = [];
const collector = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    received.push(`${req.url} ${body}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", () => resolve()));
});

afterAll(async () => {
  await new Promise((resolve) => collector.close(resolve));
});

describe("OpenTelemetry tracing (OTEL_* variables)", () => {
  it("exports the gateway's spans of a federated request over OTLP/HTTP", async () => {
    // Real processes (as deployed): the variables are read when each process starts.
    const dataDir = path.join(os.tmpdir(), `federated-analytics-tracing-${process.pid}`);
    await mkdir(dataDir, { recursive: true });
    const stack = await startStack({
      mode: "processes",
      ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
      serverUrl: process.env[TEST_ENV.serverUrl]!,
      dataDir,
      demoData: false,
      restart: false,
      output: { line: () => undefined, event: () => undefined },
      env: {
        LOG_LEVEL: "silent",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
        OTEL_SERVICE_NAME: "fa-tracing-test",
      },
    });
    try {
      const post = async (query: string, token?: string) =>
        (
          await fetch(stack.gateway.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify({ query }),
          })
        ).json() as Promise<any>;
      const signed = await post(
        `mutation { signUp(input: { organizationName: "Traced", name: "T", email: "t-${Date.now()}@trace.test", password: "a-long-enough-password" }) { accessToken } }`,
      );
      const body = await post(
        `query Traced { me { email } metrics { name } }`,
        signed.data.signUp.accessToken,
      );
      expect(body.errors).toBeUndefined();
    } finally {
      await stack.stop(); // SIGTERM: each process flushes its spans before it exits
      await rm(dataDir, { recursive: true, force: true });
    }
    const traces = received.filter((entry) => entry.startsWith("/v1/traces"));
    expect(traces.length).toBeGreaterThan(0);
    const all = traces.join("\n");
    for (const span of ["gateway.request", "gateway.plan", "gateway.execute", "gateway.fetch"])
      expect(all).toContain(span);
    expect(all).toContain("fa-tracing-test");
  });
});
