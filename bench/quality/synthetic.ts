import { writeFile } from "node:fs/promises";
import type { RawColumns } from "../../subgraphs/analytics/src/modules/ml/feature-encoder";
import { matrix, standardize, type Matrix } from "../../subgraphs/analytics/src/modules/ml/matrix";
import { SeededRandom } from "#kit/random";

export const RFM_FEATURES = ["recency", "frequency", "monetary"];

/** Customer types the RFM data is drawn from; they overlap, as real segments do. */
const PERSONAS = [
  { share: 0.4, recencyOffset: 0, recencyMean: 60, frequencyMedian: 2, orderValueMedian: 40 }, // occasional
  { share: 0.3, recencyOffset: 0, recencyMean: 15, frequencyMedian: 6, orderValueMedian: 55 }, // regular
  { share: 0.2, recencyOffset: 120, recencyMean: 120, frequencyMedian: 1.5, orderValueMedian: 35 }, // lapsing
  { share: 0.1, recencyOffset: 0, recencyMean: 7, frequencyMedian: 20, orderValueMedian: 110 }, // loyal
];

/**
 * `n` customers' raw recency (days, capped at 730), frequency (purchases, >= 1, log-normal: heavily
 * right-skewed) and monetary value (frequency x a log-normal order value, in cents), seeded.
 */
export function syntheticRfm(n: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  const raw = matrix(n, RFM_FEATURES.length);
  for (let i = 0; i < n; i++) {
    let u = random.next();
    const persona = PERSONAS.find((p) => (u -= p.share) < 0) ?? PERSONAS[PERSONAS.length - 1];
    const recency = Math.min(
      730,
      persona.recencyOffset - persona.recencyMean * Math.log(1 - random.next()),
    );
    const frequency = 1 + Math.floor(random.logNormal(persona.frequencyMedian, 0.7));
    const monetary =
      Math.round(frequency * random.logNormal(persona.orderValueMedian, 0.5) * 100) / 100;
    raw.data.set([recency, frequency, monetary], i * RFM_FEATURES.length);
  }
  return raw;
}

/** A standard normal draw (Box-Muller). */
function normal(random: SeededRandom): number {
  const u = Math.max(random.next(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/**
 * A churn-like classification set: `cols` standardised features (two thirds continuous, some of
 * them correlated; the rest binary indicators of different rarity), labels drawn from a logistic
 * model with half of the weights zero and an intercept that gives roughly 20% positives.
 */
export function syntheticLogistic(
  n: number,
  cols: number,
  seed: number,
): { x: Matrix; y: Uint8Array } {
  const random = new SeededRandom(seed);
  const continuous = Math.round((cols * 2) / 3);
  const weights = Array.from({ length: cols }, (_, j) =>
    j % 2 === 0 ? (random.next() * 2 - 1) * 0.8 : 0,
  );
  const rarity = Array.from({ length: cols }, (_, j) => 0.03 + (0.45 * ((j * 7) % 11)) / 10);
  const raw = matrix(n, cols);
  for (let i = 0; i < n; i++) {
    let previous = 0;
    for (let j = 0; j < cols; j++) {
      let value: number;
      if (j < continuous) {
        value = j % 3 === 1 ? 0.7 * previous + 0.7 * normal(random) : normal(random);
        previous = value;
      } else {
        value = random.next() < rarity[j] ? 1 : 0;
      }
      raw.data[i * cols + j] = value;
    }
  }
  const x = standardize(raw);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let z = -1.6;
    for (let j = 0; j < cols; j++) z += weights[j] * x.data[i * cols + j];
    y[i] = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { x, y };
}

/**
 * A matrix as CSV: a header line, then one line per row, each number in its shortest round-trip
 * form.
 */
export async function writeMatrixCsv(file: string, m: Matrix, header?: string[]): Promise<void> {
  const names = header ?? Array.from({ length: m.cols }, (_, j) => `x${j}`);
  const lines = [names.map((name) => JSON.stringify(name)).join(",")];
  for (let i = 0; i < m.rows; i++)
    lines.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), String).join(","));
  await writeFile(file, lines.join("\n") + "\n");
}

