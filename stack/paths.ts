import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The repository root: the nearest folder above this file holding both `package.json` and
 * `schema/` (this file runs from `dist/stack/` or, under jest, from `stack/`).
 */
export const REPO_ROOT: string = findRoot(__dirname);

function findRoot(start: string): string {
  for (let dir = start, i = 0; i < 10; dir = path.dirname(dir), i++) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "schema")))
      return dir;
  }
  return process.cwd();
}
