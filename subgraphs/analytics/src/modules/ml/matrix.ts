/** A dense row-major matrix of `rows` x `cols` numbers. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (data && data.length !== rows * cols)
    throw new TypeError(
      `Expected ${rows * cols} values for a ${rows}x${cols} matrix, got ${data.length}.`,
    );
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

/** Builds a matrix from rows of equal length. */
export function fromRows(rows: number[][]): Matrix {
  const cols = rows[0]?.length ?? 0;
  const m = matrix(rows.length, cols);
  rows.forEach((row, i) => {
    if (row.length !== cols)
      throw new TypeError(`Row ${i} has ${row.length} values; expected ${cols}.`);
    m.data.set(row, i * cols);
  });
  return m;
}

/** Column means and standard deviations (population); a constant column gets std 1. */
export function columnStats(m: Matrix): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(m.cols);
  const std = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++) mean[j] += m.data[i * m.cols + j];
  for (let j = 0; j < m.cols; j++) mean[j] /= Math.max(1, m.rows);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++) std[j] += (m.data[i * m.cols + j] - mean[j]) ** 2;
  for (let j = 0; j < m.cols; j++) std[j] = Math.sqrt(std[j] / Math.max(1, m.rows)) || 1;
  return { mean, std };
}

/** (x - mean) / std, column by column, into a new matrix. */
export function standardize(m: Matrix, stats = columnStats(m)): Matrix {
  const out = matrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++)
      out.data[i * m.cols + j] = (m.data[i * m.cols + j] - stats.mean[j]) / stats.std[j];
  return out;
}

/** Squared Euclidean distance between row `i` of `a` and row `k` of `b`. */
export function squaredDistance(a: Matrix, i: number, b: Matrix, k: number): number {
  let sum = 0;
  const ai = i * a.cols;
  const bk = k * b.cols;
  for (let j = 0; j < a.cols; j++) {
    const d = a.data[ai + j] - b.data[bk + j];
    sum += d * d;
  }
  return sum;
}
