import { readNabCorpus } from "../nab-corpus";
import { scoreCorpus } from "../nab-scoring";
import { detectAnomalies, DEFAULT_PARAMETERS } from "../../../subgraphs/analytics/src/modules/anomaly/anomaly-detector";
const corpus = readNabCorpus(process.argv[2], process.argv.slice(4));
const params = { ...DEFAULT_PARAMETERS, ...JSON.parse(process.argv[3] ?? "{}") };
const started = Date.now();
const scored = corpus.map((s) => {
  const pts = s.timestamps.map((t, i) => { const d = new Date(t); return { bucket: Math.floor(t / 60000) * 60000, value: s.values[i], hourOfWeek: ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours() }; });
  return { ...s, scores: detectAnomalies(pts, 60000, 0.5, params).map((r) => r.score) };
});
console.log("detect ms", Date.now() - started);
for (const p of ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] as const) { const r = scoreCorpus(scored, p); console.log(p, r.normalized.toFixed(2), r.threshold, r.tp, r.fp); }
