// `npm run seed -- --customers N --events M [--seed S] [import credentials and --url]`
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseCliArgs } from "../import/args";
import { UsageError } from "../import/errors";
import { writeTransactionsCsv } from "./generate-transactions";
import { importTransactions } from "../import/import-transactions";
import { formatTransactionsSummary } from "../import/summary";

export const SEED_USAGE = `Usage: npm run seed -- --customers <N> --events <M> [--seed <S>] [options]

Generates realistic retail data (customers in 30 countries; invoices of 1 to 40 lines over the
past year, with cancellations as refunds; a few heavy buyers and many occasional ones), seeded,
and loads it through the gateway like \`npm run import -- transactions\`: customers created by
externalId, one purchase (or refund) event per invoice. Running it again with the same seed stores nothing twice.

  --customers <N>    the customer pool (default 4000): as many of them buy as the invoices reach
  --events <M>       sales lines (default 50000), about M / 20 invoices, so as many events
  --seed <S>         a different data set per seed (default 1)

Credentials and --url as for \`npm run import\` (default: the demo ADMIN, admin@acme.test, of
\`npm start\`'s demo data).`;

/** What `npm run seed` was asked for. */
export interface SeedArguments {
  customers: number;
  events: number;
  seed: number;
  /** The rest, passed on to the transactions import (credentials, --url, --quiet). */
  importArgs: string[];
}

/**
 * Reads the seed's own options; the others are the importer's. Throws a UsageError for bad values.
 */
export function parseSeedArgs(argv: string[]): SeedArguments | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const own: Record<string, number> = { customers: 4_000, events: 50_000, seed: 1 };
  const importArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, "");
    if (argv[i].startsWith("--") && name in own) {
      const value = argv[++i];
      if (!value || !/^\d+$/.test(value) || Number(value) < 1)
        throw new UsageError(`--${name} takes a positive whole number, got '${value ?? ""}'.`);
      own[name] = Number(value);
    } else {
      importArgs.push(argv[i]);
    }
  }
  if (own.customers > own.events)
    throw new UsageError(
      `--customers (${own.customers}) cannot exceed --events (${own.events}): every customer needs a purchase.`,
    );
  return { customers: own.customers, events: own.events, seed: own.seed, importArgs };
}

/** Runs the seed; resolves the exit status (0 done, 1 failed, 2 wrong command line). */
export async function runSeed(
  argv: string[],
  io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let dir: string | undefined;
  try {
    const parsed = parseSeedArgs(argv);
    if (parsed === "help") {
      io.stdout.write(`${SEED_USAGE}\n`);
      return 0;
    }
    const hasCredentials =
      parsed.importArgs.some((arg) => ["--token", "--api-key", "--email"].includes(arg)) ||
      io.env.FA_TOKEN ||
      io.env.FA_API_KEY;
    const credentials = hasCredentials
      ? []
      : ["--email", "admin@acme.test", "--password", "demo-password"];
    dir = await mkdtemp(path.join(os.tmpdir(), "federated-analytics-seed-"));
    const file = path.join(dir, "transactions.csv");
    io.stderr.write(
      `seed: generating ${parsed.events.toLocaleString("en-US")} sales lines for ${parsed.customers.toLocaleString("en-US")} customers (seed ${parsed.seed})\n`,
    );
    await writeTransactionsCsv(file, {
      lines: parsed.events,
      customers: parsed.customers,
      seed: parsed.seed,
    });
    const command = parseCliArgs(
      ["transactions", file, ...credentials, ...parsed.importArgs],
      io.env,
    );
    if (command.kind !== "transactions") throw new UsageError("unexpected command");
    io.stdout.write(
      formatTransactionsSummary(
        await importTransactions({ ...command.options, progressOutput: io.stderr }),
      ),
    );
    return 0;
  } catch (error) {
    io.stderr.write(`seed: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runSeed(process.argv.slice(2)).then((status) => process.exit(status));
}
