import { readNabCorpus } from "../nab-corpus";
import { scoreCorpus } from "../nab-scoring";
import { windowedGaussianScores } from "../windowed-gaussian";
const corpus = readNabCorpus(process.argv[2]);
const scored = corpus.map((s) => ({ ...s, scores: windowedGaussianScores(s.values) }));
for (const p of ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] as const) console.log(scoreCorpus(scored, p));
