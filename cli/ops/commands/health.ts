import {
  ExitCode,
  failure,
  gatewayUrl,
  parse,
  table,
  COMMON_USAGE,
  type CliCommand,
} from "../cli-context";

const USAGE = `Usage: npm run cli -- health [--url <url>] [--json]

Asks the gateway's /ready, which asks every subgraph's /ready (each checks its database), and
prints each service's state. Exits 0 when all are ready, 1 when one is not, 3 when the gateway
cannot be reached. Needs no credential.

${COMMON_USAGE}`;

export const health: CliCommand = {
  name: "health",
  summary: "every service's readiness (the gateway's /ready)",
  usage: USAGE,
  async run(args, io) {
    try {
      const { values } = parse(args, {});
      if (values.help) {
        io.out(`${USAGE}\n`);
        return ExitCode.Ok;
      }
      const base = gatewayUrl(values, io.env).replace(/\/graphql\/?$/, "");
      let response: Response;
      try {
        response = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(10_000) });
      } catch (error) {
        io.err(`The gateway at ${base} cannot be reached: ${(error as Error).message}\n`);
        return ExitCode.Unreachable;
      }
      const body = (await response.json().catch(() => ({}))) as {
        ready?: boolean;
        dependencies?: Record<string, string>;
      };
      const services = {
        gateway: response.ok ? "ok" : `not ready (HTTP ${response.status})`,
        ...body.dependencies,
      };
      if (values.json) io.out(`${JSON.stringify({ ready: response.ok, services }, null, 2)}\n`);
      else io.out(table(["service", "state"], Object.entries(services)));
      return response.ok ? ExitCode.Ok : ExitCode.Failure;
    } catch (error) {
      return failure(error, io, USAGE);
    }
  },
};
