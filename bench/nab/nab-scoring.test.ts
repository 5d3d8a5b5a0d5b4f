import { asStoredByNab, scaledSigmoid, scoreCorpus, type ScoredSeries } from "./nab-scoring";
import { windowedGaussianScores } from "./windowed-gaussian";

const MINUTE = 60_000;

/** A series of `n` rows, one window [start, end] (row indices), scored by `score(i)`. */
function series(n: number, window: [number, number], score: (i: number) => number): ScoredSeries {
  const timestamps = Array.from({ length: n }, (_, i) => i * MINUTE);
  return {
    name: `s${n}-${window[0]}`,
    timestamps,
    scores: timestamps.map((_, i) => score(i)),
    windows: [[timestamps[window[0]], timestamps[window[1]]]],
  };
}

describe("NAB scoring", () => {
  it("has the documented sigmoid: 0.987 at a window's start, 0 at its end, -1 far past it", () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it("scores the null detector 0 and a detector that fires at each window's start 100", () => {
    const windows: [number, number][] = [
      [400, 450],
      [600, 640],
      [800, 900],
    ];
    const perfect = windows.map((window) => series(1000, window, (i) => (i === window[0] ? 1 : 0)));
    const nothing = windows.map((window) => series(1000, window, () => 0.5));
    for (const profile of ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] as const) {
      expect(scoreCorpus(perfect, profile).normalized).toBeCloseTo(100, 6);
      expect(scoreCorpus(nothing, profile).normalized).toBeCloseTo(0, 6);
    }
  });

  it("charges false positives by profile and rewards early detections more", () => {
    const early = [
      series(1000, [500, 599], (i) => (i === 510 ? 1 : i === 100 || i === 300 ? 0.9 : 0)),
    ];
    const late = [series(1000, [500, 599], (i) => (i === 590 ? 1 : 0))];
    const standard = scoreCorpus(early, "standard");
    expect(standard.threshold).toBe(1);
    expect(standard.tp).toBe(1);
    expect(scoreCorpus(late, "standard").normalized).toBeLessThan(standard.normalized);
    // The rows at 100 and 300 are outside the window; only 300 is past the probation (150 rows).
    const withFp = [series(1000, [500, 599], (i) => (i === 510 || i === 300 ? 1 : 0))];
    const lost = standard.raw - scoreCorpus(withFp, "standard").raw;
    expect(lost).toBeCloseTo(0.11, 6);
    expect(standard.raw - scoreCorpus(withFp, "reward_low_FP_rate").raw).toBeCloseTo(0.22, 6);
  });

  it("reads scores at the 12 significant digits of NAB's results files", () => {
    expect(asStoredByNab(0.9999999999997738)).toBe(1);
    expect(asStoredByNab(0.998235)).toBe(0.998235);
    // The detection in the window scores 1 and the false positive at 300 1 - 2.3e-13: as NAB
    // reads them they tie, so no threshold keeps the detection without the false positive.
    const tied = [series(1000, [500, 599], (i) => (i === 510 ? 1 : i === 300 ? 1 - 2.3e-13 : 0))];
    const result = scoreCorpus(tied, "standard");
    expect(result.threshold).toBe(1);
    expect([result.tp, result.fp]).toEqual([1, 1]);
  });

  it("runs NAB's windowed Gaussian: a value far from the earlier ones scores 1", () => {
    const values = Array.from({ length: 300 }, (_, i) => Math.sin(i));
    values[250] = 50;
    const scores = windowedGaussianScores(values);
    expect(scores[0]).toBe(0);
    expect(scores[250]).toBe(1);
    expect(Math.max(...scores.slice(20, 250))).toBeLessThan(0.999);
  });
});
