import { writeFile } from "node:fs/promises";
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
