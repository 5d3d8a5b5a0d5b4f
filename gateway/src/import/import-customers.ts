import { access, constants, stat } from "node:fs/promises";
import { resolveColumns, toCustomerInput, describeMapping, type ColumnMapping, type CustomerInput, type MappingOptions } from "./column-mapping";
import { estimateDataRows } from "./count-rows";
import { readCsv } from "./csv-reader";
import { ImportError, UsageError } from "./errors";
import { GatewayClient, GatewayError, type Credentials } from "./gateway-client";
import { ProgressReporter, rowsPerSecond, type ProgressOutput } from "./progress";

export interface ImportCustomersOptions {
  /** The CSV file; its first line is the header. */
  file: string;
  /** The gateway's GraphQL endpoint. */
  url: string;
  credentials: Credentials;
  columns: MappingOptions;
  /** Rows per `upsertCustomers` call, 1 to 5,000. */
  batchSize: number;
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
  /** The customer field at fault, when one is. */
  field: string | null;
  reason: string;
}

/** What an import did. rowsRead = created + updated + unchanged + rejected + skipped. */
export interface ImportSummary {
  file: string;
  rowsRead: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Rows refused, here (a value that cannot be sent) or by the server (e.g. a bad email). */
  rejected: number;
  /** Rows whose every cell is empty. */
  skipped: number;
  elapsedMs: number;
  rowsPerSecond: number;
  /** The first {@link MAX_KEPT_REJECTIONS} rejections in file order; `rejected` counts them all. */
  rejections: RowRejection[];
}

/** How many rejections an import keeps in its summary, so a file of bad rows cannot exhaust memory. */
export const MAX_KEPT_REJECTIONS = 1_000;

const UPSERT_CUSTOMERS = `mutation UpsertCustomers($input: [CustomerInput!]!) {
  upsertCustomers(input: $input) { created updated unchanged rejected { index reason field } }
}`;

interface UpsertCustomersResult {
  created: number;
  updated: number;
  unchanged: number;
  rejected: { index: number; reason: string; field: string | null }[];
}

/** The rows read since the last call, with where each starts in the file. */
interface PendingBatch {
  rows: { line: number; input: CustomerInput }[];
  rejections: RowRejection[];
}

/**
 * Imports customers from a CSV file through the gateway's `upsertCustomers` mutation, streaming
 * the file and sending one batch at a time (reading waits while a batch is in flight). Rows are
 * keyed by externalId, so running it again only writes what changed. Resolves what it did, with
 * rejected rows by CSV line. Throws a {@link UsageError} for a file that cannot be read or
 * columns that do not fit, and an {@link ImportError} when the gateway refuses a batch (bad
 * credentials, missing permission) or stays unreachable; the batches before it stay stored.
 */
export async function importCustomers(options: ImportCustomersOptions): Promise<ImportSummary> {
  const startedAt = Date.now();
  const output = options.progressOutput ?? process.stderr;
  const say = (text: string) => {
    if (!options.quiet) output.write(`${text}\n`);
  };
  await assertReadableFile(options.file);

  const client = new GatewayClient({
    url: options.url,
    credentials: options.credentials,
    fetch: options.fetch,
    onRetry: (attempt, reason) => say(`${output.isTTY ? "\n" : ""}${reason}; retrying (${attempt} of 3)`),
  });
  try {
    await client.authenticate();
  } catch (error) {
    throw error instanceof GatewayError ? new ImportError(`Signing in failed: ${error.message}`, { cause: error }) : error;
  }

  const progress = options.quiet ? undefined : new ProgressReporter({ label: "customers", total: await estimateDataRows(options.file), output });
  const summary: ImportSummary = {
    file: options.file,
    rowsRead: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    skipped: 0,
    elapsedMs: 0,
    rowsPerSecond: 0,
    rejections: [],
  };

  let mapping: ColumnMapping | undefined;
  let batch: PendingBatch = { rows: [], rejections: [] };
  for await (const item of readCsv(options.file, options.delimiter)) {
    if (item.kind === "header") {
      mapping = resolveColumns(item.columns, options.columns);
      say(describeMapping(mapping));
      continue;
    }
    summary.rowsRead++;
    const result = toCustomerInput(item.values, mapping!);
    if (result.kind === "skipped") summary.skipped++;
    else if (result.kind === "rejected") batch.rejections.push({ line: item.line, field: result.field, reason: result.reason });
    else batch.rows.push({ line: item.line, input: result.input });

    if (batch.rows.length >= options.batchSize) {
      await sendBatch(client, batch, summary);
      batch = { rows: [], rejections: [] };
      progress?.update(summary.rowsRead);
    }
  }
  if (!mapping) throw new ImportError(`${options.file} is empty: its first line must be the header.`);
  await sendBatch(client, batch, summary);
  progress?.finish(summary.rowsRead);

  summary.elapsedMs = Date.now() - startedAt;
  summary.rowsPerSecond = rowsPerSecond(summary.rowsRead, summary.elapsedMs);
  return summary;
}

/** Sends the batch's rows (if any) and adds the outcome, and the batch's rejections in line order, to `summary`. */
async function sendBatch(client: GatewayClient, batch: PendingBatch, summary: ImportSummary): Promise<void> {
  const rejections = [...batch.rejections];
  if (batch.rows.length > 0) {
    let result: UpsertCustomersResult;
    try {
      const data = await client.request<{ upsertCustomers: UpsertCustomersResult }>(UPSERT_CUSTOMERS, { input: batch.rows.map((row) => row.input) });
      result = data.upsertCustomers;
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      throw new ImportError(
        `The batch starting on line ${batch.rows[0].line} failed: ${error.message}\n` +
          "The batches before it are stored; running the import again is safe.",
        { cause: error },
      );
    }
    summary.created += result.created;
    summary.updated += result.updated;
    summary.unchanged += result.unchanged;
    for (const rejected of result.rejected) {
      rejections.push({ line: batch.rows[rejected.index].line, field: rejected.field, reason: rejected.reason });
    }
  }
  rejections.sort((a, b) => a.line - b.line);
  summary.rejected += rejections.length;
  const room = MAX_KEPT_REJECTIONS - summary.rejections.length;
  summary.rejections.push(...rejections.slice(0, Math.max(0, room)));
}

/** Throws a {@link UsageError} unless `file` is a readable regular file. */
async function assertReadableFile(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
    if (!(await stat(file)).isFile()) throw new UsageError(`${file} is not a file.`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: string }).code;
    throw new UsageError(code === "ENOENT" ? `${file}: no such file.` : `${file} cannot be read (${code ?? (error as Error).message}).`);
  }
}
