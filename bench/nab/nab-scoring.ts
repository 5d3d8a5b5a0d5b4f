/**
 * The Numenta Anomaly Benchmark's scoring rules, written from its documentation and scorer: every
 * row of a series gets a weight (a scaled sigmoid of its position relative to the labelled
 * windows), a detection inside a window earns the weight of its earliest detection, each missed
 * window costs `fnWeight`, each detection outside the windows costs its (negative) weight times
 * `fpWeight`; the first 15% of each series (at most 750 rows) is not scored. One threshold for the
 * whole corpus is chosen to maximise the profile's total, and the total is normalised so that the
 * null detector scores 0 and a perfect one 100. Scores are read as NAB's results files hold them
 * ({@link asStoredByNab}).
 */

/** A profile's costs (NAB's config/profiles.json). */
export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three application profiles. */
export const NAB_PROFILES: Record<NabProfile, CostMatrix> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};
export type NabProfile = "standard" | "reward_low_FP_rate" | "reward_low_FN_rate";

/** The share of each series not scored, and its cap in rows. */
export const PROBATION_PERCENT = 0.15;
const PROBATION_CAP = PROBATION_PERCENT * 5000;

/** One labelled series with a detector's score (0 to 1) for each row. */
export interface ScoredSeries {
  name: string;
  /** Row times, ascending (ms). */
  timestamps: number[];
  scores: number[];
  /** Anomaly windows, [start, end] row times (ms), each equal to a row's time. */
  windows: [number, number][];
}

/** A row as the sweep sees it: its score, its weight, and the window it is in. */
interface SweepRow {
  score: number;
  weight: number;
  /** `null` outside windows; "probationary" rows are dropped before the sweep. */
  window: string | null;
}

/** 2·sigmoid(-5·x) - 1: 0.987 at the start of a window (-1), 0 at its end (0), -1 from 3 on. */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition >= 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

/**
 * A score as NAB's optimiser and scorer see it: its detectors wrote their scores into results CSVs
 * with Python 2's `str()` (12 significant digits), which NAB reads back, so 0.99999999999977 is 1
 * there. NAB's published scores are of scores stored that way.
 */
export function asStoredByNab(score: number): number {
  return Number(score.toPrecision(12));
}

function probationaryLength(rows: number): number {
  return Math.min(Math.floor(PROBATION_PERCENT * rows), PROBATION_CAP);
}

/** Each scorable row's weight under a profile (NAB's sweep scores). */
function sweepRows(series: ScoredSeries, costs: CostMatrix): SweepRow[] {
  const { timestamps, scores } = series;
  const index = new Map(timestamps.map((t, i) => [t, i]));
  const windows = [...series.windows];
  const maxTp = scaledSigmoid(-1);
  const probation = probationaryLength(timestamps.length);
  const rows: SweepRow[] = [];
  let current: { name: string; right: number; width: number; end: number } | null = null;
  let previous: { right: number; width: number } | null = null;
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (windows.length && t === windows[0][0]) {
      const [start, end] = windows.shift()!;
      const right = index.get(end)!;
      current = {
        name: `${series.name}|${start}`,
        right,
        width: right - index.get(start)! + 1,
        end,
      };
    }
    let weight: number;
    if (current) {
      weight = (scaledSigmoid(-(current.right - i + 1) / current.width) * costs.tpWeight) / maxTp;
    } else {
      const unweighted = previous
        ? scaledSigmoid(Math.abs(previous.right - i) / (previous.width - 1))
        : -1;
      weight = unweighted * costs.fpWeight;
    }
    if (i >= probation)
      rows.push({ score: asStoredByNab(scores[i]), weight, window: current?.name ?? null });
    if (current && t === current.end) {
      previous = { right: i, width: current.width };
      current = null;
    }
  }
  return rows;
}

/** A threshold and the profile's raw total with it. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  fp: number;
}

/**
 * The raw total at every distinct threshold (rows scoring at least the threshold are
 * detections), from above the highest score (nothing detected: every window missed) down.
 */
function scoresByThreshold(rows: SweepRow[], costs: CostMatrix): ThresholdScore[] {
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  const windowParts = new Map<string, number>();
  for (const row of sorted) if (row.window !== null) windowParts.set(row.window, -costs.fnWeight);
  let windowTotal = -costs.fnWeight * windowParts.size;
  let fpTotal = 0;
  let threshold = 1.1;
  let tp = 0;
  let fp = 0;
  const out: ThresholdScore[] = [];
  for (const row of sorted) {
    if (row.score !== threshold) {
      out.push({ threshold, score: windowTotal + fpTotal, tp, fp });
      threshold = row.score;
    }
    if (row.window === null) {
      fp++;
      fpTotal += row.weight;
    } else {
      tp++;
      const part = windowParts.get(row.window)!;
      if (row.weight > part) {
        windowTotal += row.weight - part;
        windowParts.set(row.window, row.weight);
      }
    }
  }
  out.push({ threshold, score: windowTotal + fpTotal, tp, fp });
  return out;
}

/** A detector's result under one profile. */
export interface ProfileResult {
  profile: NabProfile;
  /** The corpus-wide threshold that maximises the raw total. */
  threshold: number;
  raw: number;
  /** 100 · (raw − null) / (perfect − null). */
  normalized: number;
  tp: number;
  fp: number;
}

/** The null detector's raw total (a constant 0.5 everywhere), the normalisation's zero. */
export function nullScore(corpus: ScoredSeries[], costs: CostMatrix): number {
  const nulls = corpus.map((series) => ({ ...series, scores: series.scores.map(() => 0.5) }));
  return best(nulls, costs).score;
}

function best(corpus: ScoredSeries[], costs: CostMatrix): ThresholdScore {
  const rows = corpus.flatMap((series) => sweepRows(series, costs));
  return scoresByThreshold(rows, costs).reduce((a, b) => (b.score > a.score ? b : a));
}

/**
 * Scores a detector's output on the corpus under one profile, as NAB's optimiser and scorer do:
 * the best single threshold for the corpus, its raw total, and that total normalised with the
 * null detector and a perfect one (every labelled window found at its start: `tpWeight` each).
 */
export function scoreCorpus(corpus: ScoredSeries[], profile: NabProfile): ProfileResult {
  const costs = NAB_PROFILES[profile];
  const chosen = best(corpus, costs);
  const base = nullScore(corpus, costs);
  const perfect = corpus.reduce((sum, series) => sum + series.windows.length, 0) * costs.tpWeight;
  return {
    profile,
    threshold: chosen.threshold,
    raw: chosen.score,
    normalized: (100 * (chosen.score - base)) / (perfect - base),
    tp: chosen.tp,
    fp: chosen.fp,
  };
}
