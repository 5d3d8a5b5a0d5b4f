import path from "node:path";
import { performance } from "node:perf_hooks";
import { encode, fitEncoder } from "../../subgraphs/analytics/src/modules/ml/feature-encoder";
import { rocAuc, stratifiedSplit } from "../../subgraphs/analytics/src/modules/ml/evaluation";
import {
  fitLogistic,
  predictProbabilities,
  type LogisticSolver,
} from "../../subgraphs/analytics/src/modules/ml/logistic-regression";
import { matrix, type Matrix } from "../../subgraphs/analytics/src/modules/ml/matrix";
import { cpuSeconds } from "./kmeans-check";
import {
  coefficientGap,
  type CoefficientGap,
  type ObjectiveAt,
  type SklearnFit,
} from "./churn-check";
import {
  syntheticLogistic,
  syntheticWideCustomers,
  WIDE_SHAPE,
  writeFloat64,
  writeVectorCsv,
} from "./synthetic";
import { log, pythonJson, type Availability, type PythonTool } from "./tools";

export interface LogisticSpeed {
  rows: number;
  cols: number;
  positives: number;
  /**
   * Wall-clock seconds of each fitLogistic call (the fit alone: no data loading, encoding or
   * storing).
   */
  seconds: number[];
  /** CPU seconds of each timed fit: what the wall time would be with a core to itself. */
  cpuSeconds: number[];
  /**
   * CPU time this process got / wall time, over the timed fits: about 1 when it had a core to
   * itself.
   */
  cpuShare: number;
  iterations: number;
  solver: LogisticSolver;
  sklearn: Availability<{
    default: Omit<SklearnFit, "auc"> & { gap: CoefficientGap };
    tight: Omit<SklearnFit, "auc"> & { gap: CoefficientGap };
    ours: ObjectiveAt;
  }>;
}

/**
 * Times our fitLogistic on `rows` synthetic customers x `cols` features; scikit-learn fits the same
 * matrix for reference.
 */
export async function logisticSpeed(options: {
  rows: number;
  cols: number;
  timedRuns: number;
  dir: string;
  python: Availability<PythonTool>;
}): Promise<LogisticSpeed> {
  const { rows, cols, dir } = options;
  log(`logistic: generating ${rows.toLocaleString("en-US")} x ${cols} synthetic customers...`);
  const { x, y } = syntheticLogistic(rows, cols, 7);
  const seconds: number[] = [];
  const cpu: number[] = [];
  let model: ReturnType<typeof fitLogistic> | undefined;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let run = 0; run < options.timedRuns; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    model = fitLogistic(x, y, { l2: 1 });
    seconds.push((performance.now() - started) / 1000);
    cpu.push(cpuSeconds(process.cpuUsage(cpuStarted)));
  }
  const cpuShare =
    cpuSeconds(process.cpuUsage(cpuBefore)) / ((performance.now() - wallBefore) / 1000);
  log(
    `logistic: fitLogistic ${rows} x ${cols} in ${seconds.map((s) => s.toFixed(2)).join(", ")} s (${model!.iterations} ${model!.solver} iterations)`,
  );
  const outcome: LogisticSpeed = {
    rows,
    cols,
    positives: y.reduce((s, v) => s + v, 0),
    seconds,
    cpuSeconds: cpu,
    cpuShare,
    iterations: model!.iterations,
    solver: model!.solver,
    sklearn: options.python.ok
      ? { ok: false, reason: "not run" }
      : { ok: false, reason: options.python.reason },
  };
  if (!options.python.ok) return outcome;
  const xFile = path.join(dir, `logistic-${rows}x${cols}.f64`);
  const yFile = path.join(dir, `logistic-${rows}-labels.f64`);
  await writeFloat64(xFile, x.data);
  await writeFloat64(yFile, y);
  const coefFile = path.join(dir, `logistic-${rows}-our-coefficients.csv`);
  await writeVectorCsv(coefFile, "intercept_then_weights", [model!.intercept, ...model!.weights]);
  try {
    const sklearn = await pythonJson<{
      default: Omit<SklearnFit, "auc">;
      tight: Omit<SklearnFit, "auc">;
      ours: ObjectiveAt;
    }>(options.python.value, [
      "logistic-binary",
      "--x",
      xFile,
      "--y",
      yFile,
      "--rows",
      String(rows),
      "--cols",
      String(cols),
      "--our-coef",
      coefFile,
      "--C",
      "1",
    ]);
    const names = Array.from({ length: cols }, (_, j) => `x${j}`);
    outcome.sklearn = {
      ok: true,
      value: {
        default: { ...sklearn.default, gap: coefficientGap(names, model!, sklearn.default) },
        tight: { ...sklearn.tight, gap: coefficientGap(names, model!, sklearn.tight) },
        ours: sklearn.ours,
      },
    };
    log(`logistic: scikit-learn fit the same matrix in ${sklearn.default.fitSeconds.toFixed(2)} s`);
  } catch (error) {
    outcome.sklearn = { ok: false, reason: (error as Error).message };
  }
  return outcome;
}

