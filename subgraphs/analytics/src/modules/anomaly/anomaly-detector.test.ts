import { SeededRandom } from "#kit/random";
import {
  DEFAULT_PARAMETERS,
  detectAnomalies,
  historySpanMs,
  type DetectorPoint,
} from "./anomaly-detector";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 5); // a Monday

function hourly(values: number[], start = START, step = HOUR): DetectorPoint[] {
  return values.map((value, i) => {
    const bucket = start + i * step;
    const date = new Date(bucket);
    return { bucket, value, hourOfWeek: ((date.getUTCDay() + 6) % 7) * 24 + date.getUTCHours() };
  });
}

function noisySeasonal(random: SeededRandom, n: number): number[] {
  return Array.from(
    { length: n },
    (_, i) =>
      100 + 40 * Math.sin((2 * Math.PI * (i % 24)) / 24) + Math.log(random.logNormal(1, 1)) * 3,
  );
}

const params = { ...DEFAULT_PARAMETERS, historySpan: 2016, refreshIntervals: 6 };

describe("the anomaly detector", () => {
  it("is causal: appending buckets never changes the results of earlier ones", () => {
    const random = new SeededRandom(7);
    const points = hourly(noisySeasonal(random, 600));
    const full = detectAnomalies(points, HOUR, 0.5, params);
    for (const cut of [13, 50, 199, 431, 599]) {
      expect(detectAnomalies(points.slice(0, cut), HOUR, 0.5, params)).toEqual(full.slice(0, cut));
    }
  });

  it("gives the same answer replayed from any start that includes the history", () => {
    const random = new SeededRandom(11);
    const small = { ...params, historySpan: 100, historyPoints: 80 };
    const points = hourly(noisySeasonal(random, 700));
    const full = detectAnomalies(points, HOUR, 0.5, small);
    const reach = historySpanMs(HOUR, small) / HOUR;
    for (const from of [250, 400, 555]) {
      const replay = detectAnomalies(points.slice(from - reach), HOUR, 0.5, small);
      expect(replay.slice(reach)).toEqual(full.slice(from));
    }
  });

  it("skips what a range does not need, and gives the same results for the rest", () => {
    const small = { ...params, historySpan: 100, historyPoints: 80 };
    const points = hourly(noisySeasonal(new SeededRandom(13), 600));
    const full = detectAnomalies(points, HOUR, 0.5, small);
    const from = points[450].bucket;
    const wanted = detectAnomalies(points, HOUR, 0.5, small, from);
    expect(wanted.slice(450)).toEqual(full.slice(450));
    expect(wanted.slice(0, 200).every((result) => result.expected === null)).toBe(true);
  });

  it("says nothing while the history is too short, and scores between 0 and 1", () => {
    const results = detectAnomalies(hourly(noisySeasonal(new SeededRandom(3), 300)), HOUR);
    expect(results.slice(0, DEFAULT_PARAMETERS.minHistory)).toEqual(
      Array(DEFAULT_PARAMETERS.minHistory).fill({
        expected: null,
        lower: null,
        upper: null,
        score: 0,
        anomaly: false,
      }),
    );
    for (const result of results) {
      expect(result.score).toBeGreaterThanOrEqual(0);
      expect(result.score).toBeLessThanOrEqual(1);
    }
  });

  it("learns the hour of the day: a value normal at noon is an anomaly at midnight", () => {
    const random = new SeededRandom(5);
    const values = noisySeasonal(random, 24 * 10);
    // Hour 6 is the peak (140); put a peak value at hour 18 (the trough, 60) on the last day.
    const at = 24 * 9 + 18;
    values[at] = 140;
    const results = detectAnomalies(hourly(values), HOUR, 0.5, params);
    expect(results[at].anomaly).toBe(true);
    expect(results[at].expected!).toBeCloseTo(60, -1);
    expect(results[24 * 9 + 6].anomaly).toBe(false);
    expect(results[24 * 9 + 6].expected!).toBeCloseTo(140, -1);
    const normal = results.slice(24 * 3, at).filter((result) => result.anomaly).length;
    expect(normal).toBeLessThan(5);
    expect(results[at].score).toBeGreaterThan(
      Math.max(...results.slice(24 * 3, at).map((result) => result.score)),
    );
  });

  it("takes series with missing buckets (only buckets with events) and flags a spike", () => {
    const random = new SeededRandom(9);
    const points = hourly(noisySeasonal(random, 24 * 8)).filter(() => random.next() > 0.3);
    const spike = points.length - 3;
    points[spike] = { ...points[spike], value: points[spike].value + 200 };
    const results = detectAnomalies(points, HOUR, 0.5, params);
    expect(results[spike].anomaly).toBe(true);
    expect(results[spike].score).toBe(Math.max(...results.map((result) => result.score)));
  });

  it("narrows the band as sensitivity grows", () => {
    const points = hourly(noisySeasonal(new SeededRandom(1), 200));
    const low = detectAnomalies(points, HOUR, 0, params).at(-1)!;
    const high = detectAnomalies(points, HOUR, 1, params).at(-1)!;
    expect(high.upper! - high.lower!).toBeLessThan(low.upper! - low.lower!);
    expect(high.expected).toBe(low.expected);
  });
});
