import type { ImportSummary } from "./import-customers";
import type { RowRejection } from "./import-session";
import type { TransactionsSummary } from "./import-transactions";
import { formatCount } from "./progress";
import { SKIP_REASONS } from "./transaction-rows";

/** How many rejected rows the summary lists; the count covers them all. */
export const LISTED_REJECTIONS = 10;

/**
 * The summary printed when an import finishes: the counts, the time taken, and the first
 * rejected rows as `line <n>: <reason>` (the header is line 1). Ends with a newline.
 */
export function formatSummary(summary: ImportSummary): string {
  const counts: [string, string][] = [
    ["rows read", formatCount(summary.rowsRead)],
    ["created", formatCount(summary.created)],
    ["updated", formatCount(summary.updated)],
    ["unchanged", formatCount(summary.unchanged)],
    ["rejected", formatCount(summary.rejected)],
    ["skipped", formatCount(summary.skipped)],
  ];
  const width = Math.max(...counts.map(([, value]) => value.length));
  const lines = [`Imported customers from ${summary.file}`];
  for (const [label, value] of counts) lines.push(`  ${label.padEnd(10)} ${value.padStart(width)}`);
  lines.push(
    `  ${"elapsed".padEnd(10)} ${formatElapsed(summary.elapsedMs, summary.rowsPerSecond)}`,
  );
  lines.push(...listRejections(summary.rejections, summary.rejected, "rows"));
  return `${lines.join("\n")}\n`;
}

/**
 * The summary of a transactions import: rows, customers, events, skipped rows by reason, the
 * time taken and the first rejections (rows, customers and events) by CSV line.
 */
export function formatTransactionsSummary(summary: TransactionsSummary): string {
  const { customers, events } = summary;
  const skipped = Object.values(SKIP_REASONS).flatMap((reason): [string, number][] =>
    summary.skipped[reason] ? [[reason, summary.skipped[reason]!]] : [],
  );
  const skippedTotal = skipped.reduce((sum, [, count]) => sum + count, 0);
  const rows: [string, number][] = [
    ["rows read", summary.rowsRead],
    ["customers created", customers.created],
    ["customers updated", customers.updated],
    ["customers unchanged", customers.unchanged],
    ["customers rejected", customers.rejected],
    ["events sent (one per invoice)", events.sent],
    ["  purchase (orders)", events.purchases],
    ["  refund (cancellations)", events.refunds],
    ["  rows they hold", events.rows],
    ["events accepted", events.accepted],
    ["events duplicates", events.duplicates],
    ["events rejected", events.rejected],
    ["rows rejected", summary.rowsRejected],
    ["rows skipped", skippedTotal],
    ...skipped.map(([reason, count]): [string, number] => [`  ${reason}`, count]),
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => formatCount(value).length));
  const lines = [`Imported transactions from ${summary.file}`];
  for (const [label, value] of rows)
    lines.push(`  ${label.padEnd(labelWidth)} ${formatCount(value).padStart(valueWidth)}`);
  lines.push(
    `  ${"elapsed".padEnd(labelWidth)} ${formatElapsed(summary.elapsedMs, summary.rowsPerSecond)}`,
  );
  lines.push(...listRejections(summary.rejections, summary.rejected, "rows, customers and events"));
  return `${lines.join("\n")}\n`;
}

function formatElapsed(elapsedMs: number, perSecond: number): string {
  return `${(elapsedMs / 1000).toFixed(1)} s (${formatCount(perSecond)} rows/s)`;
}

function listRejections(rejections: RowRejection[], total: number, noun: string): string[] {
  const listed = rejections.slice(0, LISTED_REJECTIONS);
  if (listed.length === 0) return [];
  const heading =
    total > listed.length
      ? `The first ${listed.length} of ${formatCount(total)} rejected ${noun}:`
      : `Rejected ${noun}:`;
  return [heading, ...listed.map((rejection) => `  line ${rejection.line}: ${rejection.reason}`)];
}