/** Timings of `runs` calls of `call`: wall and CPU seconds of each, and CPU / wall over all. */
function timed<T>(
  runs: number,
  call: () => T,
): {
  result: T;
  seconds: number[];
  cpuSeconds: number[];
  cpuShare: number;
} {
  const seconds: number[] = [];
  const cpu: number[] = [];
  let result!: T;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    result = call();
    seconds.push((performance.now() - started) / 1000);
    cpu.push(cpuSeconds(process.cpuUsage(cpuStarted)));
  }
  const cpuShare =
    cpuSeconds(process.cpuUsage(cpuBefore)) / ((performance.now() - wallBefore) / 1000);
  return { result, seconds, cpuSeconds: cpu, cpuShare };
}

export interface WideLogistic {
  rows: number;
  trainRows: number;
  testRows: number;
  positives: number;
  /** Raw inputs (numeric and categorical) given to the encoder. */
  rawInputs: number;
  /** Encoded features, after the encoder's rules. */
  features: number;
  /** The encoded columns left out because a kept one stands for them, with that one. */
  represented: { feature: string; by: string; correlation: number }[];
  /** fitEncoder on the train part and encode of every row, once. */
  encode: { seconds: number; cpuSeconds: number };
  /** The fit alone (`fitLogistic` with the solver "auto" picks), timed runs. */
  fit: { seconds: number[]; cpuSeconds: number[]; cpuShare: number };
  solver: LogisticSolver;
  iterations: number;
  /** Held-out ROC-AUC of our fit (our rocAuc). */
  auc: number;
  /** Newton's method on the same train matrix, once, for reference. */
  newton: {
    seconds: number;
    cpuSeconds: number;
    iterations: number;
    auc: number;
    /** max |w_newton - w_auto| over the weights. */
    maxWeightGap: number;
  };
  sklearn: Availability<{
    default: Omit<SklearnFit, "auc"> & {
      auc: number;
      singleThreadSeconds: number;
      gap: CoefficientGap;
    };
    tight: Omit<SklearnFit, "auc"> & { auc: number; gap: CoefficientGap };
    aucOfOurScores: number;
    ours: ObjectiveAt;
  }>;
}

function rowsOf(all: Matrix, indexes: number[]): Matrix {
  const m = matrix(indexes.length, all.cols);
  indexes.forEach((row, i) =>
    m.data.set(all.data.subarray(row * all.cols, (row + 1) * all.cols), i * all.cols),
  );
  return m;
}

/**
 * A wide encoding as trainChurnModel builds it: {@link syntheticWideCustomers} (`rows` customers),
 * the seeded stratified 80/20 split, `fitEncoder` on the train part and `encode` (timed once),
 * then `fitLogistic` on the train part as the training calls it (solver "auto"; timed `timedRuns`
 * times) and the held-out ROC-AUC. Newton's method fits the same matrix once for reference, and
 * scikit-learn's `LogisticRegression(C=1)` fits the same train matrix and is scored on the same
 * held-out rows.
 */
