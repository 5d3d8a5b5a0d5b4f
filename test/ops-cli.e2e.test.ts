import { spawnSync } from "node:child_process";
import path from "node:path";
import { runCli } from "../cli/ops/cli";
import { ExitCode } from "../cli/ops/cli-context";
import { useSupergraph } from "./support/supergraph";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver";

// `npm run cli`: every command end to end against a test supergraph, with its exit code.
const supergraph = useSupergraph({
  owner: true,
  env: { ALERT_WEBHOOK_ALLOW_PRIVATE: "true" },
});
let hook: WebhookReceiver;
beforeAll(async () => {
  hook = await startWebhookReceiver();
});
afterAll(() => hook.close());

async function cli(...argv: string[]): Promise<{ code: ExitCode; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    out: (text) => (out += text),
    err: (text) => (err += text),
    env: { FA_GATEWAY_URL: supergraph.stack.gateway.url, FA_TOKEN: supergraph.owner.accessToken },
    tty: false,
  });
  return { code, out, err };
}

describe("npm run cli", () => {
  it("health: every service ready, as a table or JSON", async () => {
    const table = await cli("health");
    expect(table.code).toBe(ExitCode.Ok);
    expect(table.out.split("\n")[0]).toMatch(/^service\s+state$/);
    for (const service of ["gateway", "users", "customers", "analytics"])
      expect(table.out).toMatch(new RegExp(`^${service}\\s+ok$`, "m"));
    const json = JSON.parse((await cli("health", "--json")).out);
    expect(json).toEqual({
      ready: true,
      services: { gateway: "ok", users: "ok", customers: "ok", analytics: "ok" },
    });
  });

  it("health: exit 3 when the gateway cannot be reached", async () => {
    const { code, err } = await cli("health", "--url", "http://127.0.0.1:9/graphql");
    expect(code).toBe(ExitCode.Unreachable);
    expect(err).toContain("cannot be reached");
  });

  it("events send: sends the events with progress, and they are stored", async () => {
    const { code, out, err } = await cli(
      "events",
      "send",
      "--type",
      "cli_test",
      "--count",
      "1200",
      "--json",
    );
    expect(code).toBe(ExitCode.Ok);
    expect(JSON.parse(out)).toMatchObject({
      sent: 1200,
      accepted: 1200,
      duplicates: 0,
      rejected: 0,
    });
    expect(err).toContain("sent 500/1200 (42%)");
    expect(err).toContain("sent 1200/1200 (100%)");
    const [{ count }] = await supergraph.sql(
      "analytics",
      `SELECT count(*)::int AS count FROM events WHERE organization_id = $1 AND type = 'cli_test'`,
      [supergraph.owner.organizationId],
    );
    expect(count).toBe(1200);
    const rated = await cli("events", "send", "--type", "cli_rate", "--count", "6", "--rate", "20");
    expect(rated.code).toBe(ExitCode.Ok);
    expect(rated.out).toMatch(/^6 accepted, 0 duplicates, 0 rejected in 0\.\d s\n$/);
  });

  it("query: prints data, exit 1 on GraphQL errors, 2 on bad variables", async () => {
    const ok = await cli(
      "query",
      "query($n: Int!) { alerts(first: $n) { id } }",
      "--variables",
      '{"n": 5}',
    );
    expect(ok.code).toBe(ExitCode.Ok);
    expect(JSON.parse(ok.out)).toEqual({ alerts: [] });
    const bad = await cli("query", "{ nope }");
    expect(bad.code).toBe(ExitCode.Failure);
    expect(bad.err).toContain("nope");
    const usage = await cli("query", "{ me { id } }", "--variables", "[1]");
    expect(usage.code).toBe(ExitCode.Usage);
  });

  it("channels list and alerts list, ack, resolve, silence", async () => {
    const token = supergraph.owner.accessToken;
    const created = await supergraph.request(
      `mutation($url: String!) { createNotificationChannel(input: { kind: WEBHOOK, name: "cli-hook", url: $url }) { channel { id } } }`,
      { token, variables: { url: hook.url } },
    );
    const channelId = created.body.data!.createNotificationChannel.channel.id;
    const channels = await cli("channels", "list");
    expect(channels.code).toBe(ExitCode.Ok);
    expect(channels.out).toMatch(new RegExp(`^${channelId}\\s+WEBHOOK\\s+cli-hook\\s+\\S+$`, "m"));
    expect(JSON.parse((await cli("channels", "list", "--json")).out)).toEqual([
      { id: channelId, kind: "WEBHOOK", name: "cli-hook", createdAt: expect.any(String) },
    ]);

    const rule = await supergraph.request(
      `mutation($c: [ID!]) { createAlertRule(input: { name: "cli rule", metric: "events", condition: ABOVE, threshold: 0, windowMinutes: 5, channelIds: $c }) { id } }`,
      { token, variables: { c: [channelId] } },
    );
    const ruleId = rule.body.data!.createAlertRule.id;
    await cli("events", "send", "--type", "page_view", "--count", "1");
    let listed: any[] = [];
    for (let i = 0; i < 50 && listed.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      listed = JSON.parse((await cli("alerts", "list", "--json")).out);
    }
    expect(listed).toHaveLength(1);
    const alertId = listed[0].id;
    const text = await cli("alerts", "list", "--status", "firing");
    expect(text.out.split("\n")[0]).toMatch(
      /^id\s+status\s+rule\s+metric\s+value\s+triggered\s+delivered$/,
    );
    expect(text.out).toContain(`${alertId}  FIRING  cli rule  events`);

    const acked = await cli("alerts", "ack", alertId);
    expect(acked).toMatchObject({ code: ExitCode.Ok, out: `${alertId} is ACKNOWLEDGED\n` });
    const resolved = await cli("alerts", "resolve", alertId, "--json");
    expect(JSON.parse(resolved.out).status).toBe("RESOLVED");
    const again = await cli("alerts", "ack", alertId);
    expect(again.code).toBe(ExitCode.Failure);
    expect(again.err).toContain("BAD_USER_INPUT");

    const silenced = await cli("alerts", "silence", ruleId, "--until", "2h", "--json");
    expect(silenced.code).toBe(ExitCode.Ok);
    const until = new Date(JSON.parse(silenced.out).silencedUntil).getTime();
    expect(Math.abs(until - (Date.now() + 7_200_000))).toBeLessThan(60_000);
    const missing = await cli("alerts", "ack", "00000000-0000-4000-8000-000000000000");
    expect(missing.code).toBe(ExitCode.Failure);
    expect(missing.err).toContain("NOT_FOUND");
  });

  it("says how to use each command, and exits 2 on a wrong command line", async () => {
    for (const argv of [["health"], ["events", "send"], ["query"], ["alerts"], ["channels"]]) {
      const help = await cli(...argv, "--help");
      expect(help.code).toBe(ExitCode.Ok);
      expect(help.out).toMatch(/^Usage: npm run cli -- /);
    }
    for (const argv of [
      [],
      ["nope"],
      ["events", "send", "--type", "x"],
      ["events", "send", "--count", "2"],
      ["alerts", "snooze"],
      ["alerts", "silence", "some-id"],
      ["health", "--bogus"],
      ["channels"],
    ]) {
      const run = await cli(...argv);
      expect({ argv, code: run.code }).toEqual({ argv, code: ExitCode.Usage });
    }
    const noCredential = await runCli(["channels", "list"], {
      out: () => undefined,
      err: () => undefined,
      env: { FA_GATEWAY_URL: supergraph.stack.gateway.url },
      tty: false,
    });
    expect(noCredential).toBe(ExitCode.Usage);
  });

  it("exits with the code as a process (npm test builds dist)", () => {
    const run = spawnSync(
      process.execPath,
      [path.join(__dirname, "../dist/cli/ops/main.js"), "alerts", "nope"],
      {
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown alerts action 'nope'");
  });
});
