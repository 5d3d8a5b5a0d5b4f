import { SeededRandom } from "#kit/random";
import type { Matrix } from "./matrix";

/**
 * The mean silhouette coefficient, (b - a) / max(a, b) per row, with Euclidean distances. Over at
 * most `sampleSize` rows drawn without replacement (seeded), as scikit-learn's
 * `silhouette_score(..., sample_size=...)`, since the exact score is quadratic in the number of
 * rows. Rows alone in their cluster score 0. Returns 0 when there is a single cluster.
 */
export function silhouetteScore(
  points: Matrix,
  labels: Int32Array,
  k: number,
  sampleSize = 3_000,
  seed = 0,
): number {
  const { cols } = points;
  let indexes = Int32Array.from({ length: points.rows }, (_, i) => i);
  if (points.rows > sampleSize) {
    const random = new SeededRandom(seed);
    for (let i = indexes.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      const swap = indexes[i];
      indexes[i] = indexes[j];
      indexes[j] = swap;
    }
    indexes = indexes.slice(0, sampleSize);
  }
  const n = indexes.length;
  // The sampled rows and their labels, contiguous.
  const x = new Float64Array(n * cols);
  const own = new Int32Array(n);
  const counts = new Int32Array(k);
  for (let s = 0; s < n; s++) {
    const i = indexes[s];
    x.set(points.data.subarray(i * cols, (i + 1) * cols), s * cols);
    own[s] = labels[i];
    counts[labels[i]]++;
  }
  let clusters = 0;
  for (let c = 0; c < k; c++) if (counts[c] > 0) clusters++;
  if (clusters < 2) return 0;
  // sums[s * k + c]: the total distance from sampled row s to the sampled rows of cluster c. Each
  // pair's distance is computed once and added to both rows' totals.
  const sums = new Float64Array(n * k);
  for (let s = 0; s < n; s++) addDistances(x, own, sums, s, n, cols, k);
  let total = 0;
  for (let s = 0; s < n; s++) {
    const label = own[s];
    if (counts[label] <= 1) continue;
    const a = sums[s * k + label] / (counts[label] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++)
      if (c !== label && counts[c] > 0) b = Math.min(b, sums[s * k + c] / counts[c]);
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

/**
 * Adds the distance between sampled row s and every later sampled row to both rows' cluster totals.
 */
function addDistances(
  x: Float64Array,
  own: Int32Array,
  sums: Float64Array,
  s: number,
  n: number,
  cols: number,
  k: number,
): void {
  const sb = s * cols;
  const sk = s * k;
  const label = own[s];
  for (let t = s + 1; t < n; t++) {
    const tb = t * cols;
    let d = 0;
    for (let j = 0; j < cols; j++) {
      const u = x[sb + j] - x[tb + j];
      d += u * u;
    }
    d = Math.sqrt(d);
    sums[sk + own[t]] += d;
    sums[t * k + label] += d;
  }
}
