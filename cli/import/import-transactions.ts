import { readCsv } from "./csv-reader";
import { ImportError } from "./errors";
import {
  batchFailed,
  ImportSession,
  RejectionLog,
  type CommonImportOptions,
  type RowRejection,
} from "./import-session";
import { rowsPerSecond } from "./progress";
import {
  describeTransactionColumns,
  resolveTransactionColumns,
  type TransactionColumns,
  type TransactionField,
} from "./transaction-columns";
import {
  CustomerDirectory,
  MAX_CUSTOMER_BATCH,
  type CustomerCounts,
} from "./transaction-customers";
import { OrderGrouping, type EventInput, type PendingEvent } from "./transaction-events";
import {
  SKIP_REASONS,
  TransactionRowReader,
  type DateFormat,
  type RowOutcome,
  type SkipReason,
} from "./transaction-rows";

/** The most events one `trackEvents` call of this import holds (the server takes 10,000). */
export const MAX_EVENT_BATCH = 5_000;
/** How many `trackEvents` calls are under way at once by default. */
export const DEFAULT_EVENT_REQUESTS_IN_FLIGHT = 2;

export interface ImportTransactionsOptions extends CommonImportOptions {
  /** `--map field=Column`: columns chosen on the command line; the others are detected. */
  columns: Partial<Record<TransactionField, string>>;
  dateFormat: DateFormat;
  /** The IANA zone of dates without an offset. */
  timezone: string;
  /** Events per `trackEvents` call, 1 to {@link MAX_EVENT_BATCH}. */
  batchSize: number;
  /** Customers per batch, 1 to 1,000. @default 1000 */
  customerBatchSize?: number;
  /**
   * How many `trackEvents` calls may be under way at once: with 2 the server parses one batch
   * while PostgreSQL stores the other. Each is sent after the customers it refers to. @default 2
   */
  eventRequestsInFlight?: number;
}

export interface EventCounts {
  /** Events sent (one per invoice and customer): accepted + duplicates + rejected. */
  sent: number;
  /** The CSV rows the events sent stand for. */
  rows: number;
  /** Orders (purchase events) sent and not rejected. */
  purchases: number;
  /** Cancellation invoices (refund events) sent and not rejected. */
  refunds: number;
  /** Stored now. */
  accepted: number;
  /** Already stored (by an earlier import of the same rows). */
  duplicates: number;
  rejected: number;
}

/** What a transactions import did. */
export interface TransactionsSummary {
  file: string;
  rowsRead: number;
  customers: CustomerCounts;
  events: EventCounts;
  /** Rows that sent nothing, by reason; they are not errors. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Rows whose values cannot be read (no invoice number, a date or number that does not parse). */
  rowsRejected: number;
  /** Every rejection: rows, customers and events. */
  rejected: number;
  /** The first {@link MAX_KEPT_REJECTIONS} rejections, by CSV line. */
  rejections: RowRejection[];
  elapsedMs: number;
  rowsPerSecond: number;
}

const TRACK_EVENTS = `mutation TrackEvents($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`;

interface TrackEventsResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; reason: string }[];
}

/**
 * Imports sales lines (the UCI "Online Retail" layout, or any other through `columns`) as orders:
 * one `purchase` event per invoice and customer (a `refund` for a cancellation invoice), worth
 * the sum of its lines, with the lines in its properties (see {@link OrderGrouping}), through the
 * gateway, creating their customers first. Reads the file twice: first to learn on which line
 * each invoice ends (a map of invoice numbers), then to send. Streams it: customers go in batches
 * of up to 1,000 and an events batch is sent only once every customer it refers to has its id; up
 * to two events batches are in flight while the next is read (reading waits for the oldest beyond
 * that, so memory stays flat but for the invoices whose last line is still to come).
 * Event ids are derived from invoice numbers, so importing the same file again stores nothing
 * twice. Throws a {@link UsageError} for an unreadable file or columns that do not fit, and an
 * {@link ImportError} when the gateway refuses a request; what was sent before stays stored.
 */
export async function importTransactions(
  options: ImportTransactionsOptions,
): Promise<TransactionsSummary> {
  const session = await ImportSession.open(options);
  const lastLines = await lastLineOfInvoices(options);
  const progress = await session.progress("transactions");
  const run = new TransactionsRun(session, options, lastLines);

  let reader: TransactionRowReader | undefined;
  for await (const item of readCsv(options.file, options.delimiter)) {
    if (item.kind === "header") {
      const columns: TransactionColumns = resolveTransactionColumns(item.columns, options.columns);
      session.say(describeTransactionColumns(columns, item.columns));
      reader = new TransactionRowReader(columns, options);
      continue;
    }
    await run.row(reader!.read(item.values, item.line), item.line);
    if (run.summary.rowsRead % 1_000 === 0) progress?.update(run.summary.rowsRead);
  }
  if (!reader)
    throw new ImportError(`${options.file} is empty: its first line must be the header.`);
  await run.finish();
  progress?.finish(run.summary.rowsRead);

  const { summary } = run;
  summary.elapsedMs = session.elapsedMs();
  summary.rowsPerSecond = rowsPerSecond(summary.rowsRead, summary.elapsedMs);
  return summary;
}

/**
 * The CSV line of each invoice's last row that becomes part of an order (read as the import
 * reads rows), so that an order is sent once all of its lines are read, wherever they are in the
 * file. Empty for a file without a header (the import then says so).
 */
