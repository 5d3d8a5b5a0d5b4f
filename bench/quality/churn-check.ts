import { mkdir } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { startStack } from "../../stack/start-stack";
import { importCustomers, type ImportSummary } from "../../cli/import/import-customers";
import { fetchCustomerProfiles } from "../../subgraphs/analytics/src/modules/features/customer-profiles";
import { encode, fitEncoder } from "../../subgraphs/analytics/src/modules/ml/feature-encoder";
import { buildChurnDataset } from "../../subgraphs/analytics/src/modules/churn/train-churn-model";
import { rocAuc, stratifiedSplit } from "../../subgraphs/analytics/src/modules/ml/evaluation";
import {
  fitLogistic,
  predictProbabilities,
} from "../../subgraphs/analytics/src/modules/ml/logistic-regression";
import { matrix, type Matrix } from "../../subgraphs/analytics/src/modules/ml/matrix";
import { withDatabase } from "#kit/database/database-url";
import { startEmbeddedPostgres } from "#dev/embedded-postgres";
import { freePort } from "#kit/http/ports";
import { writeMatrixCsv, writeVectorCsv } from "./synthetic";
import { log, pythonJson, type Availability, type ChurnCsv, type PythonTool } from "./tools";
import { graphql } from "../harness/http-client";

/** What `trainChurnModel(input: { seed: 1 })` uses: the resolver's l2 and horizon defaults. */
export const CHURN_PARAMETERS = { horizonDays: 90, cutoff: null, seed: 1, l2: 1 } as const;

/**
 * The penalised negative log-likelihood at a fit, and its largest gradient component (computed in
 * numpy on the train set).
 */
export interface ObjectiveAt {
  objective: number;
  maxGradient: number;
}

export interface SklearnFit extends ObjectiveAt {
  intercept: number;
  coef: number[];
  iterations: number;
  fitSeconds: number;
  auc: number;
}

interface SklearnLogistic {
  trainRows: number;
  testRows: number;
  cols: number;
  default: SklearnFit;
  tight: SklearnFit;
  aucOfOurScores?: number;
  ours: ObjectiveAt;
}

/** How far two fitted models are apart. */
export interface CoefficientGap {
  /** max |w_ours - w_sklearn| over the weights (not the intercept). */
  weights: number;
  intercept: number;
  /** The feature where the weights differ most. */
  worstFeature: string;
  /** The three largest differences, largest first. */
  top: { feature: string; ours: number; sklearn: number }[];
}

export function coefficientGap(
  names: string[],
  ours: { intercept: number; weights: ArrayLike<number> },
  theirs: { intercept: number; coef: number[] },
): CoefficientGap {
  const gaps = names.map((feature, j) => ({
    feature,
    ours: ours.weights[j],
    sklearn: theirs.coef[j],
  }));
  gaps.sort((a, b) => Math.abs(b.ours - b.sklearn) - Math.abs(a.ours - a.sklearn));
  return {
    weights: gaps.length ? Math.abs(gaps[0].ours - gaps[0].sklearn) : 0,
    intercept: Math.abs(ours.intercept - theirs.intercept),
    worstFeature: gaps[0]?.feature ?? "",
    top: gaps.slice(0, 3),
  };
}

/**
 * The column most correlated with column `j` of a standardised matrix (Pearson r = mean of products
 * when every column has mean 0 and std 1).
 */
function mostCorrelated(m: Matrix, names: string[], j: number): { feature: string; r: number } {
  let best = { feature: "", r: 0 };
  for (let k = 0; k < m.cols; k++) {
    if (k === j) continue;
    let sum = 0;
    for (let i = 0; i < m.rows; i++) sum += m.data[i * m.cols + j] * m.data[i * m.cols + k];
    const r = sum / m.rows;
    if (Math.abs(r) > Math.abs(best.r)) best = { feature: names[k], r };
  }
  return best;
}

export interface ChurnOutcome {
  customers: number;
  positives: number;
  import: Pick<ImportSummary, "rowsRead" | "created" | "rejected" | "elapsedMs">;
  gateway: {
    auc: number;
    trainingSize: number;
    labelSource: string;
    /** From sending the mutation to seeing the model COMPLETED. */
    endToEndSeconds: number;
    /** max |weight| difference between the gateway's stored coefficients and our in-process fit. */
    maxWeightGapToInProcess: number;
  };
  inProcess: {
    trainRows: number;
    testRows: number;
    features: number;
    featureNames: string[];
    /** The encoded columns left out because a kept one stands for them, with that one. */
    represented: { feature: string; by: string; correlation: number }[];
    auc: number;
    iterations: number;
    solver: string;
    fitSeconds: number;
    intercept: number;
  };
  sklearn: Availability<{
    default: SklearnFit & { gap: CoefficientGap };
    tight: SklearnFit & { gap: CoefficientGap };
    aucOfOurScores?: number;
    ours: ObjectiveAt;
    /**
     * The column most correlated (on the train part) with the feature whose weights differ most.
     */
    worstFeaturePartner: { feature: string; r: number };
    /** Held-out AUC of both on split seeds 1..SPLIT_SEEDS of the same customers. */
    splits?: { seed: number; ours: number; sklearn: number }[];
  }>;
}

