import type { DataSource } from "typeorm";
import { badUserInput } from "#kit/errors";
import type { ReportProgress } from "../jobs/background-job";
import { bestThreshold, classificationMetrics, rocAuc, stratifiedSplit } from "../ml/evaluation";
import { predictLogOdds, sigmoid } from "../ml/logistic-regression";
import { runMlTask } from "../ml/ml-pool";
import {
  customerFeatures,
  EVENT_FEATURES,
  type CustomerFeatureRow,
} from "../features/customer-features";
import { copyPredictions, type PredictionRow } from "./churn-store";
import { RiskBand } from "./churn.types";
import { sortProfiles, type CustomerProfile } from "../features/customer-profiles";
import { columnOf, type RawColumns } from "../ml/feature-encoder";

/**
 * Where labels come from: the churn the organization records, or no purchase within the horizon.
 */
export type LabelSource = "RECORDED_STATUS" | "NO_PURCHASE_WITHIN_HORIZON";

export interface ChurnTrainingParameters {
  horizonDays: number;
  /** null: now with recorded churn, else now - horizonDays (so the horizon is observed). */
  cutoff: Date | null;
  seed: number;
  /** L2 penalty (scikit-learn's 1 / C). */
  l2: number;
}

/** A training set, ready before the (long) fit starts, so bad input is reported at once. */
export interface ChurnDataset {
  labelSource: LabelSource;
  cutoff: Date;
  customerIds: string[];
  /** The model's inputs, one entry per customer in each column. */
  columns: RawColumns;
  labels: Uint8Array;
}

/** The steps of {@link trainChurnModel}, in order. */
export const TRAINING_PHASES = ["fit", "score", "store"] as const;
export type TrainingPhase = (typeof TRAINING_PHASES)[number];

/** Predictions computed and written at a time while they are stored. */
const PREDICTION_CHUNK = 2_000;

/** Customers needed to train. */
const MIN_CUSTOMERS = 20;

/** Features a customer's factors name one by one, largest contribution first. */
export const TOP_FACTORS = 3;

/**
 * The factor after the top ones: the sum of the contributions of every other feature, so that the
 * intercept and the factors add up to the customer's log-odds.
 */
export const OTHER_FACTORS = "(other features)";

/**
 * The cut-off for a label source: the one asked for, else now with recorded churn, else now -
 * horizonDays.
 */
export function churnCutoff(labelSource: LabelSource, parameters: ChurnTrainingParameters): Date {
  return (
    parameters.cutoff ??
    (labelSource === "RECORDED_STATUS"
      ? new Date()
      : new Date(Date.now() - parameters.horizonDays * 86_400_000))
  );
}

/** The event features as of a cut-off, queried while the profiles are still being read. */
export interface PrefetchedFeatures {
  labelSource: LabelSource;
  cutoff: Date;
  rows: Promise<CustomerFeatureRow[]>;
}

/**
 * Starts the event-feature query for the label source the organization is expected to use (see
 * `organizationRecordsChurn`), so that it runs while the profiles are read. Hand the result to
 * {@link buildChurnDataset}, which uses it only when the profiles confirm the label source.
 */
export function prefetchFeatures(
  dataSource: DataSource,
  organizationId: string,
  labelSource: LabelSource,
  parameters: ChurnTrainingParameters,
): PrefetchedFeatures {
  const cutoff = churnCutoff(labelSource, parameters);
  const rows = customerFeatures(dataSource, organizationId, cutoff, false);
  rows.catch(() => undefined); // awaited (and its error reported) only when used
  return { labelSource, cutoff, rows };
}

/**
 * Builds the training set: event features as of the cut-off (RFM, tenure, purchase trend,
 * engagement) and the customers' own fields and attributes (numeric and categorical). Labels are
 * the recorded status when the organization records churn (any CHURNED customer), otherwise "no
 * purchase within horizonDays after the cut-off" over the customers who purchased before it.
 * Throws `BAD_USER_INPUT` for no data before the cut-off, too few customers, or a single class.
 * The customers are ordered by externalId, then id ({@link sortProfiles}), whatever order
 * `profiles` has. `prefetched` features are used when their label source is the one the
 * profiles give; otherwise they are queried here.
 */
