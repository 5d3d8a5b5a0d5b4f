import { matrix, type Matrix } from "../ml/matrix";

/** An encoded column left out because another one stands for it. */
export interface RepresentedFeature {
  /** Its name, as an {@link EncodedFeature} would have had it. */
  name: string;
  /**
   * Its Pearson correlation with the column that stands for it, on the training records: -1 for the
   * other value of a two-valued categorical; beyond {@link COLLINEAR} in magnitude otherwise.
   */
  correlation: number;
}

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
  /**
   * The columns left out of the model because this one stands for them (empty when none): its
   * weight is theirs too, with the sign of the correlation.
   */
  represents: RepresentedFeature[];
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
 * Columns correlated beyond this (in absolute value) on the training records are near-duplicates:
 * only the first is kept.
 */
export const COLLINEAR = 0.98;

/**
 * Learns an encoding from the training records (`rows` of `data`, in that order; every record
 * when omitted): numeric columns log1p-transformed when skewed and standardised, missing values
 * imputed with the mean plus a "missing" indicator column; categorical columns one-hot encoded over
 * their 10 most frequent values, others as "(other)", missing as "(missing)", every column
 * standardised (so weights on them compare). Then, so that each weight means something:
 * - a categorical with two values becomes one column, its less frequent value (on a tie, the later
 *   by name); the other value, its exact opposite, is listed in `represents` (correlation -1);
 * - columns that are constant in the training records (zero variance) are left out, and so are
 *   columns that none of them has;
 * - of columns correlated beyond {@link COLLINEAR} in absolute value on the training records, the
 *   first in this order (numeric inputs by name, each followed by its missing indicator, then the
 *   categorical inputs by name) is kept and lists the others in `represents`: the weight of a
 *   near-duplicate pair would otherwise be split between the two at random, and neither half would
 *   mean anything.
 * Apply it with {@link encode}.
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
          represents: [],
        });
      }
      continue;
    }
    features.push({ name, kind: "numeric", source: name, log, mean, std, represents: [] });
    if (values.length < n) {
      const share = 1 - values.length / n;
      features.push({
        name: `${name} missing`,
        kind: "missing",
        source: name,
        mean: share,
        std: Math.sqrt(share * (1 - share)) || 1,
        represents: [],
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
    // Two values: one column says it all; the rarer value is the one that reads as "having it".
    const encoded =
      categories.length === 2
        ? [
            {
              category: categories[1],
              represents: [{ name: `${name}=${categories[0]}`, correlation: -1 }],
            },
          ]
        : categories.map((category) => ({ category, represents: [] }));
    for (const { category, represents } of encoded) {
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
        represents,
      });
    }
  }
  return dropRedundant(data, selected, features);
}

/**
 * `features` without the columns that are constant on the training records (`rows` of `data`) or
 * correlated beyond {@link COLLINEAR} with an earlier kept one; each dropped near-duplicate is
 * listed in the `represents` of the kept column it correlates with most.
 */
