import { SeededRandom } from "../../../../shared/src/demo/random";
import { matrix, type Matrix } from "./matrix";

export interface KMeansOptions {
  k: number;
  /** Independent k-means++ starts; the one with the lowest inertia is kept. @default 10 */
  restarts?: number;
  /** @default 300 */
  maxIterations?: number;
  /**
   * Stop when the centroids' total squared shift is at most this times the mean variance of the
   * features (scikit-learn's relative `tol`), or when no row changes cluster. @default 1e-4
   */
  tolerance?: number;
  seed?: number;
  /** Called between restarts; awaiting it lets other work run (see {@link kmeans}). */
  onRestart?: (done: number, total: number) => Promise<void> | void;
}

export interface KMeansResult {
  centroids: Matrix;
  /** The cluster of each row. */
  labels: Int32Array;
  /** Sum of squared distances of rows to their centroid. */
  inertia: number;
  iterations: number;
}

/**
 * k-means (Lloyd's algorithm) with k-means++ initialisation and several restarts, keeping the
 * lowest inertia, as scikit-learn's `KMeans(n_init=...)` does. Deterministic for a seed. An empty
 * cluster is re-seeded with the row farthest from its centroid.
 */
export async function kmeans(points: Matrix, options: KMeansOptions): Promise<KMeansResult> {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new TypeError(`k must be a positive integer, got ${k}.`);
  if (points.rows < k) throw new TypeError(`k-means needs at least k=${k} rows, got ${points.rows}.`);
  const restarts = options.restarts ?? 10;
  const random = new SeededRandom(options.seed ?? 0);
  let best: KMeansResult | undefined;
  for (let r = 0; r < restarts; r++) {
    const result = lloyd(points, kmeansPlusPlus(points, k, random), options.maxIterations ?? 300, (options.tolerance ?? 1e-4) * meanVariance(points));
    if (!best || result.inertia < best.inertia) best = result;
    await options.onRestart?.(r + 1, restarts);
  }
  return best!;
}

/** k-means++: each next centre is drawn with probability proportional to its squared distance to the nearest chosen one (with 2 + log k local trials, as scikit-learn). */
export function kmeansPlusPlus(points: Matrix, k: number, random: SeededRandom): Matrix {
  const { rows, cols } = points;
  const pd = points.data;
  const centroids = matrix(k, cols);
  const first = Math.floor(random.next() * rows);
  centroids.data.set(pd.subarray(first * cols, (first + 1) * cols), 0);
  const closest = new Float64Array(rows);
  for (let i = 0; i < rows; i++) closest[i] = distanceToRow(pd, i, first, cols);
  const trials = 2 + Math.floor(Math.log(k));
  let total = closest.reduce((sum, d) => sum + d, 0);
  for (let c = 1; c < k; c++) {
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let target = random.next() * total;
      let candidate = rows - 1;
      for (let i = 0; i < rows; i++) {
        target -= closest[i];
        if (target <= 0) {
          candidate = i;
          break;
        }
      }
      let potential = 0;
      for (let i = 0; i < rows; i++) {
        const d = distanceToRow(pd, i, candidate, cols);
        potential += d < closest[i] ? d : closest[i];
      }
      if (potential < bestPotential) {
        bestPotential = potential;
        bestCandidate = candidate;
      }
    }
    centroids.data.set(pd.subarray(bestCandidate * cols, (bestCandidate + 1) * cols), c * cols);
    total = 0;
    for (let i = 0; i < rows; i++) {
      const d = distanceToRow(pd, i, bestCandidate, cols);
      if (d < closest[i]) closest[i] = d;
      total += closest[i];
    }
  }
  return centroids;
}

/** Squared distance between rows `a` and `b` of the same row-major data. */
function distanceToRow(data: Float64Array, a: number, b: number, cols: number): number {
  let d = 0;
  for (let j = 0; j < cols; j++) {
    const t = data[a * cols + j] - data[b * cols + j];
    d += t * t;
  }
  return d;
}

function lloyd(points: Matrix, initial: Matrix, maxIterations: number, tolerance: number): KMeansResult {
  const { rows, cols } = points;
  const k = initial.rows;
  const centroids = matrix(k, cols, initial.data);
  const labels = new Int32Array(rows).fill(-1);
  const distances = new Float64Array(rows);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const changed = assign(points, centroids, labels, distances).changed;
    if (changed === 0) {
      iterations++;
      break;
    }
    const sums = new Float64Array(k * cols);
    const counts = new Int32Array(k);
    for (let i = 0; i < rows; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < cols; j++) sums[c * cols + j] += points.data[i * cols + j];
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      // shift: the centroids' total squared movement this iteration.
      if (counts[c] === 0) {
        // Re-seed an empty cluster with the row farthest from its centroid.
        let far = 0;
        for (let i = 1; i < rows; i++) if (distances[i] > distances[far]) far = i;
        centroids.data.set(points.data.subarray(far * cols, (far + 1) * cols), c * cols);
        distances[far] = 0;
        shift = Infinity;
        continue;
      }
      for (let j = 0; j < cols; j++) {
        const next = sums[c * cols + j] / counts[c];
        shift += (next - centroids.data[c * cols + j]) ** 2;
        centroids.data[c * cols + j] = next;
      }
    }
    if (shift <= tolerance) {
      iterations++;
      break;
    }
  }
  const { inertia } = assign(points, centroids, labels, distances);
  return { centroids, labels, inertia, iterations };
}

/** Assigns each row to its nearest centroid; returns the inertia and how many rows changed cluster. */
export function assign(points: Matrix, centroids: Matrix, labels: Int32Array, distances: Float64Array): { inertia: number; changed: number } {
  // The hot loop of k-means: plain typed-array reads, no calls.
  const pd = points.data;
  const cd = centroids.data;
  const cols = points.cols;
  const k = centroids.rows;
  let inertia = 0;
  let changed = 0;
  for (let i = 0; i < points.rows; i++) {
    const base = i * cols;
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < k; c++) {
      const cb = c * cols;
      let d = 0;
      for (let j = 0; j < cols; j++) {
        const t = pd[base + j] - cd[cb + j];
        d += t * t;
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    if (labels[i] !== best) changed++;
    labels[i] = best;
    distances[i] = bestDistance;
    inertia += bestDistance;
  }
  return { inertia, changed };
}

/** The mean over features of each feature's variance (scikit-learn scales `tol` by it). */
function meanVariance(points: Matrix): number {
  let total = 0;
  for (let j = 0; j < points.cols; j++) {
    let mean = 0;
    for (let i = 0; i < points.rows; i++) mean += points.data[i * points.cols + j];
    mean /= points.rows;
    let variance = 0;
    for (let i = 0; i < points.rows; i++) variance += (points.data[i * points.cols + j] - mean) ** 2;
    total += variance / points.rows;
  }
  return total / Math.max(1, points.cols);
}
