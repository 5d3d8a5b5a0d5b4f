import { readdirSync, readFileSync } from "node:fs";

/**
 * The fields of `/proc/<pid>/stat` after the command name (field 3, the state, is index 0; the
 * parent pid index 1; utime and stime 11 and 12), or null when the process is gone.
 */
export function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may contain spaces: split after its closing one.
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The pids of a process's direct children (PostgreSQL's backends, a gateway cluster's workers). */
export function childPids(parentPid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry) && Number(statFields(Number(entry))?.[1]) === parentPid)
    .map(Number);
}
