import { matrix, type Matrix } from "../ml/matrix";

/** One input of the model: a numeric column, or one category of a categorical column. */
export interface EncodedFeature {
  /** e.g. "recency", "age", "attributes.tenure", "gender=female", "age missing" */
  name: string;
  kind: "numeric" | "category" | "missing";
  source: string;
  /** For category features, the value; "(other)" for the rest. */
  category?: string;
  log?: boolean;
  mean: number;
  std: number;
}

/** A raw record: numeric values (null when missing) and categorical values (null when missing). */
export interface RawRecord {
  numeric: Record<string, number | null>;
  categorical: Record<string, string | null>;
}

/** Categories kept per categorical column; the rest become "(other)". */
const TOP_CATEGORIES = 10;

/**
 * Learns an encoding from training records: numeric columns log1p-transformed when skewed and
 * standardised, missing values imputed with the mean plus a "missing" indicator column;
 * categorical columns one-hot encoded over their 10 most frequent values, others as "(other)",
 * missing as "(missing)". Columns that are constant in the training records (zero variance) are
 * left out. Apply it with {@link encode}.
 */
export function fitEncoder(records: RawRecord[]): EncodedFeature[] {
  const features: EncodedFeature[] = [];
  const numericNames = [...keysOf(records, (r) => r.numeric)].sort();
  for (const name of numericNames) {
    const values = records.map((r) => r.numeric[name]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
    if (values.length === 0) continue;
    const log = values.every((value) => value >= 0) && skew(values) > 1;
    const shaped = values.map((v) => (log ? Math.log1p(v) : v));
    const mean = shaped.reduce((s, v) => s + v, 0) / shaped.length;
    const std = Math.sqrt(shaped.reduce((s, v) => s + (v - mean) ** 2, 0) / shaped.length) || 1;
    // A constant column (in the training records) carries nothing and would get a meaningless
    // weight: leave it out. Its missing indicator, if that varies, still goes in.
    if (shaped.every((v) => v === shaped[0])) {
      if (values.length < records.length) {
        const share = 1 - values.length / records.length;
        features.push({ name: `${name} missing`, kind: "missing", source: name, mean: share, std: Math.sqrt(share * (1 - share)) || 1 });
      }
      continue;
    }
    features.push({ name, kind: "numeric", source: name, log, mean, std });
    if (values.length < records.length) {
      const share = 1 - values.length / records.length;
      features.push({ name: `${name} missing`, kind: "missing", source: name, mean: share, std: Math.sqrt(share * (1 - share)) || 1 });
    }
  }
  const categoricalNames = [...keysOf(records, (r) => r.categorical)].sort();
  for (const name of categoricalNames) {
    const counts = new Map<string, number>();
    for (const r of records) {
      const value = r.categorical[name] ?? "(missing)";
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    const ordered = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const kept = ordered.slice(0, TOP_CATEGORIES);
    const categories = kept.map(([value]) => value);
    if (ordered.length > TOP_CATEGORIES) categories.push("(other)");
    if (categories.length < 2) continue;
    for (const category of categories) {
      const share = (category === "(other)" ? ordered.slice(TOP_CATEGORIES).reduce((s, [, c]) => s + c, 0) : counts.get(category)!) / records.length;
      features.push({ name: `${name}=${category}`, kind: "category", source: name, category, mean: share, std: Math.sqrt(share * (1 - share)) || 1 });
    }
  }
  return features;
}

/** Encodes records with a fitted encoding, standardised, one row per record. */
export function encode(records: RawRecord[], features: EncodedFeature[]): Matrix {
  const out = matrix(records.length, features.length);
  const cols = features.length;
  const n = records.length;
  // Column by column (each source read once per record), the same arithmetic per cell as a
  // record-by-record pass.
  const kept = new Map<string, Set<string>>();
  for (const f of features) if (f.kind === "category") (kept.get(f.source) ?? kept.set(f.source, new Set()).get(f.source)!).add(f.category!);
  const buckets = new Map<string, string[]>();
  for (const [source, categories] of kept) {
    const bucket = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const value = records[i].categorical[source] ?? "(missing)";
      bucket[i] = categories.has(value) ? value : "(other)";
    }
    buckets.set(source, bucket);
  }
  const numeric = new Map<string, (number | null | undefined)[]>();
  for (const f of features) {
    if (f.kind === "category" || numeric.has(f.source)) continue;
    const column = new Array<number | null | undefined>(n);
    for (let i = 0; i < n; i++) column[i] = records[i].numeric[f.source];
    numeric.set(f.source, column);
  }
  features.forEach((f, j) => {
    if (f.kind === "numeric") {
      const column = numeric.get(f.source)!;
      for (let i = 0; i < n; i++) {
        const value = column[i];
        const raw = value === null || value === undefined || !Number.isFinite(value) ? NaN : f.log ? Math.log1p(Math.max(0, value)) : value;
        out.data[i * cols + j] = Number.isNaN(raw) ? 0 : (raw - f.mean) / f.std;
      }
    } else if (f.kind === "missing") {
      const column = numeric.get(f.source)!;
      for (let i = 0; i < n; i++) {
        const value = column[i];
        const raw = value === null || value === undefined || !Number.isFinite(value) ? 1 : 0;
        out.data[i * cols + j] = (raw - f.mean) / f.std;
      }
    } else {
      const bucket = buckets.get(f.source)!;
      const one = (1 - f.mean) / f.std;
      const zero = (0 - f.mean) / f.std;
      for (let i = 0; i < n; i++) out.data[i * cols + j] = bucket[i] === f.category ? one : zero;
    }
  });
  return out;
}

function keysOf(records: RawRecord[], part: (record: RawRecord) => object): Set<string> {
  const keys = new Set<string>();
  for (const record of records) for (const key in part(record)) keys.add(key);
  return keys;
}

function skew(values: number[]): number {
  const n = values.length;
  if (n < 3) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  let m2 = 0, m3 = 0;
  for (const v of values) {
    m2 += (v - mean) ** 2;
    m3 += (v - mean) ** 3;
  }
  return m2 === 0 ? 0 : m3 / n / (m2 / n) ** 1.5;
}
