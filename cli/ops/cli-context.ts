import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_GATEWAY_URL, credentials } from "../import/args";
import { UsageError } from "../import/errors";
import { GatewayClient, GatewayError } from "../import/gateway-client";

/** What `npm run cli` exits with, for scripts. */
export enum ExitCode {
  /** The command did what it was asked. */
  Ok = 0,
  /** It ran but failed: the gateway refused, a service is not ready, a GraphQL error. */
  Failure = 1,
  /** The command line is wrong (unknown command or option, missing argument). */
  Usage = 2,
  /** The gateway could not be reached at all. */
  Unreachable = 3,
}

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress is redrawn in place). */
  tty: boolean;
}

/** One command: its usage text and how to run it on the arguments after its name. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<ExitCode>;
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  "api-key": { type: "string" },
  email: { type: "string" },
  password: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export const COMMON_USAGE = `Common options:
  --url <url>                   the gateway's GraphQL endpoint (default: env FA_GATEWAY_URL,
                                else ${DEFAULT_GATEWAY_URL})
  --token <accessToken>         a user's access token (or env FA_TOKEN)
  --api-key <secret>            an API key (or env FA_API_KEY)
  --email <email> --password <password>
                                sign in as that user first
  --json                        print JSON instead of a table
  -h, --help                    show this text`;

/** Parses a command's arguments; throws {@link UsageError} for unknown options. */
export function parse<T extends ParseArgsConfig["options"]>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function gatewayUrl(values: { url?: string }, env: NodeJS.ProcessEnv): string {
  return values.url ?? env.FA_GATEWAY_URL ?? DEFAULT_GATEWAY_URL;
}

/** A client for the gateway with the credential given (options, then environment). */
export function clientFor(
  values: { url?: string; token?: string; "api-key"?: string; email?: string; password?: string },
  env: NodeJS.ProcessEnv,
): GatewayClient {
  return new GatewayClient({
    url: gatewayUrl(values, env),
    credentials: credentials(values, env),
    retries: 1,
    retryDelayMs: 200,
    timeoutMs: 30_000,
  });
}

/** Maps what a command threw to an exit code, saying why on stderr. */
export function failure(error: unknown, io: CliIo, usage?: string): ExitCode {
  if (error instanceof UsageError) {
    io.err(`${error.message}\n${usage ? "Run with --help for usage.\n" : ""}`);
    return ExitCode.Usage;
  }
  if (error instanceof GatewayError) {
    io.err(`${error.message}\n`);
    return /reach|ECONNREFUSED|fetch failed/i.test(error.message)
      ? ExitCode.Unreachable
      : ExitCode.Failure;
  }
  io.err(`${(error as Error).message}\n`);
  return ExitCode.Failure;
}

/** Rows as an aligned text table with a header. */
export function table(headers: string[], rows: (string | number | boolean | null)[][]): string {
  const cells = [
    headers,
    ...rows.map((row) => row.map((cell) => (cell === null ? "-" : String(cell)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return `${cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
