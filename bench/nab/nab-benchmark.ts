import path from "node:path";
import { performance } from "node:perf_hooks";
import type { BenchContext } from "../harness/context";
import { graphql } from "../harness/http-client";
import { signUpOrganization } from "../harness/organization";
import { REPO_ROOT } from "../harness/paths";
import type { BenchOutcome, ResultRow } from "../harness/report";
import { readNabCorpus, type NabSeries } from "./nab-corpus";
import { NAB_PROFILES, scoreCorpus, type NabProfile, type ScoredSeries } from "./nab-scoring";
import { windowedGaussianScores } from "./windowed-gaussian";
import { detectAnomalies } from "../../subgraphs/analytics/src/modules/anomaly/anomaly-detector";
import {
  hourOfWeek,
  parametersFor,
} from "../../subgraphs/analytics/src/modules/anomaly/anomaly-series";
import { Interval } from "../../subgraphs/analytics/src/modules/timeseries/interval";

/** Where the vendored corpus is (bench/data/nab, NAB's MIT license beside it). */
export const NAB_DIR = path.join(REPO_ROOT, "bench", "data", "nab");

/** NAB's published scores (its scoreboard) of the detectors the report sets ours beside. */
export const NAB_SCOREBOARD: Record<string, Record<NabProfile, number>> = {
  "Numenta HTM": { standard: 70.5, reward_low_FP_rate: 62.6, reward_low_FN_rate: 75.2 },
  "Random Cut Forest": { standard: 51.7, reward_low_FP_rate: 38.4, reward_low_FN_rate: 59.7 },
  "Twitter ADVec": { standard: 47.1, reward_low_FP_rate: 33.6, reward_low_FN_rate: 53.5 },
  "windowed Gaussian": { standard: 39.6, reward_low_FP_rate: 20.9, reward_low_FN_rate: 47.4 },
  random: { standard: 11.0, reward_low_FP_rate: 1.2, reward_low_FN_rate: 19.5 },
};

const PROFILES: NabProfile[] = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"];
const MINUTE = 60_000;
/** The most buckets one `anomalies` call may cover (the API's limit). */
const CHUNK_MINUTES = 4_999;
const BATCH = 5_000;

const TRACK = `mutation Track($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`;
const DEFINE = `mutation { defineMetric(input: { name: "nab_value", eventType: "nab", aggregation: AVG }) { name } }`;
const ANOMALIES = `query Anomalies($from: DateTime!, $to: DateTime!) {
  anomalies(metric: "nab_value", from: $from, to: $to, interval: MINUTE) { bucket score } }`;

/**
 * Streams one series through the gateway into an organization of its own (`trackEvents`, one
 * event per row with the row's value), then reads its scores back with `anomalies` by MINUTE
 * (an average: one point per row), in ranges of at most 4999 minutes: each row's score.
 */
