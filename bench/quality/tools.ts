import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * The repository root: the nearest folder above this file with both `package.json` and `schema/`.
 */
export const REPO_ROOT: string = (() => {
  for (let dir = __dirname, i = 0; i < 10; dir = path.dirname(dir), i++) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "schema")))
      return dir;
  }
  return process.cwd();
})();

/** The Python side of the comparison (not compiled: run from the source tree). */
export const SKLEARN_SCRIPT = path.join(REPO_ROOT, "bench", "quality", "sklearn_reference.py");

export function log(message: string): void {
  process.stdout.write(`[quality] ${message}\n`);
}

/** A reference tool: available (with what to call) or not, with the reason. */
export type Availability<T> = { ok: true; value: T; note?: string } | { ok: false; reason: string };

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without a shell, collecting its output; never rejects (a spawn error is code
 * null).
 */
export function run(
  command: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on(
      "data",
      (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-200_000)),
    );
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
      : undefined;
    child.once("error", (error) => {
      if (timer) clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
    });
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : null),
        stdout,
        stderr: signal ? `${stderr}\n(killed by ${signal})` : stderr,
      });
    });
  });
}

function lastLines(text: string, count = 8): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
let aptUpdated: Promise<RunResult> | undefined;

/**
 * `apt-get update` (once per run), then `apt-get install -y <packages>`; the reason when either
 * fails.
 */
async function aptInstall(packages: string[]): Promise<string | undefined> {
  if (process.getuid?.() !== 0)
    return `installing ${packages.join(" ")} needs root (apt-get), and this runs as uid ${process.getuid?.()}`;
  log(
    `installing ${packages.join(" ")} with apt-get (once per machine; may take a few minutes)...`,
  );
  aptUpdated ??= run("apt-get", ["update"], { timeoutMs: 600_000, env: APT_ENV });
  const update = await aptUpdated;
  if (update.code !== 0)
    return `apt-get update failed (exit ${update.code}): ${lastLines(update.stderr || update.stdout)}`;
  const install = await run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
    timeoutMs: 900_000,
    env: APT_ENV,
  });
  if (install.code !== 0)
    return `apt-get install ${packages.join(" ")} failed (exit ${install.code}): ${lastLines(install.stderr || install.stdout)}`;
  return undefined;
}

/**
 * A Python interpreter that imports scikit-learn, whose version info {@link pythonJson} can read.
 */
export interface PythonTool {
  executable: string;
}

/**
 * `python3` when it imports scikit-learn; else Debian's `/usr/bin/python3` when it does; else
 * installs `python3-sklearn` with apt and tries both again. (Debian's package installs into the
 * system Python, which is not the `python3` first on PATH when pyenv or a venv is active.)
 */
export async function ensureSklearn(): Promise<Availability<PythonTool>> {
  const candidates = ["python3", "/usr/bin/python3"];
  const find = () =>
    candidates.find(
      (python) =>
        spawnSync(python, ["-c", "import sklearn, numpy, scipy, threadpoolctl"], {
          stdio: "ignore",
        }).status === 0,
    );
  let found = find();
  let note: string | undefined;
  if (!found) {
    const failure = await aptInstall(["python3-sklearn"]);
    if (failure) return { ok: false, reason: failure };
    found = find();
    if (!found)
      return {
        ok: false,
        reason: `python3-sklearn is installed but neither ${candidates.join(" nor ")} imports sklearn`,
      };
    note = "installed python3-sklearn with apt-get during this run";
  }
  return { ok: true, value: { executable: found }, note };
}

/** Runs `sklearn_reference.py <args>` and parses the JSON it prints. */
export async function pythonJson<T>(python: PythonTool, args: string[]): Promise<T> {
  const result = await run(python.executable, [SKLEARN_SCRIPT, ...args], { timeoutMs: 600_000 });
  if (result.code !== 0)
    throw new Error(
      `${path.basename(SKLEARN_SCRIPT)} ${args[0]} failed (exit ${result.code}):\n${lastLines(result.stderr, 20)}`,
    );
  const line = result.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(
      `${path.basename(SKLEARN_SCRIPT)} ${args[0]} printed no JSON: ${lastLines(result.stdout + result.stderr)}`,
    );
  }
}

const HAS_MODELDATA = 'quit(status = if (requireNamespace("modeldata", quietly = TRUE)) 0 else 1)';

/** The R and modeldata versions, for the report. */
export interface RTool {
  rVersion: string;
  modeldataVersion: string;
}

/**
 * `Rscript` with the modeldata package, installing `r-cran-modeldata` with apt when either is
 * missing.
 */
export async function ensureModeldata(): Promise<Availability<RTool>> {
  const present = async () =>
    (await run("Rscript", ["-e", HAS_MODELDATA], { timeoutMs: 60_000 })).code === 0;
  let note: string | undefined;
  if (!(await present())) {
    const failure = await aptInstall(["r-cran-modeldata"]);
    if (failure) return { ok: false, reason: failure };
    if (!(await present()))
      return {
        ok: false,
        reason: "r-cran-modeldata is installed but Rscript cannot load the modeldata package",
      };
    note = "installed r-cran-modeldata with apt-get during this run";
  }
  const versions = await run(
    "Rscript",
    [
      "-e",
      'cat(R.version$major, ".", R.version$minor, " ", as.character(packageVersion("modeldata")), sep = "")',
    ],
    { timeoutMs: 60_000 },
  );
  const [rVersion = "?", modeldataVersion = "?"] = versions.stdout.trim().split(" ");
  return { ok: true, value: { rVersion, modeldataVersion }, note };
}

/** What the exported churn file holds. */
export interface ChurnCsv {
  file: string;
  rows: number;
  columns: string[];
}

/**
 * Exports modeldata's `mlc_churn` with `write.csv` and prepends a `customer_id` column (the row
 * number: the data set has no id) so that the importer can key the customers by externalId.
 */
export async function exportMlcChurn(dir: string): Promise<ChurnCsv> {
  const raw = path.join(dir, "mlc_churn.raw.csv");
  const result = await run(
    "Rscript",
    [
      "-e",
      `data(mlc_churn, package = "modeldata"); write.csv(mlc_churn, ${JSON.stringify(raw)}, row.names = FALSE)`,
    ],
    { timeoutMs: 120_000 },
  );
  if (result.code !== 0)
    throw new Error(
      `Rscript could not export mlc_churn (exit ${result.code}): ${lastLines(result.stderr)}`,
    );
  const lines = (await readFile(raw, "utf8")).split(/\r?\n/).filter((line) => line.length > 0);
  const columns = lines[0].split(",").map((name) => name.replace(/^"|"$/g, ""));
  if (!columns.includes("churn"))
    throw new Error(`mlc_churn has no 'churn' column; its columns: ${columns.join(", ")}`);
  if (columns.some((name) => /^(customer_?id|id|external_?id)$/i.test(name)))
    throw new Error(`mlc_churn unexpectedly has an id column: ${columns.join(", ")}`);
  const file = path.join(dir, "mlc_churn.csv");
  await writeFile(
    file,
    [`"customer_id",${lines[0]}`, ...lines.slice(1).map((line, i) => `${i + 1},${line}`)].join(
      "\n",
    ) + "\n",
  );
  return { file, rows: lines.length - 1, columns: ["customer_id", ...columns] };
}
