import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The repository root: the nearest folder above this file holding both `package.json` and
 * `schema/` (this file runs from `dist/bench/harness/`, or from `bench/harness/` under ts-node).
 */
export const REPO_ROOT: string = findRoot(__dirname);

/** Where the benchmarks keep their state: the embedded PostgreSQL, signing keys, profiles. */
export const BENCH_DATA_DIR: string = path.join(REPO_ROOT, ".data", "bench");

/** The report the benchmarks append to. */
export const BENCHMARKS_DOC: string = path.join(REPO_ROOT, "docs", "BENCHMARKS.md");

function findRoot(start: string): string {
  for (let dir = start, i = 0; i < 10; dir = path.dirname(dir), i++) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "schema")))
      return dir;
  }
  return process.cwd();
}