export async function buildChurnDataset(
  dataSource: DataSource,
  organizationId: string,
  unordered: CustomerProfile[],
  parameters: ChurnTrainingParameters,
  prefetched?: PrefetchedFeatures,
): Promise<ChurnDataset> {
  // A stable order, so that the seeded split does not depend on the order the profiles were read
  // in.
  const profiles = sortProfiles(unordered);
  const labelSource: LabelSource = profiles.some((p) => p.status === "CHURNED")
    ? "RECORDED_STATUS"
    : "NO_PURCHASE_WITHIN_HORIZON";
  const usable = prefetched?.labelSource === labelSource ? prefetched : undefined;
  const cutoff = usable?.cutoff ?? churnCutoff(labelSource, parameters);
  const features = new Map(
    (await (usable?.rows ?? customerFeatures(dataSource, organizationId, cutoff, false))).map(
      (row) => [row.customerId, row],
    ),
  );
  if (labelSource === "NO_PURCHASE_WITHIN_HORIZON" && features.size === 0) {
    throw badUserInput(
      `There are no events before the cut-off ${cutoff.toISOString()}; choose a later cutoff.`,
      "input.cutoff",
    );
  }
  const population =
    labelSource === "RECORDED_STATUS"
      ? profiles
      : profiles.filter((p) => (features.get(p.id)?.frequency ?? 0) > 0);
  let purchasedAfter = new Set<string>();
  if (labelSource === "NO_PURCHASE_WITHIN_HORIZON") {
    const rows: { customer_id: string }[] = await dataSource.query(
      `SELECT DISTINCT customer_id FROM events WHERE organization_id = $1 AND type = 'purchase' AND "timestamp" >= $2 AND "timestamp" < $2::timestamptz + make_interval(days => $3)`,
      [organizationId, cutoff.toISOString(), parameters.horizonDays],
    );
    purchasedAfter = new Set(rows.map((row) => row.customer_id));
  }
  if (population.length < MIN_CUSTOMERS) {
    throw badUserInput(
      `Only ${population.length} customers can be used as of ${cutoff.toISOString()}; training needs at least ${MIN_CUSTOMERS}.`,
      "input.cutoff",
    );
  }
  const labels = Uint8Array.from(population, (p) =>
    labelSource === "RECORDED_STATUS"
      ? p.status === "CHURNED"
        ? 1
        : 0
      : purchasedAfter.has(p.id)
        ? 0
        : 1,
  );
  const positives = labels.reduce((s, v) => s + v, 0);
  if (positives === 0 || positives === labels.length) {
    throw badUserInput(
      `All ${labels.length} customers are ${positives ? "churned" : "retained"} (${labelSource}); a model needs both classes.`,
      "input",
    );
  }
  // The inputs column by column: the customer's own fields and attributes, and the event features.
  const n = population.length;
  const columns: RawColumns = { size: n, numeric: new Map(), categorical: new Map() };
  const age = columnOf(columns.numeric, "age", n);
  const eventColumns = EVENT_FEATURES.map((name) => {
    const column = columnOf(columns.numeric, name, n);
    // Without events, counts and sums are 0 and the rest (recency, tenure, ...) missing.
    const none =
      name === "frequency" ||
      name === "monetary" ||
      name === "engagement" ||
      name === "purchase_trend"
        ? 0
        : null;
    return { name, column, none };
  });
  const fixedCategorical = (
    ["gender", "location", "incomeRange", "preferredCategory"] as const
  ).map((name) => ({ name, column: columnOf(columns.categorical, name, n) }));
  // Attributes: numbers are numeric inputs, strings and booleans categorical ones, named
  // "attributes.<key>".
  const numericAttributes = new Map<string, (number | null | undefined)[]>();
  const categoricalAttributes = new Map<string, (string | null | undefined)[]>();
  const attributeColumn = <T>(
    byKey: Map<string, (T | null | undefined)[]>,
    all: Map<string, (T | null | undefined)[]>,
    key: string,
  ) => {
    let column = byKey.get(key);
    if (!column) byKey.set(key, (column = columnOf(all, `attributes.${key}`, n)));
    return column;
  };
  for (let i = 0; i < n; i++) {
    const p = population[i];
    age[i] = p.age;
    const events = features.get(p.id);
    for (const { name, column, none } of eventColumns) column[i] = events ? events[name] : none;
    for (const { name, column } of fixedCategorical) column[i] = p[name];
    const attributes = p.attributes ?? {};
    for (const key in attributes) {
      const value = attributes[key];
      if (typeof value === "number")
        attributeColumn(numericAttributes, columns.numeric, key)[i] = value;
      else if (typeof value === "string" || typeof value === "boolean")
        attributeColumn(categoricalAttributes, columns.categorical, key)[i] = String(value);
    }
  }
  return { labelSource, cutoff, customerIds: population.map((p) => p.id), columns, labels };
}

/**
 * Trains a regularised logistic regression on a stratified 80% (seeded), evaluates it on the held
 * out 20% (ROC-AUC, and accuracy, precision and recall at the threshold that maximises Youden's J
 * on the training part), then scores every customer and stores the model and the predictions. The
 * encoding and the fit run in an ML worker thread (`fitEncodedLogistic`), so the service's event loop keeps serving
 * requests meanwhile; the other steps run on the calling thread.
 */
