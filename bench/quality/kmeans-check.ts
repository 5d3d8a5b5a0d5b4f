import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  assign,
  kmeans,
  kmeansPlusPlus,
  type KMeansResult,
} from "../../subgraphs/analytics/src/modules/ml/kmeans";
import { silhouetteScore } from "../../subgraphs/analytics/src/modules/ml/silhouette";
import { SeededRandom } from "#kit/random";
import { prepareFeatures } from "../../subgraphs/analytics/src/modules/segmentation/feature-transform";
import { RFM_FEATURES, syntheticRfm, writeMatrixCsv, writeVectorCsv } from "./synthetic";
import { log, pythonJson, type Availability, type PythonTool } from "./tools";

export const K = 5;
export const RESTARTS = 10;
export const SEED = 0;
export const SILHOUETTE_SAMPLE = 3_000;
export const SILHOUETTE_SEEDS = 10;

export interface SklearnKMeans {
  rows: number;
  cols: number;
  inertia: number;
  iterations: number;
  fitSeconds: number;
  singleThreadSeconds: number;
  singleThreadInertia: number;
  /** KMeans(..., tol=0): Lloyd run until the labels stop changing. */
  tol0Inertia: number;
  tol0Iterations: number;
  tol0Seconds: number;
  clusterSizes: number[];
  oursInertiaRecomputed: number;
  silhouetteSampledOurLabels: number;
  silhouetteSampledSklearnLabels: number;
  silhouetteSampledOurLabelsBySeed: number[];
  silhouetteExactOurLabels?: number;
  silhouetteExactSklearnLabels?: number;
}

export interface KMeansCase {
  name: string;
  rows: number;
  cols: number;
  /** Which features were log1p-transformed by prepareFeatures. */
  logged: string[];
  ours: {
    inertia: number;
    iterations: number;
    clusterSizes: number[];
    /** Wall-clock seconds of each timed kmeans() call (same input, same seed). */
    seconds: number[];
    /** CPU seconds of each timed call: what the wall time would be with a core to itself. */
    cpuSeconds: number[];
    /**
     * CPU time this process got / wall time, over the timed calls: about 1 when it had a core to
     * itself.
     */
    cpuShare: number;
    silhouetteSampled: number;
    silhouetteSampledSeconds: number;
    /** The sampled score for seeds 0..SILHOUETTE_SEEDS-1, to show its sampling spread. */
    silhouetteSampledBySeed: number[];
    /**
     * Where the CPU time goes: the k-means++ seeding of all restarts, and one assignment pass (mean
     * of 20).
     */
    breakdown: { seedingSeconds: number; assignPassMs: number };
    silhouetteExact?: number;
    silhouetteExactSeconds?: number;
  };
  sklearn: Availability<SklearnKMeans>;
}

export function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Synthetic RFM customers, prepared as segmentation prepares them (prepareFeatures: log1p of the
 * skewed ones, then standardised), clustered by our kmeans (timed `timedRuns` times) and by
 * scikit-learn's KMeans on the very same matrix (written to CSV), with both silhouettes.
 */