export async function wideLogistic(options: {
  rows: number;
  timedRuns: number;
  dir: string;
  python: Availability<PythonTool>;
}): Promise<WideLogistic> {
  const { rows, dir } = options;
  log(`wide: generating ${rows.toLocaleString("en-US")} customers of raw inputs...`);
  const { columns, labels } = syntheticWideCustomers(rows, 11);
  const { train, test } = stratifiedSplit(labels, 0.2, 1);
  const encoding = timed(1, () => {
    const encoder = fitEncoder(columns, train);
    return { encoder, all: encode(columns, encoder) };
  });
  const { encoder, all } = encoding.result;
  if (all.cols !== WIDE_SHAPE.features)
    throw new Error(`The wide set encodes to ${all.cols} features, not ${WIDE_SHAPE.features}.`);
  const xTrain = rowsOf(all, train);
  const xTest = rowsOf(all, test);
  const yTrain = Uint8Array.from(train, (i) => labels[i]);
  const yTest = Uint8Array.from(test, (i) => labels[i]);
  log(
    `wide: ${all.cols} encoded features (${encoding.seconds[0].toFixed(2)} s); fitLogistic on ${train.length} x ${all.cols}...`,
  );
  const fit = timed(options.timedRuns, () => fitLogistic(xTrain, yTrain, { l2: 1 }));
  const model = fit.result;
  const scores = predictProbabilities(model, xTest);
  const auc = rocAuc(yTest, scores);
  log(
    `wide: ${model.solver} in ${fit.seconds.map((v) => v.toFixed(2)).join(", ")} s (${model.iterations} iterations), AUC ${auc.toFixed(6)}; Newton once for reference...`,
  );
  const newtonRun = timed(1, () => fitLogistic(xTrain, yTrain, { l2: 1, solver: "newton" }));
  const newton = newtonRun.result;
  const outcome: WideLogistic = {
    rows,
    trainRows: train.length,
    testRows: test.length,
    positives: labels.reduce((sum, v) => sum + v, 0),
    rawInputs: columns.numeric.size + columns.categorical.size,
    features: all.cols,
    represented: encoder.flatMap((f) =>
      f.represents.map((r) => ({ feature: r.name, by: f.name, correlation: r.correlation })),
    ),
    encode: { seconds: encoding.seconds[0], cpuSeconds: encoding.cpuSeconds[0] },
    fit: { seconds: fit.seconds, cpuSeconds: fit.cpuSeconds, cpuShare: fit.cpuShare },
    solver: model.solver,
    iterations: model.iterations,
    auc,
    newton: {
      seconds: newtonRun.seconds[0],
      cpuSeconds: newtonRun.cpuSeconds[0],
      iterations: newton.iterations,
      auc: rocAuc(yTest, predictProbabilities(newton, xTest)),
      maxWeightGap: Math.max(...model.weights.map((w, j) => Math.abs(w - newton.weights[j]))),
    },
    sklearn: options.python.ok
      ? { ok: false, reason: "not run" }
      : { ok: false, reason: options.python.reason },
  };
  if (!options.python.ok) return outcome;
  const file = (name: string) => path.join(dir, `wide-${name}.f64`);
  await writeFloat64(file("x-train"), xTrain.data);
  await writeFloat64(file("y-train"), yTrain);
  await writeFloat64(file("x-test"), xTest.data);
  await writeFloat64(file("y-test"), yTest);
  await writeFloat64(file("our-scores"), scores);
  const coefFile = path.join(dir, "wide-our-coefficients.csv");
  await writeVectorCsv(coefFile, "intercept_then_weights", [model.intercept, ...model.weights]);
  try {
    const sklearn = await pythonJson<{
      default: Omit<SklearnFit, "auc"> & { auc: number; singleThreadSeconds: number };
      tight: Omit<SklearnFit, "auc"> & { auc: number };
      aucOfOurScores: number;
      ours: ObjectiveAt;
    }>(options.python.value, [
      "logistic-binary",
      "--x",
      file("x-train"),
      "--y",
      file("y-train"),
      "--rows",
      String(train.length),
      "--cols",
      String(all.cols),
      "--x-test",
      file("x-test"),
      "--y-test",
      file("y-test"),
      "--test-rows",
      String(test.length),
      "--our-scores",
      file("our-scores"),
      "--our-coef",
      coefFile,
      "--C",
      "1",
      "--single-thread",
    ]);
    const names = encoder.map((f) => f.name);
    outcome.sklearn = {
      ok: true,
      value: {
        default: { ...sklearn.default, gap: coefficientGap(names, model, sklearn.default) },
        tight: { ...sklearn.tight, gap: coefficientGap(names, model, sklearn.tight) },
        aucOfOurScores: sklearn.aucOfOurScores,
        ours: sklearn.ours,
      },
    };
    log(
      `wide: scikit-learn AUC ${sklearn.default.auc.toFixed(6)} in ${sklearn.default.fitSeconds.toFixed(2)} s (${sklearn.default.singleThreadSeconds.toFixed(2)} s on 1 thread)`,
    );
  } catch (error) {
    outcome.sklearn = { ok: false, reason: (error as Error).message };
  }
  return outcome;
}
