import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  columnsOf,
  encode,
  fitEncoder,
  type RawRecord,
} from "../../subgraphs/analytics/src/modules/churn/feature-encoder";
import { fitLogistic } from "../../subgraphs/analytics/src/modules/ml/logistic-regression";
import { matrix } from "../../subgraphs/analytics/src/modules/ml/matrix";
import { prepareFeatures } from "../../subgraphs/analytics/src/modules/segmentation/feature-transform";
import { cpuSeconds } from "./kmeans-check";
import {
  coefficientGap,
  type CoefficientGap,
  type ObjectiveAt,
  type SklearnFit,
} from "./churn-check";
import { syntheticLogistic, writeFloat64, writeVectorCsv } from "./synthetic";
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
    `logistic: fitLogistic ${rows} x ${cols} in ${seconds.map((s) => s.toFixed(2)).join(", ")} s (${model!.iterations} Newton steps)`,
  );
  const outcome: LogisticSpeed = {
    rows,
    cols,
    positives: y.reduce((s, v) => s + v, 0),
    seconds,
    cpuSeconds: cpu,
    cpuShare,
    iterations: model!.iterations,
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

export interface RowLimit {
  what: string;
  /**
   * The largest row count that worked, and the smallest that failed (with its error), or null when
   * every size tried worked.
   */
  largestOk: number;
  smallestFailing: { rows: number; error: string } | null;
}

/**
 * prepareFeatures and fitEncoder take the minimum of a column with `Math.min(...column)`, which
 * passes every value as an argument and overflows the stack past some row count. Finds that
 * count by bisection (up to `maxRows`) on a one-column input.
 */
export function rowLimits(maxRows: number): RowLimit[] {
  const probes: { what: string; call: (rows: number) => void }[] = [
    {
      what: "prepareFeatures (segmentation)",
      call: (rows) => void prepareFeatures(matrix(rows, 1), ["x"]),
    },
    {
      what: "fitEncoder (churn)",
      call: (rows) => {
        const records: RawRecord[] = Array.from({ length: rows }, (_, i) => ({
          numeric: { x: i % 7 },
          categorical: {},
        }));
        encode(columnsOf(records.slice(0, 1)), fitEncoder(columnsOf(records)));
      },
    },
  ];
  return probes.map(({ what, call }) => {
    const attempt = (rows: number): string | undefined => {
      try {
        call(rows);
        return undefined;
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    const top = attempt(maxRows);
    if (top === undefined) return { what, largestOk: maxRows, smallestFailing: null };
    let ok = 1_000;
    let failing = maxRows;
    let failure = top;
    while (failing - ok > Math.max(1, ok * 0.001)) {
      const mid = Math.floor((ok + failing) / 2);
      const error = attempt(mid);
      if (error === undefined) ok = mid;
      else {
        failing = mid;
        failure = error;
      }
    }
    return { what, largestOk: ok, smallestFailing: { rows: failing, error: failure } };
  });
}
