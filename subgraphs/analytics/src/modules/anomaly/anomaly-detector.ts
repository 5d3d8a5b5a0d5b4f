/**
 * A causal anomaly detector over a metric's points (pure: no I/O). A point's score, expected value
 * and band use only the points before it, and only those within a bounded history (at most
 * {@link DetectorParameters.historyPoints} points, none older than `historySpan` intervals), so a
 * point gets the same answer whether the series was read live or replayed later from any start
 * that includes its history ({@link historySpanMs} says how far back that is).
 *
 * The model is refitted at fixed instants (every `refreshIntervals` intervals, aligned to the
 * epoch) from the history before that instant: the expected value is the median of the history, or
 * its seasonal profile (the median of the values at the same local hour of the day, or hour of the
 * week) when the history covers two such seasons and the profile explains the values better; the
 * scale is the robust standard deviation of the values around it. A point's surprise is its own
 * deviation and the mean deviation of the last `levelPoints` points (a level shift); its score is
 * how rare such a deviation is in the history itself (1 minus the share of the history at least as
 * far out, approaching 1 beyond all of it), kept only where it exceeds every score of the last
 * `suppressPoints` points, so that one anomaly gives one high score, not a run of them.
 */

import { median, scaleOf } from "./robust-statistics";

/** One point of a metric: its bucket start (ms), value, and local hour of the week (0-167). */
export interface DetectorPoint {
  bucket: number;
  value: number;
  /** The bucket's hour of the week in the query's time zone: day (Monday 0) × 24 + hour. */
  hourOfWeek: number;
}

/** What the detector says of one point. */
export interface DetectorResult {
  /** Null while the history is too short to say. */
  expected: number | null;
  lower: number | null;
  upper: number | null;
  /** 0 to 1: higher is more anomalous. */
  score: number;
  /** Outside [lower, upper]. */
  anomaly: boolean;
}

/** The detector's constants (the defaults are the ones documented and benchmarked). */
export interface DetectorParameters {
  /** Most history points the model is fitted on. */
  historyPoints: number;
  /** Oldest history, in intervals. */
  historySpan: number;
  /** Fewest history points before a point is scored. */
  minHistory: number;
  /** The model is refitted every this many intervals (aligned to the epoch). */
  refreshIntervals: number;
  /** Points whose mean deviation counts as a level shift. */
  levelPoints: number;
  /** A score is kept only when above every score of this many points before it. */
  suppressPoints: number;
  /** What a score not above the recent ones is multiplied by. */
  suppressFactor: number;
}

export const DEFAULT_PARAMETERS: DetectorParameters = {
  historyPoints: 8000,
  historySpan: 40_320,
  minHistory: 12,
  refreshIntervals: 60,
  levelPoints: 3,
  suppressPoints: 1200,
  suppressFactor: 0.1,
};

/** How far before a range its history can reach, in ms (what a replay must read first). */
export function historySpanMs(intervalMs: number, parameters = DEFAULT_PARAMETERS): number {
  // The suppression looks at earlier points' scores, each with its own history.
  return 2 * parameters.historySpan * intervalMs;
}

/** The band's half-width in scales for a sensitivity (0: widest, 1: narrowest). */
export function bandWidth(sensitivity: number): number {
  return 6 - 4.5 * Math.min(1, Math.max(0, sensitivity));
}

interface Model {
  center: number;
  scale: number;
  /** The history's absolute deviations from the model, in scales, ascending. */
  pointTail: Float64Array;
  /** The history's absolute mean deviations over `levelPoints` points, ascending. */
  levelTail: Float64Array;
  /** The expected value by hour of the week, or null without seasonality. */
  profile: ((hourOfWeek: number) => number) | null;
}

const NOTHING: DetectorResult = {
  expected: null,
  lower: null,
  upper: null,
  score: 0,
  anomaly: false,
};

/**
 * Scores every point (ascending buckets; `intervalMs` is the bucket length, a month counting 31
 * days). Each result depends only on the points before it within the history. With `from`, only
 * the points from then on are wanted: those more than a history before it are not scored (their
 * results are empty), which saves the work of replaying a long history; the others are the same.
 */