export async function kmeansCase(options: {
  name: string;
  rows: number;
  dataSeed: number;
  timedRuns: number;
  exactSilhouette: boolean;
  dir: string;
  python: Availability<PythonTool>;
}): Promise<KMeansCase> {
  const { name, rows, dir } = options;
  log(`k-means ${name}: generating ${rows.toLocaleString("en-US")} synthetic RFM customers...`);
  const { points, transforms } = prepareFeatures(
    syntheticRfm(rows, options.dataSeed),
    RFM_FEATURES,
  );

  const seconds: number[] = [];
  const cpu: number[] = [];
  let result: KMeansResult | undefined;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let run = 0; run < options.timedRuns; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const current = await kmeans(points, { k: K, restarts: RESTARTS, seed: SEED });
    seconds.push((performance.now() - started) / 1000);
    cpu.push(cpuSeconds(process.cpuUsage(cpuStarted)));
    if (result && current.inertia !== result.inertia)
      throw new Error(
        `kmeans is not deterministic for a seed: ${result.inertia} then ${current.inertia}`,
      );
    result = current;
  }
  const cpuShare =
    cpuSeconds(process.cpuUsage(cpuBefore)) / ((performance.now() - wallBefore) / 1000);
  log(
    `k-means ${name}: ours inertia ${result!.inertia.toFixed(3)} in ${seconds.map((s) => s.toFixed(2)).join(", ")} s`,
  );

  let started = performance.now();
  const silhouetteSampled = silhouetteScore(points, result!.labels, K, SILHOUETTE_SAMPLE, SEED);
  const silhouetteSampledSeconds = (performance.now() - started) / 1000;
  const silhouetteSampledBySeed = Array.from({ length: SILHOUETTE_SEEDS }, (_, seed) =>
    silhouetteScore(points, result!.labels, K, SILHOUETTE_SAMPLE, seed),
  );
  let silhouetteExact: number | undefined;
  let silhouetteExactSeconds: number | undefined;
  if (options.exactSilhouette) {
    started = performance.now();
    silhouetteExact = silhouetteScore(points, result!.labels, K, points.rows, SEED);
    silhouetteExactSeconds = (performance.now() - started) / 1000;
  }

  // CPU time, so that other processes on the machine do not inflate the breakdown.
  let cpuStarted = process.cpuUsage();
  const random = new SeededRandom(SEED);
  for (let r = 0; r < RESTARTS; r++) kmeansPlusPlus(points, K, random);
  const seedingSeconds = cpuSeconds(process.cpuUsage(cpuStarted));
  const labels = new Int32Array(points.rows);
  const distances = new Float64Array(points.rows);
  cpuStarted = process.cpuUsage();
  for (let pass = 0; pass < 20; pass++) assign(points, result!.centroids, labels, distances);
  const breakdown = {
    seedingSeconds,
    assignPassMs: (cpuSeconds(process.cpuUsage(cpuStarted)) * 1000) / 20,
  };

  const outcome: KMeansCase = {
    name,
    rows: points.rows,
    cols: points.cols,
    logged: transforms.filter((t) => t.log).map((t) => t.feature),
    ours: {
      inertia: result!.inertia,
      iterations: result!.iterations,
      clusterSizes: clusterSizes(result!.labels),
      seconds,
      cpuSeconds: cpu,
      cpuShare,
      silhouetteSampled,
      silhouetteSampledSeconds,
      silhouetteSampledBySeed,
      breakdown,
      silhouetteExact,
      silhouetteExactSeconds,
    },
    sklearn: options.python.ok
      ? { ok: false, reason: "not run" }
      : { ok: false, reason: options.python.reason },
  };
  if (options.python.ok) {
    const x = path.join(dir, `kmeans-${rows}.csv`);
    const labels = path.join(dir, `kmeans-${rows}-our-labels.csv`);
    await writeMatrixCsv(x, points, RFM_FEATURES);
    await writeVectorCsv(labels, "label", result!.labels);
    log(
      `k-means ${name}: scikit-learn KMeans(n_clusters=${K}, n_init=${RESTARTS}, random_state=0) on the same matrix...`,
    );
    try {
      const sklearn = await pythonJson<SklearnKMeans>(options.python.value, [
        "kmeans",
        "--x",
        x,
        "--labels",
        labels,
        "--k",
        String(K),
        "--n-init",
        String(RESTARTS),
        "--random-state",
        "0",
        "--sample-size",
        String(SILHOUETTE_SAMPLE),
        "--silhouette-seeds",
        String(SILHOUETTE_SEEDS),
        ...(options.exactSilhouette ? ["--exact"] : []),
      ]);
      if (sklearn.rows !== points.rows || sklearn.cols !== points.cols)
        throw new Error(
          `scikit-learn read ${sklearn.rows}x${sklearn.cols}, not ${points.rows}x${points.cols}`,
        );
      outcome.sklearn = { ok: true, value: sklearn };
      log(
        `k-means ${name}: scikit-learn inertia ${sklearn.inertia.toFixed(3)} in ${sklearn.fitSeconds.toFixed(2)} s`,
      );
    } catch (error) {
      outcome.sklearn = { ok: false, reason: (error as Error).message };
      log(`k-means ${name}: scikit-learn failed: ${(error as Error).message}`);
    }
  }
  return outcome;
}

function clusterSizes(labels: Int32Array): number[] {
  const sizes = new Array<number>(K).fill(0);
  for (const label of labels) sizes[label]++;
  return sizes.sort((a, b) => b - a);
}