/** One value per line after a header line. */
export async function writeVectorCsv(
  file: string,
  name: string,
  values: ArrayLike<number>,
): Promise<void> {
  await writeFile(file, `${name}\n${Array.from(values, String).join("\n")}\n`);
}

/** Raw little-endian float64 (exact, and fast to read with numpy.fromfile). */
export async function writeFloat64(file: string, values: ArrayLike<number>): Promise<void> {
  await writeFile(file, Buffer.from(Float64Array.from(values).buffer));
}

/** The raw inputs {@link syntheticWideCustomers} makes, and what the encoder makes of them. */
export const WIDE_SHAPE = {
  /** Numeric inputs n00..n59 (each tenth one log-normal, so skewed). */
  continuous: 60,
  /** Of them, n00..n09 are missing for about 5% of the customers: a missing indicator each. */
  withMissing: 10,
  /** Yes/no inputs b0..b9: one column each. */
  binary: 10,
  /** Categorical inputs c0.. with this many values each: a column per value. */
  multi: [6, 6, 8],
  /** Encoded features: 60 + 10 + 10 + 20. */
  features: 100,
};

/**
 * A wide churn-like set of raw inputs (what `buildChurnDataset` gives the encoder) for `n`
 * customers, seeded: the inputs of {@link WIDE_SHAPE} driven by 10 latent factors (so inputs that
 * share one correlate, at most about 0.4), plus `n00_copy` (n00 x 2.5: a duplicate, with the same
 * missing values) and `k_const` (always 1), which the encoder drops. Labels are drawn from a
 * logistic model of the factors and categories, about a third positive.
 */
export function syntheticWideCustomers(
  n: number,
  seed: number,
): { columns: RawColumns; labels: Uint8Array } {
  const random = new SeededRandom(seed);
  const factorWeights = [0.8, -0.6, 0.5, 0, 0.3, -0.4, 0, 0.2, 0, -0.3];
  const { continuous, withMissing, binary, multi } = WIDE_SHAPE;
  const loading = (j: number) => 0.3 + (0.45 * ((j * 7) % 10)) / 10;
  const rarity = (j: number) => 0.05 + 0.05 * j;
  const numericNames = Array.from(
    { length: continuous },
    (_, j) => `n${String(j).padStart(2, "0")}`,
  );
  const numeric = numericNames.map(() => new Array<number | null>(n));
  const copy = new Array<number | null>(n);
  const constant = new Array<number>(n).fill(1);
  const binaries = Array.from({ length: binary }, () => new Array<string>(n));
  const categories = multi.map(() => new Array<string>(n));
  const labels = new Uint8Array(n);
  const factors = new Float64Array(factorWeights.length);
  for (let i = 0; i < n; i++) {
    let z = -1.6;
    for (let k = 0; k < factors.length; k++) {
      factors[k] = normal(random);
      z += factorWeights[k] * factors[k];
    }
    for (let j = 0; j < continuous; j++) {
      const value = loading(j) * factors[j % factors.length] + normal(random);
      const shaped = j % 10 === 5 ? Math.exp(0.8 * value) : value;
      numeric[j][i] = j < withMissing && random.next() < 0.05 ? null : shaped;
    }
    copy[i] = numeric[0][i] === null ? null : numeric[0][i]! * 2.5;
    for (let j = 0; j < binary; j++) {
      const yes = random.next() < rarity(j);
      binaries[j][i] = yes ? "yes" : "no";
      if (yes && j % 2 === 1) z += 0.4;
    }
    multi.forEach((values, c) => {
      // Unequal shares: value v is drawn with weight v + 1.
      let u = random.next() * ((values * (values + 1)) / 2);
      let v = 0;
      while ((u -= v + 1) >= 0) v++;
      categories[c][i] = `v${v}`;
      z += 0.15 * (v - values / 2);
    });
    labels[i] = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  const columns: RawColumns = { size: n, numeric: new Map(), categorical: new Map() };
  numericNames.forEach((name, j) => columns.numeric.set(name, numeric[j]));
  columns.numeric.set("n00_copy", copy);
  columns.numeric.set("k_const", constant);
  binaries.forEach((column, j) => columns.categorical.set(`b${j}`, column));
  categories.forEach((column, c) => columns.categorical.set(`c${c}`, column));
  return { columns, labels };
}