/** A GraphQL call through the bench harness's client, as a user (`token`). */
function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  return graphql<T>(url, query, variables, token ? `Bearer ${token}` : undefined, 120_000);
}

/** The services' own URLs say `localhost`; this bench's requests go to 127.0.0.1. */
function loopback(url: string): string {
  return url.replace("//localhost:", "//127.0.0.1:");
}

const MODEL_FIELDS =
  "id status error labelSource trainingSize positiveRate auc features { feature weight }";
interface GatewayModel {
  id: string;
  status: "RUNNING" | "COMPLETED" | "FAILED";
  error: string | null;
  labelSource: string;
  trainingSize: number;
  positiveRate: number;
  auc: number;
  features: { feature: string; weight: number }[];
}

/** Splits seeds 1..this are compared. */
export const SPLIT_SEEDS = 10;

type Dataset = Awaited<ReturnType<typeof buildChurnDataset>>;
type Design = {
  names: string[];
  xTrain: Matrix;
  xTest: Matrix;
  yTrain: Uint8Array;
  yTest: Uint8Array;
};

/**
 * What trainChurnModel does before fitting: the seeded stratified split, the encoder fitted on the
 * train part, everything encoded.
 */
function splitDesign(
  dataset: Dataset,
  seed: number,
): Design & {
  train: number[];
  test: number[];
  all: Matrix;
  represented: ChurnOutcome["inProcess"]["represented"];
} {
  const { train, test } = stratifiedSplit(dataset.labels, 0.2, seed);
  const encoder = fitEncoder(dataset.columns, train);
  const all = encode(dataset.columns, encoder);
  return {
    train,
    test,
    all,
    names: encoder.map((f) => f.name),
    represented: encoder.flatMap((f) =>
      f.represents.map((r) => ({ feature: r.name, by: f.name, correlation: r.correlation })),
    ),
    xTrain: rowsOf(all, train),
    xTest: rowsOf(all, test),
    yTrain: Uint8Array.from(train, (i) => dataset.labels[i]),
    yTest: Uint8Array.from(test, (i) => dataset.labels[i]),
  };
}

/**
 * Writes a design's matrices, labels, our test scores and our coefficients as CSV; returns the file
 * namer.
 */
async function writeDesign(
  dir: string,
  prefix: string,
  design: Design,
  ours: { intercept: number; weights: Float64Array },
  testScores: Float64Array,
): Promise<(name: string) => string> {
  const file = (name: string) => path.join(dir, `${prefix}-${name}.csv`);
  await writeMatrixCsv(file("x-train"), design.xTrain, design.names);
  await writeVectorCsv(file("y-train"), "churned", design.yTrain);
  await writeMatrixCsv(file("x-test"), design.xTest, design.names);
  await writeVectorCsv(file("y-test"), "churned", design.yTest);
  await writeVectorCsv(file("our-test-scores"), "probability", testScores);
  await writeVectorCsv(file("our-coefficients"), "intercept_then_weights", [
    ours.intercept,
    ...ours.weights,
  ]);
  return file;
}

function rowsOf(all: Matrix, indexes: number[]): Matrix {
  const m = matrix(indexes.length, all.cols);
  indexes.forEach((row, i) =>
    m.data.set(all.data.subarray(row * all.cols, (row + 1) * all.cols), i * all.cols),
  );
  return m;
}

/**
 * mlc_churn through the real stack: an embedded PostgreSQL in `dir`, the whole supergraph
 * in-process on free ports, a new organization signed up through the gateway, the CSV imported
 * with the importer, `trainChurnModel(seed: 1)` through the gateway (timed end to end); then the
 * same pipeline in-process on the same profiles (same features, same split), fitted by us and by
 * scikit-learn on the same design matrices.
 */
