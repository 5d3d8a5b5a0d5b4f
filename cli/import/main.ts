// `npm run import -- customers|transactions <file.csv> [options]`: see USAGE in args.ts.
import { parseCliArgs, USAGE } from "./args";
import { ImportError, UsageError } from "./errors";
import { importCustomers } from "./import-customers";
import { importTransactions } from "./import-transactions";
import { formatSummary, formatTransactionsSummary } from "./summary";

/** Exit statuses: finished (even with rejected rows), failed, wrong command line. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Where the CLI writes; the process's own streams, or buffers in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * Runs the import the arguments ask for: the summary goes to stdout, progress and errors to
 * stderr. Resolves the exit status ({@link EXIT_OK}, {@link EXIT_FAILED}, {@link EXIT_USAGE});
 * never throws.
 */
export async function runCli(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  try {
    const command = parseCliArgs(argv, io.env);
    if (command.kind === "help") {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (command.kind === "transactions") {
      io.stdout.write(
        formatTransactionsSummary(
          await importTransactions({ ...command.options, progressOutput: io.stderr }),
        ),
      );
    } else {
      io.stdout.write(
        formatSummary(await importCustomers({ ...command.options, progressOutput: io.stderr })),
      );
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\nRun with --help for the options.\n`);
      return EXIT_USAGE;
    }
    // Start a new line if the progress line on a terminal was left open.
    const newLine = io.stderr.isTTY ? "\n" : "";
    if (error instanceof ImportError) {
      io.stderr.write(`${newLine}Import stopped: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr.write(
      `${newLine}Import failed unexpectedly: ${(error as Error)?.stack ?? String(error)}\n`,
    );
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