export async function lastLineOfInvoices(
  options: Pick<
    ImportTransactionsOptions,
    "file" | "delimiter" | "columns" | "dateFormat" | "timezone"
  >,
): Promise<Map<string, number>> {
  const lastLines = new Map<string, number>();
  let reader: TransactionRowReader | undefined;
  for await (const item of readCsv(options.file, options.delimiter)) {
    if (item.kind === "header") {
      reader = new TransactionRowReader(
        resolveTransactionColumns(item.columns, options.columns),
        options,
      );
      continue;
    }
    const outcome = reader!.read(item.values, item.line);
    if (outcome.kind === "line") lastLines.set(outcome.line.invoice, outcome.line.line);
  }
  return lastLines;
}

/** The state of one import between rows. */
class TransactionsRun {
  readonly summary: TransactionsSummary;
  private readonly customers: CustomerDirectory;
  private readonly grouping: OrderGrouping;
  private readonly rejections = new RejectionLog();
  private events: PendingEvent[] = [];
  /**
   * The events batches being sent, oldest first; they never reject (a failure is kept in
   * `failure`).
   */
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown;

  constructor(
    private readonly session: ImportSession,
    private readonly options: ImportTransactionsOptions,
    lastLines: ReadonlyMap<string, number>,
  ) {
    this.customers = new CustomerDirectory(
      session.client,
      Math.min(options.customerBatchSize ?? MAX_CUSTOMER_BATCH, MAX_CUSTOMER_BATCH),
    );
    this.grouping = new OrderGrouping(lastLines);
    this.summary = {
      file: options.file,
      rowsRead: 0,
      customers: this.customers.counts,
      events: {
        sent: 0,
        rows: 0,
        purchases: 0,
        refunds: 0,
        accepted: 0,
        duplicates: 0,
        rejected: 0,
      },
      skipped: {},
      rowsRejected: 0,
      rejected: 0,
      rejections: [],
      elapsedMs: 0,
      rowsPerSecond: 0,
    };
  }

  async row(outcome: RowOutcome, csvLine: number): Promise<void> {
    this.summary.rowsRead++;
    if (outcome.kind === "skipped") return this.skip(outcome.reason, 1);
    if (outcome.kind === "rejected") {
      this.summary.rowsRejected++;
      return this.rejections.add([{ line: csvLine, field: outcome.field, reason: outcome.reason }]);
    }
    const { line } = outcome;
    if (
      this.customers.add({
        externalId: line.customer,
        line: line.line,
        name: line.customerName,
        location: line.country,
      })
    )
      await this.flushCustomers();
    for (const event of this.grouping.add(line)) await this.queue(event);
  }

  async finish(): Promise<void> {
    for (const event of this.grouping.finish()) await this.queue(event);
    await this.sendEvents();
    await this.settle(0);
    this.summary.rejected = this.rejections.count;
    // Customers and events are refused after later rows were read: list them all by line.
    this.summary.rejections = [...this.rejections.kept].sort((a, b) => a.line - b.line);
  }

  private skip(reason: SkipReason, rows: number): void {
    this.summary.skipped[reason] = (this.summary.skipped[reason] ?? 0) + rows;
  }

  private async queue(event: PendingEvent): Promise<void> {
    this.events.push(event);
    if (this.events.length >= this.options.batchSize) await this.sendEvents();
  }

  private async flushCustomers(): Promise<void> {
    this.rejections.add(await this.customers.flush());
  }

  /**
   * Starts sending the queued events: first the customers they may refer to, then (once fewer
   * than `eventRequestsInFlight` events batches are under way) this batch, without waiting for its
   * answer.
   */
  private async sendEvents(): Promise<void> {
    if (this.customers.pendingCount > 0) await this.flushCustomers();
    const pending = this.events;
    this.events = [];
    const batch: { event: PendingEvent; input: EventInput }[] = [];
    for (const event of pending) {
      const customerId = this.customers.idOf(event.customer);
      if (customerId === undefined) {
        // Its customer was refused (reported on the customer's first line).
        this.skip(SKIP_REASONS.customerRejected, event.rows);
        continue;
      }
      batch.push({ event, input: { ...event.input, customerId } });
    }
    await this.settle(
      Math.max(1, this.options.eventRequestsInFlight ?? DEFAULT_EVENT_REQUESTS_IN_FLIGHT) - 1,
    );
    if (batch.length === 0) return;
    this.inFlight.push(
      this.track(batch).catch((error: unknown) => {
        this.failure ??= error;
      }),
    );
  }

  /** Waits until at most `left` events batches are under way, and throws the first failure. */
  private async settle(left: number): Promise<void> {
    while (this.inFlight.length > left) await this.inFlight.shift();
    if (this.failure !== undefined) throw this.failure;
  }

  private async track(batch: { event: PendingEvent; input: EventInput }[]): Promise<void> {
    let result: TrackEventsResult;
    try {
      result = (
        await this.session.client.request<{ trackEvents: TrackEventsResult }>(TRACK_EVENTS, {
          events: batch.map((item) => item.input),
        })
      ).trackEvents;
    } catch (error) {
      throw batchFailed(`The events batch starting on line ${batch[0].event.line}`, error);
    }
    const { events } = this.summary;
    events.sent += batch.length;
    for (const item of batch) events.rows += item.event.rows;
    events.accepted += result.accepted;
    events.duplicates += result.duplicates;
    events.rejected += result.rejected.length;
    const rejected = new Set(result.rejected.map((item) => item.index));
    batch.forEach((item, index) => {
      if (rejected.has(index)) return;
      if (item.input.type === "refund") events.refunds++;
      else events.purchases++;
    });
    this.rejections.add(
      result.rejected.map((item) => ({
        line: batch[item.index].event.line,
        field: null,
        reason: item.reason,
      })),
    );
  }
}
