/** Robust statistics for the anomaly detector: medians by selection and scales from deviations. */

const MAD_TO_SIGMA = 1.4826;

/** A robust scale of deviations: 1.4826 × their median absolute value, never 0. */
export function scaleOf(deviations: number[], values: number[]): number {
  const mad = MAD_TO_SIGMA * median(deviations.map(Math.abs));
  if (mad > 0) return mad;
  const mean = deviations.reduce((sum, x) => sum + Math.abs(x), 0) / deviations.length;
  if (mean > 0) return 1.2533 * mean;
  const magnitude = Math.max(...values.map(Math.abs));
  return magnitude > 0 ? magnitude * 1e-3 : 1e-6;
}

/** The median, by selection (no full sort). */
export function median(values: number[]): number {
  const copy = Float64Array.from(values);
  const mid = copy.length >> 1;
  const upper = select(copy, mid);
  if (copy.length % 2) return upper;
  // The lower middle is the largest value left of `mid` after the selection.
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (copy[i] > lower) lower = copy[i];
  return (lower + upper) / 2;
}

/** The k-th smallest value (0-based); reorders `a` so that smaller values lie before index k. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k];
}
