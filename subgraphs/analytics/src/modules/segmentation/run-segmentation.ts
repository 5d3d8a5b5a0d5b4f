import type { DataSource } from "typeorm";
import { badUserInput } from "#kit/errors";
import type { ReportProgress } from "../jobs/background-job";
import { matrix } from "../ml/matrix";
import { runMlTask } from "../ml/ml-pool";
import { transferableBuffers } from "../ml/ml-tasks";
import {
  customerFeatures,
  EVENT_FEATURES,
  type CustomerFeatureRow,
  type EventFeature,
} from "../features/customer-features";
import { originalUnits, prepareFeatures } from "./feature-transform";
import { segmentLabels } from "./segment-labels";

/**
 * Features read from the customers subgraph: `age` and `attributes.<name>` (numeric attributes).
 */
export function isProfileFeature(feature: string): boolean {
  return feature === "age" || /^attributes\.[A-Za-z0-9_.-]{1,64}$/.test(feature);
}

export interface SegmentationParameters {
  features: string[];
  /** null: chosen in 2..8 by the best silhouette. */
  k: number | null;
  asOf: Date;
  seed: number;
}

/** Default features: recency, frequency and monetary value. */
export const DEFAULT_FEATURES: EventFeature[] = ["recency", "frequency", "monetary"];

/** Checks the parameters before a run starts; throws `BAD_USER_INPUT` naming the problem. */
export function validateSegmentation(parameters: SegmentationParameters): void {
  const unknown = parameters.features.filter(
    (feature) =>
      !(EVENT_FEATURES as readonly string[]).includes(feature) && !isProfileFeature(feature),
  );
  if (unknown.length) {
    throw badUserInput(
      `Unknown feature '${unknown[0]}'. Known features: ${EVENT_FEATURES.join(", ")}, age, attributes.<numeric attribute>.`,
      "input.features",
    );
  }
  if (parameters.features.length === 0)
    throw badUserInput("Name at least one feature.", "input.features");
  if (new Set(parameters.features).size !== parameters.features.length)
    throw badUserInput("A feature is named twice.", "input.features");
  if (
    parameters.k !== null &&
    (!Number.isInteger(parameters.k) || parameters.k < 2 || parameters.k > 12)
  ) {
    throw badUserInput(
      `k must be from 2 to 12, got ${parameters.k}; omit it to choose k by silhouette.`,
      "input.k",
    );
  }
}

/**
 * The customers a segmentation would use: purchasers before asOf. Throws `BAD_USER_INPUT` when too
 * few.
 */
export async function segmentationPopulation(
  dataSource: DataSource,
  organizationId: string,
  parameters: SegmentationParameters,
): Promise<CustomerFeatureRow[]> {
  const rows = await customerFeatures(dataSource, organizationId, parameters.asOf, true);
  const needed = Math.max(10, (parameters.k ?? 2) * 3);
  if (rows.length < needed) {
    throw badUserInput(
      `Only ${rows.length} customers have purchases before ${parameters.asOf.toISOString()}; segmentation needs at least ${needed}.`,
      "input.asOf",
    );
  }
  return rows;
}

/**
 * k-means on the customers' features (skewed ones log-transformed, all standardised), with
 * k-means++ and 10 restarts; without k, each k in 2..8 is tried (4 restarts each) and the best
 * silhouette wins (`searchKMeans`, run in an ML worker thread, so the service's event loop keeps
 * serving requests meanwhile). Stores the run's result, its segments (labelled from their centroids) and
 * every customer's segment, in one transaction.
 */
export async function runSegmentation(
  dataSource: DataSource,
  organizationId: string,
  runId: string,
  rows: CustomerFeatureRow[],
  parameters: SegmentationParameters,
  progress: ReportProgress,
  profiles: Map<string, Record<string, number | null>> = new Map(),
): Promise<void> {
  const names = parameters.features;
  const raw = matrix(rows.length, names.length);
  names.forEach((name, j) => {
    if (!isProfileFeature(name)) {
      rows.forEach((row, i) => (raw.data[i * names.length + j] = row[name as EventFeature]));
      return;
    }
    // A customer without the attribute gets the mean of those who have it.
    const values = rows.map((row) => profiles.get(row.customerId)?.[name] ?? null);
    const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
    if (present.length === 0)
      throw badUserInput(`No segmented customer has a numeric '${name}'.`, "input.features");
    const mean = present.reduce((sum, v) => sum + v, 0) / present.length;
    values.forEach(
      (value, i) =>
        (raw.data[i * names.length + j] = value !== null && Number.isFinite(value) ? value : mean),
    );
  });
  const { points, transforms } = prepareFeatures(raw, names);

  // Off the event loop, in a worker: the points move there (nothing below reads them).
  const { k, result, silhouette } = await runMlTask(
    "kmeansSearch",
    { points, options: { k: parameters.k, seed: parameters.seed } },
    { transfer: transferableBuffers(points), onProgress: progress },
  );

  const sizes = new Array<number>(k).fill(0);
  const revenue = new Array<number>(k).fill(0);
  rows.forEach((row, i) => {
    sizes[result.labels[i]]++;
    revenue[result.labels[i]] += row.monetary;
  });
  const totalRevenue = revenue.reduce((s, v) => s + v, 0);
  const standardisedCentroids = Array.from({ length: k }, (_, c) =>
    Object.fromEntries(names.map((name, j) => [name, result.centroids.data[c * names.length + j]])),
  );
  const labels = segmentLabels(standardisedCentroids);

  await dataSource.transaction(async (manager) => {
    await manager.query(
      `UPDATE segmentation_runs SET k = $3, silhouette = $4, inertia = $5, customer_count = $6, transforms = $7 WHERE organization_id = $1 AND id = $2`,
      [
        organizationId,
        runId,
        k,
        silhouette,
        result.inertia,
        rows.length,
        JSON.stringify(transforms),
      ],
    );
    for (let c = 0; c < k; c++) {
      const centroid = names.map((feature, j) => ({
        feature,
        value: originalUnits(result.centroids.data[c * names.length + j], transforms[j]),
      }));
      await manager.query(
        `INSERT INTO segments (run_id, index, organization_id, label, size, share, revenue_share, centroid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          runId,
          c,
          organizationId,
          labels[c],
          sizes[c],
          sizes[c] / rows.length,
          totalRevenue ? revenue[c] / totalRevenue : 0,
          JSON.stringify(centroid),
        ],
      );
    }
    await manager.query(
      `INSERT INTO segment_members (organization_id, run_id, customer_id, segment_index) SELECT $1, $2, * FROM unnest($3::uuid[], $4::int[])`,
      [organizationId, runId, rows.map((row) => row.customerId), Array.from(result.labels)],
    );
  });
}
