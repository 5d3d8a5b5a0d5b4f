import { columnStats, matrix, standardize, type Matrix } from "../ml/matrix";

/** How one feature was prepared: log1p when skewed, then standardised. */
export interface FeatureTransform {
  feature: string;
  log: boolean;
  mean: number;
  std: number;
}

/** Skewness above which a non-negative feature is log-transformed. */
const SKEWED = 1;

/**
 * Prepares features for k-means: each non-negative feature whose sample skewness exceeds 1 is
 * log1p-transformed, then every feature is standardised. Returns the matrix and how to undo it.
 */
export function prepareFeatures(
  raw: Matrix,
  names: string[],
): { points: Matrix; transforms: FeatureTransform[] } {
  const logged = names.map((_, j) => {
    const column = Array.from({ length: raw.rows }, (_, i) => raw.data[i * raw.cols + j]);
    return column.every((value) => value >= 0) && skewness(column) > SKEWED;
  });
  const shaped = matrix(raw.rows, raw.cols);
  for (let i = 0; i < raw.rows; i++) {
    for (let j = 0; j < raw.cols; j++) {
      const value = raw.data[i * raw.cols + j];
      shaped.data[i * raw.cols + j] = logged[j] ? Math.log1p(value) : value;
    }
  }
  const stats = columnStats(shaped);
  return {
    points: standardize(shaped, stats),
    transforms: names.map((feature, j) => ({
      feature,
      log: logged[j],
      mean: stats.mean[j],
      std: stats.std[j],
    })),
  };
}

/** A standardised value back in the feature's original units. */
export function originalUnits(value: number, transform: FeatureTransform): number {
  const shaped = value * transform.std + transform.mean;
  return transform.log ? Math.expm1(shaped) : shaped;
}

function skewness(values: number[]): number {
  const n = values.length;
  if (n < 3) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  let m2 = 0;
  let m3 = 0;
  for (const v of values) {
    m2 += (v - mean) ** 2;
    m3 += (v - mean) ** 3;
  }
  m2 /= n;
  m3 /= n;
  return m2 === 0 ? 0 : m3 / m2 ** 1.5;
}
