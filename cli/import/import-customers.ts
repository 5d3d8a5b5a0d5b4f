import {
  resolveColumns,
  toCustomerInput,
  describeMapping,
  type ColumnMapping,
  type CustomerInput,
  type MappingOptions,
} from "./column-mapping";
import { readCsv } from "./csv-reader";
import { ImportError } from "./errors";
import type { GatewayClient } from "./gateway-client";
import {
  batchFailed,
  ImportSession,
  RejectionLog,
  type CommonImportOptions,
  type RowRejection,
} from "./import-session";
import { rowsPerSecond } from "./progress";

export { MAX_KEPT_REJECTIONS, type RowRejection } from "./import-session";

export interface ImportCustomersOptions extends CommonImportOptions {
  columns: MappingOptions;
  /** Rows per `upsertCustomers` call, 1 to 5,000. */
  batchSize: number;
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

/** The bulk upsert both the customers and the transactions imports send. */
export const UPSERT_CUSTOMERS = `mutation UpsertCustomers($input: [CustomerInput!]!) {
  upsertCustomers(input: $input) { created updated unchanged rejected { index reason field } }
}`;

export interface UpsertCustomersResult {
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
  const session = await ImportSession.open(options);
  const progress = await session.progress("customers");
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
  const rejections = new RejectionLog();

  let mapping: ColumnMapping | undefined;
  let batch: PendingBatch = { rows: [], rejections: [] };
  for await (const item of readCsv(options.file, options.delimiter)) {
    if (item.kind === "header") {
      mapping = resolveColumns(item.columns, options.columns);
      session.say(describeMapping(mapping));
      continue;
    }
    summary.rowsRead++;
    const result = toCustomerInput(item.values, mapping!);
    if (result.kind === "skipped") summary.skipped++;
    else if (result.kind === "rejected")
      batch.rejections.push({ line: item.line, field: result.field, reason: result.reason });
    else batch.rows.push({ line: item.line, input: result.input });

    if (batch.rows.length >= options.batchSize) {
      await sendBatch(session.client, batch, summary, rejections);
      batch = { rows: [], rejections: [] };
      progress?.update(summary.rowsRead);
    }
  }
  if (!mapping)
    throw new ImportError(`${options.file} is empty: its first line must be the header.`);
  await sendBatch(session.client, batch, summary, rejections);
  progress?.finish(summary.rowsRead);

  summary.rejected = rejections.count;
  summary.rejections = rejections.kept;
  summary.elapsedMs = session.elapsedMs();
  summary.rowsPerSecond = rowsPerSecond(summary.rowsRead, summary.elapsedMs);
  return summary;
}

/**
 * Sends the batch's rows (if any) and adds the outcome to `summary`, the batch's rejections to
 * `log`.
 */
async function sendBatch(
  client: GatewayClient,
  batch: PendingBatch,
  summary: ImportSummary,
  log: RejectionLog,
): Promise<void> {
  const rejections = [...batch.rejections];
  if (batch.rows.length > 0) {
    let result: UpsertCustomersResult;
    try {
      const data = await client.request<{ upsertCustomers: UpsertCustomersResult }>(
        UPSERT_CUSTOMERS,
        { input: batch.rows.map((row) => row.input) },
      );
      result = data.upsertCustomers;
    } catch (error) {
      throw batchFailed(`The batch starting on line ${batch.rows[0].line}`, error);
    }
    summary.created += result.created;
    summary.updated += result.updated;
    summary.unchanged += result.unchanged;
    for (const rejected of result.rejected) {
      rejections.push({
        line: batch.rows[rejected.index].line,
        field: rejected.field,
        reason: rejected.reason,
      });
    }
  }
  log.add(rejections);
}