async function scoreThroughApi(ctx: BenchContext, series: NabSeries): Promise<number[]> {
  const organization = await signUpOrganization(ctx.gatewayUrl, "nab");
  const authorization = `Bearer ${organization.accessToken}`;
  await graphql(ctx.gatewayUrl, DEFINE, {}, authorization);
  for (let i = 0; i < series.values.length; i += BATCH) {
    const events = series.values.slice(i, i + BATCH).map((value, j) => ({
      id: `nab-${i + j}`,
      type: "nab",
      timestamp: new Date(series.timestamps[i + j]).toISOString(),
      value,
    }));
    const result = await graphql<{
      trackEvents: { accepted: number; rejected: { reason: string }[] };
    }>(ctx.gatewayUrl, TRACK, { events }, authorization, 120_000);
    if (result.trackEvents.rejected.length)
      throw new Error(`${series.name}: rejected ${result.trackEvents.rejected[0].reason}`);
  }
  const scores = new Map<number, number>();
  const first = Math.floor(series.timestamps[0] / MINUTE) * MINUTE;
  const end = Math.floor(series.timestamps.at(-1)! / MINUTE) * MINUTE + MINUTE;
  for (let from = first; from < end; from += CHUNK_MINUTES * MINUTE) {
    const to = Math.min(end, from + CHUNK_MINUTES * MINUTE);
    const data = await graphql<{ anomalies: { bucket: string; score: number }[] }>(
      ctx.gatewayUrl,
      ANOMALIES,
      { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      authorization,
      300_000,
    );
    for (const point of data.anomalies) scores.set(Date.parse(point.bucket), point.score);
  }
  return series.timestamps.map((t) => scores.get(Math.floor(t / MINUTE) * MINUTE) ?? 0);
}

/**
 * The same detector run here on the CSV (rows averaged per minute, as the AVG metric does): what
 * the API must answer, to check the path through events, rollups and `anomalies`.
 */
export function scoreOffline(series: NabSeries): number[] {
  const sums = new Map<number, { sum: number; n: number }>();
  series.timestamps.forEach((t, i) => {
    const bucket = Math.floor(t / MINUTE) * MINUTE;
    const entry = sums.get(bucket) ?? { sum: 0, n: 0 };
    entry.sum += series.values[i];
    entry.n += 1;
    sums.set(bucket, entry);
  });
  const buckets = [...sums.keys()].sort((a, b) => a - b);
  const results = detectAnomalies(
    buckets.map((bucket) => ({
      bucket,
      value: sums.get(bucket)!.sum / sums.get(bucket)!.n,
      hourOfWeek: hourOfWeek(bucket, "UTC"),
    })),
    MINUTE,
    0.5,
    parametersFor(Interval.MINUTE),
  );
  const score = new Map(buckets.map((bucket, i) => [bucket, results[i].score]));
  return series.timestamps.map((t) => score.get(Math.floor(t / MINUTE) * MINUTE)!);
}

/**
 * `npm run bench -- nab`: the Numenta Anomaly Benchmark. First NAB's windowed Gaussian, run here on
 * the whole corpus's CSVs and scored by our reimplementation of NAB's scoring, must land within 1
 * point of each of its published scores (which checks the scoring); then every series goes through
 * the API as events and is scored from `anomalies`, under NAB's three profiles.
 * `BENCH_NAB_ONLY=a,b` sends only the series whose name holds one of the strings through the API (a
 * subset: those scores are then not comparable to NAB's; the windowed Gaussian check still runs on
 * every series).
 */
export async function runNabBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  const only = (process.env.BENCH_NAB_ONLY ?? "").split(",").filter(Boolean);
  const whole = readNabCorpus(NAB_DIR);
  const corpus = only.length ? readNabCorpus(NAB_DIR, only) : whole;
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const subset = only.length ? ` (subset: ${corpus.length} series)` : "";
  const gaussian: ScoredSeries[] = whole.map((series) => ({
    ...series,
    scores: windowedGaussianScores(series.values),
  }));
  for (const profile of PROFILES) {
    const reproduced = scoreCorpus(gaussian, profile);
    const published = NAB_SCOREBOARD["windowed Gaussian"][profile];
    rows.push({
      benchmark: "nab",
      target: `windowed Gaussian reproduces NAB's ${profile} ${published} within 1`,
      measured: reproduced.normalized.toFixed(1),
      reference: String(published),
      met: Math.abs(reproduced.normalized - published) <= 1 ? "yes" : "no",
    });
  }

  const started = performance.now();
  const scored: ScoredSeries[] = [];
  let rowsSent = 0;
  let differing = 0;
  for (const [i, series] of corpus.entries()) {
    ctx.log(`nab: ${i + 1}/${corpus.length} ${series.name} (${series.values.length} rows)`);
    const scores = await scoreThroughApi(ctx, series);
    const offline = scoreOffline(series);
    differing += scores.filter((score, j) => Math.abs(score - offline[j]) > 1e-9).length;
    scored.push({ ...series, scores });
    rowsSent += series.values.length;
  }
  const seconds = (performance.now() - started) / 1000;
  for (const profile of PROFILES) {
    const result = scoreCorpus(scored, profile);
    const target = profile === "standard" ? 52 : null;
    rows.push({
      benchmark: "nab",
      target: `${profile} score${target ? ` ≥ ${target}` : ""}${subset}`,
      measured: result.normalized.toFixed(1),
      reference: `RCF ${NAB_SCOREBOARD["Random Cut Forest"][profile]}, HTM ${NAB_SCOREBOARD["Numenta HTM"][profile]}`,
      met: target === null || only.length ? "—" : result.normalized >= target ? "yes" : "no",
    });
    notes.push(
      `nab: ${profile}: threshold ${result.threshold.toFixed(6)}, raw ${result.raw.toFixed(2)}, ${result.tp} detections in windows and ${result.fp} outside (costs ${JSON.stringify(NAB_PROFILES[profile])}).`,
    );
  }
  notes.push(
    `nab: ${corpus.length} series, ${rowsSent} rows streamed through trackEvents and scored through anomalies in ${seconds.toFixed(0)} s; NAB's scoreboard (standard): ${Object.entries(
      NAB_SCOREBOARD,
    )
      .map(([name, scores]) => `${name} ${scores.standard}`)
      .join(", ")}.`,
  );
  notes.push(
    `nab: the API's scores equal the detector run on the CSVs for ${rowsSent - differing} of ${rowsSent} rows.`,
  );
  return { rows, notes };
}
