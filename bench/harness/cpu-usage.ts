import { readFileSync } from "node:fs";
import { childPids, statFields } from "./process-tree";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, or null when it is gone. */
export function processCpuSeconds(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : null;
}

/**
 * CPU seconds of a process and its direct children (PostgreSQL: the postmaster and its backends),
 * the children that have already exited included (the root's cutime and cstime: PostgreSQL's
 * parallel workers live for one query).
 */
export function processTreeCpuSeconds(rootPid: number): number {
  const root = statFields(rootPid);
  const own = root
    ? (Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14])) / TICKS_PER_SECOND
    : 0;
  return childPids(rootPid).reduce((total, pid) => total + (processCpuSeconds(pid) ?? 0), own);
}

/** Total busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusyCpuSeconds(): number {
  const { user, nice, system, irq, softirq, steal } = machineTimes();
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/**
 * CPU seconds the hypervisor gave to other virtual machines while this one wanted to run ("steal"
 * of /proc/stat): time the services did not get, however idle this machine looked.
 */
export function machineStolenCpuSeconds(): number {
  return machineTimes().steal / TICKS_PER_SECOND;
}

function machineTimes(): {
  user: number;
  nice: number;
  system: number;
  irq: number;
  softirq: number;
  steal: number;
} {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { user, nice, system, irq, softirq, steal: steal ?? 0 };
}

/**
 * Where CPU time went between {@link startCpuAccounting} and `finish()`: seconds per named process
 * group.
 */
export interface CpuAccounting {
  /**
   * CPU seconds per name over the interval, plus `bench client` (this process), `machine` (all
   * processes), `stolen` (by the hypervisor, part of `machine`) and `other processes` (machine
   * minus the named ones and the stolen time), and the wall-clock seconds.
   */
  finish(): { wallSeconds: number; seconds: Record<string, number> };
}

/**
 * Starts measuring the CPU time of named processes (each a pid, counted with its direct children
 * when `tree` is set), of this process (`bench client`) and of the whole machine.
 */
export function startCpuAccounting(
  processes: Record<string, { pid: number; tree?: boolean }>,
): CpuAccounting {
  const read = () => {
    const values: Record<string, number> = {};
    for (const [name, { pid, tree }] of Object.entries(processes))
      values[name] = tree ? processTreeCpuSeconds(pid) : (processCpuSeconds(pid) ?? 0);
    const own = process.cpuUsage();
    values["bench client"] = (own.user + own.system) / 1e6;
    values.machine = machineBusyCpuSeconds();
    values.stolen = machineStolenCpuSeconds();
    return values;
  };
  const before = read();
  const started = performance.now();
  return {
    finish() {
      const after = read();
      const seconds: Record<string, number> = {};
      for (const name of Object.keys(after)) seconds[name] = after[name] - (before[name] ?? 0);
      // Whatever else ran on the machine meanwhile (other users' work skews the figures), and what
      // the hypervisor took for other machines (stolen: the services could not run then).
      const ours = Object.entries(seconds).reduce(
        (sum, [name, value]) => (name === "machine" ? sum : sum + value),
        0,
      );
      seconds["other processes"] = Math.max(0, seconds.machine - ours);
      return { wallSeconds: (performance.now() - started) / 1000, seconds };
    },
  };
}

/** `gateway 92%, analytics 41%, ...` as shares of one core over the interval. */
export function formatCpuShares(usage: {
  wallSeconds: number;
  seconds: Record<string, number>;
}): string {
  return Object.entries(usage.seconds)
    .map(([name, seconds]) => `${name} ${Math.round((seconds / usage.wallSeconds) * 100)}%`)
    .join(", ");
}
