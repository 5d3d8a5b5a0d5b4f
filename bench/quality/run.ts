import "reflect-metadata";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { churnCheck, type ChurnOutcome } from "./churn-check";
import { churnScale, type ChurnScaleOutcome } from "./churn-scale";
import { kmeansCase } from "./kmeans-check";
import { logisticSpeed, wideLogistic } from "./logistic-speed";
import { rowLimits } from "./row-limits";
import { retailSegmentation, type RetailSegmentationOutcome } from "./retail-segmentation";
import {
  markdownReport,
  markdownTable,
  resultRows,
  retailRows,
  scaleRows,
  type PythonVersions,
  type QualityResults,
} from "./report";
import {
  ensureModeldata,
  ensureSklearn,
  exportMlcChurn,
  log,
  pythonJson,
  REPO_ROOT,
  type Availability,
} from "./tools";

const USAGE = `Usage: node dist/bench/quality/run.js [--keep] [--no-doc] [--scale-only] [--retail-only]

Compares our k-means, silhouette and logistic regression with scikit-learn on the same data and
writes docs/MODEL-QUALITY.md. Installs python3-sklearn and r-cran-modeldata with apt-get when missing.
  --keep    keep the temp folder (CSVs written for Python) and print where it is
  --no-doc  print the results table only; do not write docs/MODEL-QUALITY.md
  --scale-only  only time trainChurnModel end to end on 100,000 customers (and the latency of
                concurrent analytics requests meanwhile); print it, write nothing
  --retail-only only the k=4 segmentation of an imported Online Retail file vs scikit-learn; print it`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) return void console.log(USAGE);
  const known = ["--keep", "--no-doc", "--scale-only", "--retail-only"];
  const unknown = args.filter((a) => !known.includes(a));
  if (unknown.length) throw new Error(`Unknown option ${unknown[0]}.\n${USAGE}`);
  const keep = args.includes("--keep");
  process.env.LOG_LEVEL ??= "silent";

  const startedAt = new Date();
  // PostgreSQL runs as its own user under root: its folder's parents must be traversable.
  const dir = await mkdtemp(path.join(os.tmpdir(), "model-quality-"));
  await chmod(dir, 0o755);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (keep) log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(
      `${signal}: cleaning up ${dir} (the embedded PostgreSQL, if running, is stopped on its next start)`,
    );
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    if (args.includes("--scale-only")) {
      const scale = await churnScale(path.join(dir, "scale"));
      console.log(JSON.stringify(scale, null, 2));
      console.log(`\n${markdownTable(scaleRows({ ok: true, value: scale }))}\n`);
      return;
    }
    const installNotes: string[] = [];
    log("checking scikit-learn...");
    const sklearn = await ensureSklearn();
    const retailPart = async (): Promise<Availability<RetailSegmentationOutcome>> => {
      try {
        return { ok: true, value: await retailSegmentation(path.join(dir, "retail"), sklearn) };
      } catch (error) {
        log(`the Online Retail part failed: ${(error as Error).stack ?? error}`);
        return { ok: false, reason: (error as Error).message };
      }
    };
    if (args.includes("--retail-only")) {
      const retail = await retailPart();
      console.log(JSON.stringify(retail, null, 2));
      console.log(`\n${markdownTable(retailRows(retail))}\n`);
      return;
    }
    if (!sklearn.ok)
      log(`scikit-learn unavailable, its comparisons are skipped: ${sklearn.reason}`);
    else if (sklearn.note) installNotes.push(sklearn.note);
    let python: Availability<PythonVersions> = sklearn.ok
      ? { ok: false, reason: "not read" }
      : sklearn;
    if (sklearn.ok) {
      try {
        python = { ok: true, value: await pythonJson<PythonVersions>(sklearn.value, ["versions"]) };
        log(`scikit-learn ${python.value.sklearn} (${python.value.executable})`);
      } catch (error) {
        python = { ok: false, reason: (error as Error).message };
      }
    }
    log("checking R and modeldata (mlc_churn)...");
    const r = await ensureModeldata();
    if (!r.ok) log(`R/modeldata unavailable, the mlc_churn part is skipped: ${r.reason}`);
    else if (r.note) installNotes.push(r.note);

    // Other processes competing for the CPU inflate the times: the report shows the load around the
    // timed parts.
    const loads: { when: string; load: number }[] = [];
    const sampleLoad = (when: string) => loads.push({ when, load: os.loadavg()[0] });
    sampleLoad("before k-means");
    const kmeansLarge = await kmeansCase({
      name: "100k",
      rows: 100_000,
      dataSeed: 1,
      timedRuns: 3,
      exactSilhouette: false,
      dir,
      python: sklearn,
    });
    const kmeansSmall = await kmeansCase({
      name: "5k",
      rows: 5_000,
      dataSeed: 2,
      timedRuns: 1,
      exactSilhouette: true,
      dir,
      python: sklearn,
    });
    sampleLoad("before fitLogistic");
    const logistic = await logisticSpeed({
      rows: 100_000,
      cols: 30,
      timedRuns: 3,
      dir,
      python: sklearn,
    });
    sampleLoad("after fitLogistic");
    const wide = await wideLogistic({ rows: 100_000, timedRuns: 3, dir, python: sklearn });
    sampleLoad("after the wide fit");
    log("probing the row counts prepareFeatures and fitEncoder accept...");
    const limits = rowLimits(1_000_000);

    let churn: Availability<ChurnOutcome>;
    if (!r.ok) churn = { ok: false, reason: r.reason };
    else {
      try {
        const csv = await exportMlcChurn(dir);
        log(`mlc_churn: ${csv.rows} rows; columns ${csv.columns.join(", ")}`);
        sampleLoad("before the stack");
        churn = { ok: true, value: await churnCheck(path.join(dir, "stack"), csv, sklearn) };
        sampleLoad("after the stack");
      } catch (error) {
        log(`the mlc_churn part failed: ${(error as Error).stack ?? error}`);
        churn = { ok: false, reason: (error as Error).message };
      }
    }

    let scale: Availability<ChurnScaleOutcome>;
    try {
      sampleLoad("before the 100k training");
      scale = { ok: true, value: await churnScale(path.join(dir, "scale")) };
      sampleLoad("after it");
    } catch (error) {
      log(`the training-at-scale part failed: ${(error as Error).stack ?? error}`);
      scale = { ok: false, reason: (error as Error).message };
    }

    sampleLoad("before the Online Retail segmentation");
    const retail = await retailPart();

    const results: QualityResults = {
      startedAt,
      elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
      python,
      r,
      kmeansLarge,
      kmeansSmall,
      logistic,
      wide,
      churn,
      scale,
      retail,
      rowLimits: limits,
      installNotes,
      loads,
    };
    console.log(`\n${markdownTable(resultRows(results))}\n`);
    if (!args.includes("--no-doc")) {
      const doc = path.join(REPO_ROOT, "docs", "MODEL-QUALITY.md");
      await writeFile(doc, markdownReport(results));
      log(`wrote ${path.relative(process.cwd(), doc) || doc}`);
    }
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
