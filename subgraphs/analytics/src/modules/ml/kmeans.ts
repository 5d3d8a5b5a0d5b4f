import { SeededRandom } from "../../../../shared/src/demo/random";
import { matrix, squaredDistance, type Matrix } from "./matrix";

export interface KMeansOptions {
  k: number;
  /** Independent k-means++ starts; the one with the lowest inertia is kept. @default 10 */
  restarts?: number;
  /** @default 300 */
  maxIterations?: number;
  /** Stop when no centroid moves more than this (squared). @default 1e-8 */
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
    const result = lloyd(points, kmeansPlusPlus(points, k, random), options.maxIterations ?? 300, options.tolerance ?? 1e-8);
    if (!best || result.inertia < best.inertia) best = result;
    await options.onRestart?.(r + 1, restarts);
  }
  return best!;
}

/** k-means++: each next centre is drawn with probability proportional to its squared distance to the nearest chosen one (with 2 + log k local trials, as scikit-learn). */
export function kmeansPlusPlus(points: Matrix, k: number, random: SeededRandom): Matrix {
  const centroids = matrix(k, points.cols);
  const first = Math.floor(random.next() * points.rows);
  centroids.data.set(points.data.subarray(first * points.cols, (first + 1) * points.cols), 0);
  const closest = new Float64Array(points.rows);
  for (let i = 0; i < points.rows; i++) closest[i] = squaredDistance(points, i, centroids, 0);
  const trials = 2 + Math.floor(Math.log(k));
  for (let c = 1; c < k; c++) {
    const total = closest.reduce((sum, d) => sum + d, 0);
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let target = random.next() * total;
      let candidate = points.rows - 1;
      for (let i = 0; i < points.rows; i++) {
        target -= closest[i];
        if (target <= 0) {
          candidate = i;
          break;
        }
      }
      let potential = 0;
      const probe = { rows: 1, cols: points.cols, data: points.data.subarray(candidate * points.cols, (candidate + 1) * points.cols) };
      for (let i = 0; i < points.rows; i++) potential += Math.min(closest[i], squaredDistance(points, i, probe, 0));
      if (potential < bestPotential) {
        bestPotential = potential;
        bestCandidate = candidate;
      }
    }
    centroids.data.set(points.data.subarray(bestCandidate * points.cols, (bestCandidate + 1) * points.cols), c * points.cols);
    for (let i = 0; i < points.rows; i++) closest[i] = Math.min(closest[i], squaredDistance(points, i, centroids, c));
  }
  return centroids;
}

function lloyd(points: Matrix, initial: Matrix, maxIterations: number, tolerance: number): KMeansResult {
  const { rows, cols } = points;
  const k = initial.rows;
  const centroids = matrix(k, cols, initial.data);
  const labels = new Int32Array(rows);
  const distances = new Float64Array(rows);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    assign(points, centroids, labels, distances);
    const sums = new Float64Array(k * cols);
    const counts = new Int32Array(k);
    for (let i = 0; i < rows; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < cols; j++) sums[c * cols + j] += points.data[i * cols + j];
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
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
        shift = Math.max(shift, (next - centroids.data[c * cols + j]) ** 2);
        centroids.data[c * cols + j] = next;
      }
    }
    if (shift <= tolerance) {
      iterations++;
      break;
    }
  }
  const inertia = assign(points, centroids, labels, distances);
  return { centroids, labels, inertia, iterations };
}

/** Assigns each row to its nearest centroid; returns the inertia. */
export function assign(points: Matrix, centroids: Matrix, labels: Int32Array, distances: Float64Array): number {
  let inertia = 0;
  for (let i = 0; i < points.rows; i++) {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < centroids.rows; c++) {
      const d = squaredDistance(points, i, centroids, c);
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    labels[i] = best;
    distances[i] = bestDistance;
    inertia += bestDistance;
  }
  return inertia;
}