export async function churnCheck(
  dir: string,
  csv: ChurnCsv,
  python: Availability<PythonTool>,
): Promise<ChurnOutcome> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const pgPort = await freePort();
  log(`churn: starting an embedded PostgreSQL on 127.0.0.1:${pgPort} in ${dir}...`);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, "postgres"), port: pgPort });
  try {
    log("churn: starting the supergraph in-process (ports 0)...");
    const stack = await startStack({
      serverUrl: server.url,
      keysDir: path.join(dir, "keys"),
      demoData: false,
      ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
    });
    try {
      return await againstStack(
        server.url,
        loopback(stack.gateway.url),
        loopback(stack.subgraphs.customers.url),
        csv,
        python,
        dir,
      );
    } finally {
      log("churn: stopping the supergraph...");
      await stack.stop();
    }
  } finally {
    log("churn: stopping PostgreSQL...");
    await server.stop();
  }
}

async function againstStack(
  serverUrl: string,
  gatewayUrl: string,
  customersUrl: string,
  csv: ChurnCsv,
  python: Availability<PythonTool>,
  dir: string,
): Promise<ChurnOutcome> {
  const suffix = `${Date.now().toString(36)}${process.pid}`;
  const email = `quality-${suffix}@example.test`;
  const { signUp } = await gql<{
    signUp: { accessToken: string; user: { organization: { id: string } } };
  }>(
    gatewayUrl,
    `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { organization { id } } } }`,
    {
      input: {
        organizationName: `Model quality ${suffix}`,
        name: "Quality Bench",
        email,
        password: "quality-bench-password",
      },
    },
  );
  const token = signUp.accessToken;
  const organizationId = signUp.user.organization.id;

  log(
    `churn: importing ${csv.rows} customers from ${path.basename(csv.file)} (--map externalId=customer_id --churned-column churn --churned-value yes)...`,
  );
  const summary = await importCustomers({
    file: csv.file,
    url: gatewayUrl,
    credentials: { kind: "token", token },
    delimiter: ",",
    quiet: true,
    columns: { map: { externalId: "customer_id" }, churned: { column: "churn", value: "yes" } },
    batchSize: 1_000,
  });
  if (summary.created !== csv.rows || summary.rejected !== 0) {
    throw new Error(
      `The import stored ${summary.created} of ${csv.rows} rows (${summary.rejected} rejected): ${JSON.stringify(summary.rejections.slice(0, 3))}`,
    );
  }
  log(`churn: imported ${summary.created} customers in ${(summary.elapsedMs / 1000).toFixed(1)} s`);

  log("churn: trainChurnModel(input: { seed: 1 }) through the gateway...");
  const started = performance.now();
  let model = (
    await gql<{ trainChurnModel: GatewayModel }>(
      gatewayUrl,
      `mutation($input: ChurnTrainingInput!) { trainChurnModel(input: $input) { ${MODEL_FIELDS} } }`,
      { input: { seed: CHURN_PARAMETERS.seed, waitSeconds: 5 } },
      token,
    )
  ).trainChurnModel;
  for (let poll = 0; model.status === "RUNNING" && poll < 1_200; poll++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    model = (
      await gql<{ churnModel: GatewayModel }>(
        gatewayUrl,
        `query($id: ID!) { churnModel(id: $id) { ${MODEL_FIELDS} } }`,
        { id: model.id },
        token,
      )
    ).churnModel;
  }
  const endToEndSeconds = (performance.now() - started) / 1000;
  if (model.status !== "COMPLETED")
    throw new Error(`trainChurnModel ended ${model.status}: ${model.error}`);
  log(
    `churn: gateway model COMPLETED in ${endToEndSeconds.toFixed(2)} s, held-out auc ${model.auc}`,
  );

  // The same pipeline in-process: the same profiles (read as the resolver reads them), features,
  // split and encoding.
  const profiles = await fetchCustomerProfiles(customersUrl, token);
  const client = new Client({ connectionString: withDatabase(serverUrl, "analytics") });
  await client.connect();
  let dataset: Dataset;
  try {
    const dataSource = {
      query: async (text: string, params?: unknown[]) =>
        (await client.query(text, params as unknown[])).rows,
    } as unknown as DataSource;
    dataset = await buildChurnDataset(dataSource, organizationId, profiles, {
      ...CHURN_PARAMETERS,
    });
  } finally {
    await client.end();
  }
  const { train, test, names, represented, xTrain, xTest, yTrain, yTest, all } = splitDesign(
    dataset,
    CHURN_PARAMETERS.seed,
  );
  const fitStarted = performance.now();
  const ours = fitLogistic(xTrain, yTrain, { l2: CHURN_PARAMETERS.l2 });
  const fitSeconds = (performance.now() - fitStarted) / 1000;
  const testScores = predictProbabilities(ours, xTest);
  const auc = rocAuc(yTest, testScores);
  const gatewayWeights = new Map(model.features.map((f) => [f.feature, f.weight]));
  const maxWeightGapToInProcess = Math.max(
    ...names.map((name, j) => Math.abs((gatewayWeights.get(name) ?? NaN) - ours.weights[j])),
  );
  log(
    `churn: in-process ${train.length} train / ${test.length} test rows x ${all.cols} features: auc ${auc} (${ours.iterations} ${ours.solver} iterations, ${fitSeconds.toFixed(3)} s)`,
  );

  const outcome: ChurnOutcome = {
    customers: dataset.labels.length,
    positives: dataset.labels.reduce((s, v) => s + v, 0),
    import: {
      rowsRead: summary.rowsRead,
      created: summary.created,
      rejected: summary.rejected,
      elapsedMs: summary.elapsedMs,
    },
    gateway: {
      auc: model.auc,
      trainingSize: model.trainingSize,
      labelSource: model.labelSource,
      endToEndSeconds,
      maxWeightGapToInProcess,
    },
    inProcess: {
      trainRows: train.length,
      testRows: test.length,
      features: all.cols,
      featureNames: names,
      represented,
      auc,
      iterations: ours.iterations,
      solver: ours.solver,
      fitSeconds,
      intercept: ours.intercept,
    },
    sklearn: python.ok ? { ok: false, reason: "not run" } : { ok: false, reason: python.reason },
  };
  if (!python.ok) return outcome;

  const file = await writeDesign(
    dir,
    "churn",
    { names, xTrain, xTest, yTrain, yTest },
    ours,
    testScores,
  );
  log(
    "churn: scikit-learn LogisticRegression(C=1.0, max_iter=10000) on the same train/test matrices...",
  );
  try {
    const sklearn = await pythonJson<SklearnLogistic>(python.value, [
      "logistic",
      "--train",
      file("x-train"),
      "--train-labels",
      file("y-train"),
      "--test",
      file("x-test"),
      "--test-labels",
      file("y-test"),
      "--our-scores",
      file("our-test-scores"),
      "--our-coef",
      file("our-coefficients"),
      "--C",
      String(1 / CHURN_PARAMETERS.l2),
    ]);
    if (
      sklearn.trainRows !== train.length ||
      sklearn.testRows !== test.length ||
      sklearn.cols !== all.cols
    )
      throw new Error(
        `scikit-learn read ${sklearn.trainRows}/${sklearn.testRows} rows x ${sklearn.cols}`,
      );
    const gap = coefficientGap(names, ours, sklearn.default);
    outcome.sklearn = {
      ok: true,
      value: {
        default: { ...sklearn.default, gap },
        tight: { ...sklearn.tight, gap: coefficientGap(names, ours, sklearn.tight) },
        aucOfOurScores: sklearn.aucOfOurScores,
        ours: sklearn.ours,
        worstFeaturePartner: mostCorrelated(xTrain, names, names.indexOf(gap.worstFeature)),
      },
    };
    log(`churn: scikit-learn auc ${sklearn.default.auc} (tol=1e-10: ${sklearn.tight.auc})`);

    // The held-out AUC depends on the split: compare on more splits of the same customers.
    log(`churn: both fits on split seeds 2-${SPLIT_SEEDS} as well...`);
    const splits: { seed: number; ours: number; sklearn: number }[] = [
      { seed: CHURN_PARAMETERS.seed, ours: auc, sklearn: sklearn.default.auc },
    ];
    for (let seed = 2; seed <= SPLIT_SEEDS; seed++) {
      const design = splitDesign(dataset, seed);
      const fit = fitLogistic(design.xTrain, design.yTrain, { l2: CHURN_PARAMETERS.l2 });
      const scores = predictProbabilities(fit, design.xTest);
      const splitFile = await writeDesign(dir, `churn-seed${seed}`, design, fit, scores);
      const reference = await pythonJson<SklearnLogistic>(python.value, [
        "logistic",
        "--train",
        splitFile("x-train"),
        "--train-labels",
        splitFile("y-train"),
        "--test",
        splitFile("x-test"),
        "--test-labels",
        splitFile("y-test"),
        "--C",
        String(1 / CHURN_PARAMETERS.l2),
      ]);
      splits.push({ seed, ours: rocAuc(design.yTest, scores), sklearn: reference.default.auc });
    }
    if (outcome.sklearn.ok) outcome.sklearn.value.splits = splits;
  } catch (error) {
    outcome.sklearn = { ok: false, reason: (error as Error).message };
    log(`churn: scikit-learn failed: ${(error as Error).message}`);
  }
  return outcome;
}