export function detectAnomalies(
  points: DetectorPoint[],
  intervalMs: number,
  sensitivity = 0.5,
  parameters: DetectorParameters = DEFAULT_PARAMETERS,
  from = -Infinity,
): DetectorResult[] {
  const width = bandWidth(sensitivity);
  const refreshMs = parameters.refreshIntervals * intervalMs;
  const spanMs = parameters.historySpan * intervalMs;
  const results: DetectorResult[] = [];
  const rawScores: number[] = [];
  const deviations: number[] = [];
  let model: Model | null = null;
  let modelAt = Number.NaN;
  // Wanted points read scores up to a history back, each of which reads a few deviations before.
  let first = 0;
  while (first < points.length && points[first].bucket < from - spanMs) first++;
  first = Math.max(0, first - parameters.levelPoints);
  for (let i = 0; i < points.length; i++) {
    const point = points[i];
    if (i < first) {
      rawScores.push(0);
      deviations.push(0);
      results.push(NOTHING);
      continue;
    }
    const at = Math.floor(point.bucket / refreshMs) * refreshMs;
    if (at !== modelAt) {
      modelAt = at;
      model = fitModel(
        historyBefore(points, i, at, spanMs, parameters.historyPoints),
        intervalMs,
        parameters,
      );
    }
    if (!model) {
      rawScores.push(0);
      deviations.push(0);
      results.push(NOTHING);
      continue;
    }
    const expected = model.profile ? model.profile(point.hourOfWeek) : model.center;
    const deviation = (point.value - expected) / model.scale;
    deviations.push(deviation);
    // The mean deviation of the last few points, as far as they lie within this point's history.
    let sum = 0;
    let count = 0;
    for (let j = i; j >= 0 && count < parameters.levelPoints; j--) {
      if (point.bucket - points[j].bucket > spanMs) break;
      sum += deviations[j];
      count++;
    }
    const raw = Math.max(
      tailScore(model.pointTail, Math.abs(deviation)),
      tailScore(model.levelTail, Math.abs(sum / count)),
    );
    rawScores.push(raw);
    let recentMax = 0;
    for (let j = i - 1, n = 0; j >= 0 && n < parameters.suppressPoints; j--, n++) {
      if (point.bucket - points[j].bucket > spanMs) break;
      recentMax = Math.max(recentMax, rawScores[j]);
    }
    const score = raw > recentMax ? raw : raw * parameters.suppressFactor;
    results.push({
      expected,
      lower: expected - width * model.scale,
      upper: expected + width * model.scale,
      score,
      anomaly: Math.abs(deviation) > width,
    });
  }
  return results;
}

/** The values of the history of an instant: points before `at` (and before index `i`), newest last. */
function historyBefore(
  points: DetectorPoint[],
  i: number,
  at: number,
  spanMs: number,
  maxPoints: number,
): DetectorPoint[] {
  let end = i;
  while (end > 0 && points[end - 1].bucket >= at) end--;
  let start = end;
  while (start > 0 && end - start < maxPoints && points[start - 1].bucket >= at - spanMs) start--;
  return points.slice(start, end);
}

function fitModel(
  history: DetectorPoint[],
  intervalMs: number,
  { minHistory, levelPoints }: DetectorParameters,
): Model | null {
  if (history.length < minHistory) return null;
  const values = history.map((point) => point.value);
  const center = median(values);
  const spread = scaleOf(
    values.map((value) => value - center),
    values,
  );
  let model: Omit<Model, "pointTail" | "levelTail"> = { center, scale: spread, profile: null };
  const covered = history[history.length - 1].bucket - history[0].bucket;
  const seasons: [number, number][] = [];
  if (intervalMs < 86_400_000 && covered >= 2 * 86_400_000) seasons.push([24, 1]);
  if (intervalMs < 7 * 86_400_000 && covered >= 14 * 86_400_000) seasons.push([168, 0]);
  for (const [period] of seasons) {
    const slot = (hourOfWeek: number) =>
      period === 24
        ? hourOfWeek % 24
        : intervalMs >= 86_400_000
          ? Math.floor(hourOfWeek / 24)
          : hourOfWeek;
    const bySlot = new Map<number, number[]>();
    for (const point of history) {
      const key = slot(point.hourOfWeek);
      const list = bySlot.get(key);
      if (list) list.push(point.value);
      else bySlot.set(key, [point.value]);
    }
    if ([...bySlot.values()].some((list) => list.length < 2)) continue;
    const medians = new Map([...bySlot].map(([key, list]) => [key, median(list)]));
    const residuals = history.map((point) => point.value - medians.get(slot(point.hourOfWeek))!);
    const scale = scaleOf(residuals, values);
    if (scale < 0.7 * model.scale) {
      model = {
        center,
        scale,
        profile: (hourOfWeek) => medians.get(slot(hourOfWeek)) ?? center,
      };
    }
  }
  const deviations = history.map(
    (point) =>
      (point.value - (model.profile ? model.profile(point.hourOfWeek) : center)) / model.scale,
  );
  const levels: number[] = [];
  let sum = 0;
  for (let j = 0; j < deviations.length; j++) {
    sum += deviations[j];
    if (j >= levelPoints) sum -= deviations[j - levelPoints];
    if (j >= levelPoints - 1) levels.push(Math.abs(sum / levelPoints));
  }
  return {
    ...model,
    pointTail: Float64Array.from(deviations, Math.abs).sort(),
    levelTail: Float64Array.from(levels).sort(),
  };
}

/**
 * 1 − the share of the history at least as far out as `value` (counting this point): a value
 * beyond all of the history scores above 1 − 1/(n+1), closer to 1 the further beyond it is.
 */
function tailScore(sorted: Float64Array, value: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  let low = 0;
  let high = n;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] < value) low = mid + 1;
    else high = mid;
  }
  const atLeast = n - low;
  if (atLeast > 0) return 1 - (atLeast + 1) / (n + 1);
  const max = sorted[n - 1];
  const ratio = max > 0 ? max / value : 0;
  return 1 - (ratio * ratio) / (n + 1);
}