function dropRedundant(
  data: RawColumns,
  rows: ArrayLike<number>,
  features: EncodedFeature[],
): EncodedFeature[] {
  const n = rows.length;
  const buckets = categoryBuckets(data, features);
  const kept: { feature: EncodedFeature; centred: Float64Array; norm: number }[] = [];
  const column = new Float64Array(n);
  for (const feature of features) {
    writeColumn(data, feature, buckets, rows, column, 1, 0);
    let mean = 0;
    for (let k = 0; k < n; k++) mean += column[k];
    mean /= n;
    let squares = 0;
    for (let k = 0; k < n; k++) {
      column[k] -= mean;
      squares += column[k] * column[k];
    }
    const norm = Math.sqrt(squares);
    // Standardised columns have a norm near sqrt(n); rounding leaves a constant one far below.
    if (!(norm > 1e-9 * Math.sqrt(n))) continue;
    let closest: { feature: EncodedFeature; correlation: number } | undefined;
    const consider = (other: (typeof kept)[number], sum: number) => {
      const correlation = sum / (norm * other.norm);
      if (
        Math.abs(correlation) > COLLINEAR &&
        (!closest || Math.abs(correlation) > Math.abs(closest.correlation))
      )
        closest = { feature: other.feature, correlation };
    };
    // Four kept columns a pass, so the candidate is read once per four dot products (the same sums,
    // each added in row order).
    let o = 0;
    for (; o + 4 <= kept.length; o += 4) {
      const [a, b, c, d] = [
        kept[o].centred,
        kept[o + 1].centred,
        kept[o + 2].centred,
        kept[o + 3].centred,
      ];
      let sa = 0,
        sb = 0,
        sc = 0,
        sd = 0;
      for (let k = 0; k < n; k++) {
        const v = column[k];
        sa += v * a[k];
        sb += v * b[k];
        sc += v * c[k];
        sd += v * d[k];
      }
      consider(kept[o], sa);
      consider(kept[o + 1], sb);
      consider(kept[o + 2], sc);
      consider(kept[o + 3], sd);
    }
    for (; o < kept.length; o++) {
      let sum = 0;
      const centred = kept[o].centred;
      for (let k = 0; k < n; k++) sum += column[k] * centred[k];
      consider(kept[o], sum);
    }
    // (Set in `consider`, which TypeScript's narrowing does not follow.)
    const keeper = closest as { feature: EncodedFeature; correlation: number } | undefined;
    if (keeper) {
      keeper.feature.represents.push(
        { name: feature.name, correlation: keeper.correlation },
        // The other value of a dropped two-valued column goes with it (its correlation is -1, so
        // its correlation with the kept column is exactly the opposite).
        ...feature.represents.map((r) => ({
          name: r.name,
          correlation: r.correlation * keeper.correlation,
        })),
      );
      continue;
    }
    kept.push({ feature, centred: column.slice(), norm });
  }
  return kept.map((k) => k.feature);
}

/** Encodes every record with a fitted encoding, standardised, one row per record. */
export function encode(data: RawColumns, features: EncodedFeature[]): Matrix {
  const out = matrix(data.size, features.length);
  const buckets = categoryBuckets(data, features);
  features.forEach((f, j) =>
    writeColumn(data, f, buckets, undefined, out.data, features.length, j),
  );
  return out;
}

/**
 * Per categorical source of `features`, each record's category as the encoding sees it: its value,
 * "(missing)", or "(other)" when the encoding did not keep its value.
 */
function categoryBuckets(data: RawColumns, features: EncodedFeature[]): Map<string, string[]> {
  const n = data.size;
  const none: undefined[] = new Array(n).fill(undefined);
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
  return buckets;
}

/**
 * Writes feature `f`'s standardised value of each record (`rows[k]` for k = 0.., or every record in
 * order when `rows` is undefined) to `out[offset + k * stride]`. A column the records lack
 * altogether reads as missing everywhere.
 */
function writeColumn(
  data: RawColumns,
  f: EncodedFeature,
  buckets: Map<string, string[]>,
  rows: ArrayLike<number> | undefined,
  out: Float64Array,
  stride: number,
  offset: number,
): void {
  const count = rows ? rows.length : data.size;
  const none = () => new Array<undefined>(data.size).fill(undefined);
  if (f.kind === "numeric") {
    const column = data.numeric.get(f.source) ?? none();
    for (let k = 0; k < count; k++) {
      const value = column[rows ? rows[k] : k];
      const raw =
        value === null || value === undefined || !Number.isFinite(value)
          ? NaN
          : f.log
            ? Math.log1p(Math.max(0, value))
            : value;
      out[offset + k * stride] = Number.isNaN(raw) ? 0 : (raw - f.mean) / f.std;
    }
  } else if (f.kind === "missing") {
    const column = data.numeric.get(f.source) ?? none();
    for (let k = 0; k < count; k++) {
      const value = column[rows ? rows[k] : k];
      const raw = value === null || value === undefined || !Number.isFinite(value) ? 1 : 0;
      out[offset + k * stride] = (raw - f.mean) / f.std;
    }
  } else {
    const bucket = buckets.get(f.source)!;
    const one = (1 - f.mean) / f.std;
    const zero = (0 - f.mean) / f.std;
    for (let k = 0; k < count; k++)
      out[offset + k * stride] = bucket[rows ? rows[k] : k] === f.category ? one : zero;
  }
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
