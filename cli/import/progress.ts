/** Where progress goes: stderr, or anything with `write` (tests). */
export interface ProgressOutput {
  write(text: string): unknown;
  /** True for a terminal: progress then rewrites one line with `\r`. */
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** What is being imported, e.g. "customers". */
  label: string;
  /** The estimated number of rows, or 0 when unknown. */
  total: number;
  output: ProgressOutput;
  /** The least time between two lines. @default 250 (about 4 a second) */
  minIntervalMs?: number;
  /** For tests. @default Date.now */
  now?: () => number;
}

/**
 * Reports how far an import is: on a terminal one line rewritten in place, elsewhere (a log
 * file, CI) one line per update; at most one line per `minIntervalMs` either way, e.g.
 * `customers: 12,000/50,000 rows (24%) 5,400 rows/s`.
 */
export class ProgressReporter {
  private readonly startedAt: number;
  private lastWrittenAt = -Infinity;
  private lastLength = 0;
  private readonly now: () => number;
  private readonly minIntervalMs: number;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? 250;
    this.startedAt = this.now();
  }

  /** Reports `done` rows, unless the last report was less than `minIntervalMs` ago. */
  update(done: number): void {
    const now = this.now();
    if (now - this.lastWrittenAt < this.minIntervalMs) return;
    this.lastWrittenAt = now;
    this.write(done, now);
  }

  /** Reports the final count whatever the time, and ends the terminal line. */
  finish(done: number): void {
    this.write(done, this.now());
    if (this.options.output.isTTY) this.options.output.write("\n");
  }

  private write(done: number, now: number): void {
    const line = formatProgress(this.options.label, done, this.options.total, now - this.startedAt);
    if (this.options.output.isTTY) {
      // Pad with spaces to wipe what is left of a longer previous line.
      this.options.output.write(`\r${line.padEnd(this.lastLength)}`);
      this.lastLength = line.length;
    } else {
      this.options.output.write(`${line}\n`);
    }
  }
}

/**
 * One progress line: `customers: 12,000/50,000 rows (24%) 5,400 rows/s`. The total is an
 * estimate, so it never shows below `done` and the percentage stops at 100.
 */
export function formatProgress(
  label: string,
  done: number,
  total: number,
  elapsedMs: number,
): string {
  const shownTotal = Math.max(total, done);
  const percent = shownTotal > 0 ? ` (${Math.floor((done * 100) / shownTotal)}%)` : "";
  const rate = rowsPerSecond(done, elapsedMs);
  return `${label}: ${formatCount(done)}/${formatCount(shownTotal)} rows${percent} ${formatCount(rate)} rows/s`;
}

/** Rows per second over `elapsedMs`, rounded; 0 before any time has passed. */
export function rowsPerSecond(rows: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((rows * 1000) / elapsedMs) : 0;
}

/** A count with thousands separators: 12000 -> "12,000". */
export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}
