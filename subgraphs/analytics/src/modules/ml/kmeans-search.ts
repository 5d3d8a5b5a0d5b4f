import { kmeans, type KMeansResult } from "./kmeans";
import type { Matrix } from "./matrix";
import { silhouetteScore } from "./silhouette";

export interface KMeansSearchOptions {
  /** The number of clusters; null: chosen in 2..8 by the best silhouette. */
  k: number | null;
  seed: number;
}

export interface KMeansSearchResult {
  k: number;
  result: KMeansResult;
  /** The mean silhouette of `result` (3,000 rows sampled with the seed). */
  silhouette: number;
}

/** Rows the silhouette is computed on (see {@link silhouetteScore}). */
const SILHOUETTE_SAMPLE = 3_000;

/**
 * k-means with k-means++ and 10 restarts at a fixed k; without k, each k in 2..8 (below the number
 * of rows) is tried with 4 restarts, the best silhouette wins, and that k is fitted again with 10
 * restarts. Deterministic for a seed. `progress` gets the fraction done after each restart, from
 * 0 to 0.95 (the rest is the caller's, to store the result); awaiting it lets other work run.
 */
export async function searchKMeans(
  points: Matrix,
  options: KMeansSearchOptions,
  progress: (fraction: number) => Promise<void> | void = () => undefined,
): Promise<KMeansSearchResult> {
  const { seed } = options;
  const candidates = options.k ? [options.k] : [2, 3, 4, 5, 6, 7, 8].filter((k) => k < points.rows);
  let best: KMeansSearchResult | undefined;
  let step = 0;
  for (const k of candidates) {
    const result = await kmeans(points, {
      k,
      seed,
      restarts: options.k ? 10 : 4,
      onRestart: (done, total) => progress((0.9 * (step + done / total)) / candidates.length),
    });
    const silhouette = silhouetteScore(points, result.labels, k, SILHOUETTE_SAMPLE, seed);
    if (!best || silhouette > best.silhouette) best = { k, result, silhouette };
    step++;
  }
  if (!best) throw new TypeError(`k-means needs at least 3 rows to choose k, got ${points.rows}.`);
  if (options.k) return best;
  const { k } = best;
  const result = await kmeans(points, {
    k,
    seed,
    restarts: 10,
    onRestart: (done) => progress(0.9 + (0.05 * done) / 10),
  });
  return {
    k,
    result,
    silhouette: silhouetteScore(points, result.labels, k, SILHOUETTE_SAMPLE, seed),
  };
}