export async function trainChurnModel(
  dataSource: DataSource,
  organizationId: string,
  modelId: string,
  dataset: ChurnDataset,
  parameters: ChurnTrainingParameters,
  progress: ReportProgress,
  /** Called at the end of each phase ("fit": encoding too, "score", "store"): for timing. */
  phaseDone: (phase: TrainingPhase) => void = () => undefined,
): Promise<void> {
  const { train, test } = stratifiedSplit(dataset.labels, 0.2, parameters.seed);
  const trainLabels = Uint8Array.from(train, (i) => dataset.labels[i]);
  const testLabels = Uint8Array.from(test, (i) => dataset.labels[i]);
  await progress(0.1);
  // Encoding and fitting, the long steps, in an ML worker; the columns are copied there, the
  // encoded matrix moved back.
  const { encoder, all, model } = await runMlTask("fitEncodedLogistic", {
    columns: dataset.columns,
    train: Uint32Array.from(train),
    labels: trainLabels,
    l2: parameters.l2,
  });
  phaseDone("fit");
  await progress(0.6);
  // Every customer scored once; the train and test scores are the same numbers, picked out.
  const logOdds = predictLogOdds(model, all);
  const probabilities = logOdds.map(sigmoid);
  const threshold = bestThreshold(
    trainLabels,
    Float64Array.from(train, (i) => probabilities[i]),
  );
  const testScores = Float64Array.from(test, (i) => probabilities[i]);
  const quality = classificationMetrics(testLabels, testScores, threshold);
  const auc = rocAuc(testLabels, testScores);
  phaseDone("score");
  await progress(0.8);

  // A customer's factors: each feature's contribution to the log-odds, weight x standardised value
  // (0 for the average customer of the training part, whose log-odds is the intercept); the
  // TOP_FACTORS largest |contribution| by name, largest first, ties in encoder order (what a stable
  // sort of all contributions gives), then the sum of the rest, without allocating per feature.
  const heads = encoder.map(
    (f) =>
      `{"feature":${JSON.stringify(f.name)}${f.represents.length ? `,"represents":${JSON.stringify(f.represents.map((r) => ({ feature: r.name, correlation: r.correlation })))}` : ""},"weight":`,
  );
  const otherHead = `{"feature":${JSON.stringify(OTHER_FACTORS)},"weight":`;
  const top = Math.min(TOP_FACTORS, all.cols);
  const topIndex = new Int32Array(top);
  const topSize = new Float64Array(top);
  const prediction = (i: number): PredictionRow => {
    const p = probabilities[i];
    let kept = 0;
    let total = 0;
    const offset = i * all.cols;
    for (let j = 0; j < all.cols; j++) {
      const contribution = model.weights[j] * all.data[offset + j];
      total += contribution;
      const size = Math.abs(contribution);
      let k = kept < top ? kept : top;
      while (k > 0 && size > topSize[k - 1]) k--;
      if (k >= top) continue;
      for (let m = Math.min(kept, top - 1); m > k; m--) {
        topSize[m] = topSize[m - 1];
        topIndex[m] = topIndex[m - 1];
      }
      topSize[k] = size;
      topIndex[k] = j;
      if (kept < top) kept++;
    }
    let factors = "[";
    let rest = total;
    for (let k = 0; k < kept; k++) {
      const j = topIndex[k];
      const contribution = model.weights[j] * all.data[offset + j];
      rest -= contribution;
      factors += `${k ? "," : ""}${heads[j]}${JSON.stringify(contribution)}}`;
    }
    if (all.cols > top) factors += `,${otherHead}${JSON.stringify(rest)}}`;
    return {
      customerId: dataset.customerIds[i],
      probability: p,
      logOdds: logOdds[i],
      band: p >= threshold ? RiskBand.HIGH : p >= threshold / 2 ? RiskBand.MEDIUM : RiskBand.LOW,
      factors: `${factors}]`,
    };
  };
  // Computed a chunk at a time as the COPY takes them, so PostgreSQL stores one chunk while the
  // next is computed; highest probability first, the order of the rank index, which PostgreSQL
  // then fills from one end rather than at random places.
  const order = new Uint32Array(all.rows)
    .map((_, i) => i)
    .sort((a, b) => probabilities[b] - probabilities[a]);
  function* predictions(): Generator<PredictionRow[]> {
    for (let start = 0; start < order.length; start += PREDICTION_CHUNK) {
      const chunk: PredictionRow[] = [];
      for (let k = start, end = Math.min(order.length, start + PREDICTION_CHUNK); k < end; k++)
        chunk.push(prediction(order[k]));
      yield chunk;
    }
  }
  const coefficients = encoder
    .map((f, j) => ({
      feature: f.name,
      weight: model.weights[j],
      represents: f.represents.map((r) => ({ feature: r.name, correlation: r.correlation })),
    }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  await dataSource.transaction(async (manager) => {
    await manager.query(
      `UPDATE churn_models SET label_source = $3, cutoff = $4, training_size = $5, positive_rate = $6, auc = $7, accuracy = $8, precision = $9, recall = $10, threshold = $11, model = $12 WHERE organization_id = $1 AND id = $2`,
      [
        organizationId,
        modelId,
        dataset.labelSource,
        dataset.cutoff,
        train.length,
        dataset.labels.reduce((s, v) => s + v, 0) / dataset.labels.length,
        auc,
        quality.accuracy,
        quality.precision,
        quality.recall,
        threshold,
        JSON.stringify({ intercept: model.intercept, solver: model.solver, coefficients, encoder }),
      ],
    );
    await copyPredictions(manager, organizationId, modelId, predictions());
  });
  phaseDone("store");
}
