import { readFileSync } from "node:fs";
import { childPids } from "./process-tree";

/**
 * A process's resident set size in bytes (`VmRSS` of `/proc/<pid>/status`), or null when it cannot
 * be read.
 */
export function readRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The RSS of a process and its direct children together (a gateway with `GATEWAY_WORKERS` workers:
 * the primary and its workers), in bytes, or null when the process cannot be read.
 */
export function readTreeRssBytes(rootPid: number): number | null {
  const root = readRssBytes(rootPid);
  return root === null
    ? null
    : childPids(rootPid).reduce((total, pid) => total + (readRssBytes(pid) ?? 0), root);
}

/**
 * Samples a process's RSS (with its children's, `tree`) at a fixed interval and keeps the largest
 * value seen.
 */
export class PeakRssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;
  private samples = 0;

  /**
   * @param intervalMs how often to read `/proc/<pid>/status`. @default 250
   * @param tree add the direct children's RSS (see {@link readTreeRssBytes})
   */
  constructor(
    private readonly pid: number,
    private readonly intervalMs = 250,
    private readonly tree = false,
  ) {}

  /** Starts sampling (and takes one sample at once); the peak starts from zero. */
  start(): this {
    this.stop();
    this.peak = 0;
    this.samples = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops sampling, takes a last sample, and returns the peak in bytes. */
  stop(): number {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.sample();
    }
    return this.peak;
  }

  /** The largest RSS seen so far, in bytes. */
  get peakBytes(): number {
    return this.peak;
  }

  /** How many samples were read. */
  get sampleCount(): number {
    return this.samples;
  }

  private sample(): void {
    const rss = this.tree ? readTreeRssBytes(this.pid) : readRssBytes(this.pid);
    if (rss === null) return;
    this.samples++;
    if (rss > this.peak) this.peak = rss;
  }
}

/** Bytes as mebibytes, e.g. `312 MB`. */
export function formatMegabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}
