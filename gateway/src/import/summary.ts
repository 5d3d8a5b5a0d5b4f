import type { ImportSummary } from "./import-customers";
import { formatCount } from "./progress";

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
  lines.push(`  ${"elapsed".padEnd(10)} ${(summary.elapsedMs / 1000).toFixed(1)} s (${formatCount(summary.rowsPerSecond)} rows/s)`);

  const listed = summary.rejections.slice(0, LISTED_REJECTIONS);
  if (listed.length > 0) {
    lines.push(summary.rejected > listed.length ? `The first ${listed.length} of ${formatCount(summary.rejected)} rejected rows:` : "Rejected rows:");
    for (const rejection of listed) lines.push(`  line ${rejection.line}: ${rejection.reason}`);
  }
  return `${lines.join("\n")}\n`;
}
