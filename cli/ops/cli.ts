import { alerts } from "./commands/alerts";
import { channels } from "./commands/channels";
import { eventsSend } from "./commands/events-send";
import { health } from "./commands/health";
import { query } from "./commands/query";
import { ExitCode, type CliCommand, type CliIo } from "./cli-context";

const COMMANDS: CliCommand[] = [health, eventsSend, query, alerts, channels];

export const USAGE = `Usage: npm run cli -- <command> [options]   (each command takes --help)

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(12)}  ${command.summary}`).join("\n")}

Exit codes: 0 ok, 1 failure (refused, not ready, GraphQL errors), 2 usage (a wrong command line),
3 the gateway cannot be reached.`;

/** Runs the command line (the arguments after `npm run cli --`); resolves the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  const [first, second, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    (first === undefined ? io.err : io.out)(`${USAGE}\n`);
    return first === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (first === "events") {
    if (second === "send") return eventsSend.run(rest, io);
    io.err(`Unknown events command '${second ?? ""}': use 'events send'.\n`);
    return ExitCode.Usage;
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (!command) {
    io.err(`Unknown command '${first}'.\n\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  return command.run(argv.slice(1), io);
}
