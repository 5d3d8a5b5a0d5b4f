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

/**
 * Raw records column by column (what the encoder reads): each column has one entry per record,
 * `undefined` where a record does not have that input at all, null where it has it but it is
 * missing. Building columns costs far less than one object per record with a key per input.
 */
export interface RawColumns {
  /** Records, the length of every column. */
  size: number;
  numeric: Map<string, (number | null | undefined)[]>;
  categorical: Map<string, (string | null | undefined)[]>;
}

/** Records as columns (see {@link RawColumns}). */
export function columnsOf(records: readonly RawRecord[]): RawColumns {
  const columns: RawColumns = { size: records.length, numeric: new Map(), categorical: new Map() };
  records.forEach((record, i) => {
    for (const [name, value] of Object.entries(record.numeric))
      columnOf(columns.numeric, name, records.length)[i] = value;
    for (const [name, value] of Object.entries(record.categorical))
      columnOf(columns.categorical, name, records.length)[i] = value;
  });
  return columns;
}

/** The column `name` of `columns`, added (every entry undefined) when there is none. */
export function columnOf<T>(
  columns: Map<string, (T | null | undefined)[]>,
  name: string,
  size: number,
): (T | null | undefined)[] {
  let column = columns.get(name);
  if (!column) columns.set(name, (column = new Array<T | null | undefined>(size).fill(undefined)));
  return column;
}

/** Categories kept per categorical column; the rest become "(other)". */
const TOP_CATEGORIES = 10;

/**
 * Learns an encoding from the training records (`rows` of `data`, in that order; every record
 * when omitted): numeric columns log1p-transformed when skewed and standardised, missing values
 * imputed with the mean plus a "missing" indicator column; categorical columns one-hot encoded over
 * their 10 most frequent values, others as "(other)", missing as "(missing)". Columns that are
 * constant in the training records (zero variance) are left out, and so are columns that none of
 * them has. Apply it with {@link encode}.
 */
export function fitEncoder(data: RawColumns, rows?: ArrayLike<number>): EncodedFeature[] {
  const selected = rows ?? Array.from({ length: data.size }, (_, i) => i);
  const n = selected.length;
  const pick = <T>(column: T[]): T[] => {
    const out = new Array<T>(n);
    for (let k = 0; k < n; k++) out[k] = column[selected[k]];
    return out;
  };
  const present = (column: unknown[]) => column.some((value) => value !== undefined);
  const features: EncodedFeature[] = [];
  const numericNames = [...data.numeric.keys()].sort();
  for (const name of numericNames) {
    const all = pick(data.numeric.get(name)!);
    if (!present(all)) continue;
    const values = all.filter(
      (v): v is number => v !== null && v !== undefined && Number.isFinite(v),
    );
    if (values.length === 0) continue;
    const log = values.every((value) => value >= 0) && skew(values) > 1;
    const shaped = values.map((v) => (log ? Math.log1p(v) : v));
    const mean = shaped.reduce((s, v) => s + v, 0) / shaped.length;
    const std = Math.sqrt(shaped.reduce((s, v) => s + (v - mean) ** 2, 0) / shaped.length) || 1;
    // A constant column (in the training records) carries nothing and would get a meaningless
    // weight: leave it out. Its missing indicator, if that varies, still goes in.
    if (shaped.every((v) => v === shaped[0])) {
      if (values.length < n) {
        const share = 1 - values.length / n;
        features.push({
          name: `${name} missing`,
          kind: "missing",
          source: name,
          mean: share,
          std: Math.sqrt(share * (1 - share)) || 1,
        });
      }
      continue;
    }
    features.push({ name, kind: "numeric", source: name, log, mean, std });
    if (values.length < n) {
      const share = 1 - values.length / n;
      features.push({
        name: `${name} missing`,
        kind: "missing",
        source: name,
        mean: share,
        std: Math.sqrt(share * (1 - share)) || 1,
      });
    }
  }
  const categoricalNames = [...data.categorical.keys()].sort();
  for (const name of categoricalNames) {
    const all = pick(data.categorical.get(name)!);
    if (!present(all)) continue;
    const counts = new Map<string, number>();
    for (const raw of all) {
      const value = raw ?? "(missing)";
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    const ordered = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const kept = ordered.slice(0, TOP_CATEGORIES);
    const categories = kept.map(([value]) => value);
    if (ordered.length > TOP_CATEGORIES) categories.push("(other)");
    if (categories.length < 2) continue;
    for (const category of categories) {
      const share =
        (category === "(other)"
          ? ordered.slice(TOP_CATEGORIES).reduce((s, [, c]) => s + c, 0)
          : counts.get(category)!) / n;
      features.push({
        name: `${name}=${category}`,
        kind: "category",
        source: name,
        category,
        mean: share,
        std: Math.sqrt(share * (1 - share)) || 1,
      });
    }
  }
  return features;
}

/** Encodes every record with a fitted encoding, standardised, one row per record. */
export function encode(data: RawColumns, features: EncodedFeature[]): Matrix {
  const n = data.size;
  const out = matrix(n, features.length);
  const cols = features.length;
  const none: undefined[] = new Array(n).fill(undefined);
  // Column by column, the same arithmetic per cell as a record-by-record pass. A column the
  // records lack altogether reads as missing everywhere.
  const kept = new Map<string, Set<string>>();
  for (const f of features)
    if (f.kind === "category")
      (kept.get(f.source) ?? kept.set(f.source, new Set()).get(f.source)!).add(f.category!);
  const buckets = new Map<string, string[]>();
  for (const [source, categories] of kept) {
    const column = data.categorical.get(source) ?? none;
    const bucket = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const value = column[i] ?? "(missing)";
      bucket[i] = categories.has(value) ? value : "(other)";
    }
    buckets.set(source, bucket);
  }
  features.forEach((f, j) => {
    if (f.kind === "numeric") {
      const column = data.numeric.get(f.source) ?? none;
      for (let i = 0; i < n; i++) {
        const value = column[i];
        const raw =
          value === null || value === undefined || !Number.isFinite(value)
            ? NaN
            : f.log
              ? Math.log1p(Math.max(0, value))
              : value;
        out.data[i * cols + j] = Number.isNaN(raw) ? 0 : (raw - f.mean) / f.std;
      }
    } else if (f.kind === "missing") {
      const column = data.numeric.get(f.source) ?? none;
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

function skew(values: number[]): number {
  const n = values.length;
  if (n < 3) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  let m2 = 0,
    m3 = 0;
  for (const v of values) {
    m2 += (v - mean) ** 2;
    m3 += (v - mean) ** 3;
  }
  return m2 === 0 ? 0 : m3 / n / (m2 / n) ** 1.5;
}
