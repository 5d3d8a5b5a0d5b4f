import { access, constants, stat } from "node:fs/promises";
import { estimateDataRows } from "./count-rows";
import { ImportError, UsageError } from "./errors";
import { GatewayClient, GatewayError, type Credentials } from "./gateway-client";
import { ProgressReporter, type ProgressOutput } from "./progress";

/** What every kind of import is told: which file, which gateway, as whom, and how to report. */
export interface CommonImportOptions {
  /** The CSV file; its first line is the header. */
  file: string;
  /** The gateway's GraphQL endpoint. */
  url: string;
  credentials: Credentials;
  /** The field delimiter, one character. */
  delimiter: string;
  /** No progress, mapping or retry messages. */
  quiet: boolean;
  /** Where progress goes unless `quiet`. @default process.stderr */
  progressOutput?: ProgressOutput;
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A row the import did not store: the CSV line it starts on (the header is line 1) and why. */
export interface RowRejection {
  line: number;
  /** The field at fault, when one is. */
  field: string | null;
  reason: string;
}

/**
 * How many rejections an import keeps in its summary, so a file of bad rows cannot exhaust memory.
 */
export const MAX_KEPT_REJECTIONS = 1_000;

/**
 * Counts rejections and keeps the first {@link MAX_KEPT_REJECTIONS} of them, for the summary.
 * `add` keeps what it is given in line order; callers add in file order.
 */
export class RejectionLog {
  count = 0;
  readonly kept: RowRejection[] = [];

  add(rejections: RowRejection[]): void {
    if (rejections.length === 0) return;
    const sorted = [...rejections].sort((a, b) => a.line - b.line);
    this.count += sorted.length;
    const room = MAX_KEPT_REJECTIONS - this.kept.length;
    if (room > 0) this.kept.push(...sorted.slice(0, room));
  }
}

/**
 * What every import does first and uses throughout: checks the file, signs in through a
 * {@link GatewayClient} that retries transient failures (saying so unless quiet), and reports
 * progress.
 */
export class ImportSession {
  readonly startedAt = Date.now();
  readonly output: ProgressOutput;

  private constructor(
    private readonly options: CommonImportOptions,
    readonly client: GatewayClient,
  ) {
    this.output = options.progressOutput ?? process.stderr;
  }

  /**
   * Checks that the file can be read, then signs in. Throws a {@link UsageError} for a file that
   * cannot be read and an {@link ImportError} when signing in fails.
   */
  static async open(options: CommonImportOptions): Promise<ImportSession> {
    await assertReadableFile(options.file);
    let session: ImportSession | undefined;
    const client = new GatewayClient({
      url: options.url,
      credentials: options.credentials,
      fetch: options.fetch,
      onRetry: (attempt, reason) =>
        session?.say(`${session.output.isTTY ? "\n" : ""}${reason}; retrying (${attempt} of 3)`),
    });
    session = new ImportSession(options, client);
    try {
      await client.authenticate();
    } catch (error) {
      throw error instanceof GatewayError
        ? new ImportError(`Signing in failed: ${error.message}`, { cause: error })
        : error;
    }
    return session;
  }

  /** Writes one line to the progress output, unless quiet. */
  say(text: string): void {
    if (!this.options.quiet) this.output.write(`${text}\n`);
  }

  /** A progress reporter over the file's estimated rows, or undefined when quiet. */
  async progress(label: string): Promise<ProgressReporter | undefined> {
    if (this.options.quiet) return undefined;
    return new ProgressReporter({
      label,
      total: await estimateDataRows(this.options.file),
      output: this.output,
    });
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }
}

/**
 * The {@link ImportError} for a request the gateway refused (or that outlasted the retries):
 * says what failed from which CSV line, and that running the import again is safe. Rethrows
 * anything that is not a {@link GatewayError}.
 */
export function batchFailed(what: string, error: unknown): ImportError {
  if (!(error instanceof GatewayError)) throw error;
  return new ImportError(
    `${what} failed: ${error.message}\nThe batches before it are stored; running the import again is safe.`,
    { cause: error },
  );
}

/** Throws a {@link UsageError} unless `file` is a readable regular file. */
export async function assertReadableFile(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
    if (!(await stat(file)).isFile()) throw new UsageError(`${file} is not a file.`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: string }).code;
    throw new UsageError(
      code === "ENOENT"
        ? `${file}: no such file.`
        : `${file} cannot be read (${code ?? (error as Error).message}).`,
    );
  }
}
