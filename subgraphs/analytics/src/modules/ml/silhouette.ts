import { SeededRandom } from "../../../../shared/src/demo/random";
import type { Matrix } from "./matrix";

/**
 * The mean silhouette coefficient, (b - a) / max(a, b) per row, with Euclidean distances. Over at
 * most `sampleSize` rows drawn without replacement (seeded), as scikit-learn's `silhouette_score(...,
 * sample_size=...)`, since the exact score is quadratic in the number of rows. Rows alone in their
 * cluster score 0. Returns 0 when there is a single cluster.
 */
export function silhouetteScore(points: Matrix, labels: Int32Array, k: number, sampleSize = 3_000, seed = 0): number {
  let indexes = Array.from({ length: points.rows }, (_, i) => i);
  if (points.rows > sampleSize) {
    const random = new SeededRandom(seed);
    for (let i = indexes.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [indexes[i], indexes[j]] = [indexes[j], indexes[i]];
    }
    indexes = indexes.slice(0, sampleSize);
  }
  const clusters = new Set(indexes.map((i) => labels[i]));
  if (clusters.size < 2) return 0;
  const sums = new Float64Array(k);
  const counts = new Int32Array(k);
  for (const i of indexes) counts[labels[i]]++;
  let total = 0;
  for (const i of indexes) {
    sums.fill(0);
    for (const j of indexes) {
      if (i === j) continue;
      let d = 0;
      for (let c = 0; c < points.cols; c++) d += (points.data[i * points.cols + c] - points.data[j * points.cols + c]) ** 2;
      sums[labels[j]] += Math.sqrt(d);
    }
    const own = labels[i];
    if (counts[own] <= 1) continue;
    const a = sums[own] / (counts[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c] > 0) b = Math.min(b, sums[c] / counts[c]);
    total += (b - a) / Math.max(a, b);
  }
  return total / indexes.length;
}
