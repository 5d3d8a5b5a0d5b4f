import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import DataLoader from "dataloader";
import type { PoolClient } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { DataSource, EntityManager } from "typeorm";
import { isUuid } from "#kit/data/ids";
import type { ChurnModel, ChurnRisk, FeatureWeight, RiskBand } from "./churn.types";
import { queryPrepared } from "#kit/database/prepared-query";

/**
 * A model of the organization (the latest completed one when `id` is omitted); null when there is
 * none.
 */
export async function loadChurnModel(
  dataSource: DataSource,
  organizationId: string,
  id?: string | null,
): Promise<ChurnModel | null> {
  if (id !== undefined && id !== null && !isUuid(id)) return null;
  const [row]: Record<string, any>[] = await dataSource.query(
    id
      ? `SELECT * FROM churn_models WHERE organization_id = $1 AND id = $2`
      : `SELECT * FROM churn_models WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY trained_at DESC LIMIT 1`,
    id ? [organizationId, id] : [organizationId],
  );
  if (!row) return null;
  return {
    id: row.id,
    trainedAt: row.trained_at,
    status: row.status,
    progress: row.progress,
    error: row.error,
    cutoff: row.cutoff,
    horizonDays: row.horizon_days,
    labelSource: row.label_source,
    trainingSize: row.training_size ?? 0,
    positiveRate: row.positive_rate ?? 0,
    auc: row.auc ?? 0,
    accuracy: row.accuracy ?? 0,
    precision: row.precision ?? 0,
    recall: row.recall ?? 0,
    threshold: row.threshold ?? 0,
    intercept: row.model?.intercept ?? 0,
    features: withRepresents(row.model?.coefficients ?? []),
  };
}

/** Stored weights, with `represents` empty where a model stored before it had none. */
function withRepresents(
  weights: (Omit<FeatureWeight, "represents"> & Partial<FeatureWeight>)[],
): FeatureWeight[] {
  return weights.map((w) => ({ ...w, represents: w.represents ?? [] }));
}

/** The id of the organization's latest completed model, or null. */
export async function latestChurnModelId(
  dataSource: DataSource,
  organizationId: string,
): Promise<string | null> {
  const [row] = await dataSource.query(
    `SELECT id FROM churn_models WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY trained_at DESC LIMIT 1`,
    [organizationId],
  );
  return row?.id ?? null;
}

/**
 * A stored prediction as the API gives it. `factors` may be the column's JSON text: it is then
 * parsed when first read, since most pages ask for the probability and band alone.
 */
export function toRisk(row: {
  model_id: string;
  probability: number;
  log_odds: number | null;
  band: string;
  factors: ChurnRisk["factors"] | string;
}): ChurnRisk {
  const stored = row.factors;
  let factors: ChurnRisk["factors"] | undefined =
    typeof stored === "string" ? undefined : withRepresents(stored);
  return {
    modelId: row.model_id,
    probability: row.probability,
    // Predictions stored before log_odds was: from the probability (exact enough away from 0 and 1).
    logOdds: row.log_odds ?? Math.log(row.probability) - Math.log1p(-row.probability),
    band: row.band as RiskBand,
    get factors() {
      return (factors ??= withRepresents(JSON.parse(stored as string)));
    },
  };
}

/**
 * Per-request loader of each customer's churn risk under the latest model: N customers, one query.
 */
export function createChurnRiskLoader(
  dataSource: DataSource,
  organizationId: string,
): DataLoader<string, ChurnRisk | null> {
  return new DataLoader<string, ChurnRisk | null>(async (customerIds) => {
    const ids = [...new Set(customerIds.filter(isUuid))];
    const rows: any[] = ids.length
      ? await queryPrepared<any>(
          dataSource,
          "analytics.churn-risks",
          `WITH latest AS (SELECT id FROM churn_models WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY trained_at DESC LIMIT 1)
           SELECT p.customer_id, p.model_id, p.probability, p.log_odds, p.band, p.factors::text AS factors
             FROM latest JOIN churn_predictions p ON p.organization_id = $1 AND p.model_id = latest.id WHERE p.customer_id = ANY($2::uuid[])`,
          [organizationId, ids],
        )
      : [];
    const byCustomer = new Map(rows.map((row) => [row.customer_id, toRisk(row)]));
    return customerIds.map((id) => byCustomer.get(id) ?? null);
  });
}

/** A customer's prediction under a model. */
export interface PredictionRow {
  customerId: string;
  probability: number;
  /** The log-odds the probability is the sigmoid of. */
  logOdds: number;
  band: RiskBand;
  /** The factors as JSON text (an array of `{ feature, weight, represents? }`). */
  factors: string;
}

/**
 * Stores a model's predictions with one `COPY churn_predictions FROM STDIN` on the connection of
 * `manager`'s transaction: PostgreSQL parses plain text rows (no parameter arrays to build in
 * JavaScript and to unpack in SQL). `chunks` is read one chunk at a time, as the server takes
 * them, so a lazy iterable computes a chunk while PostgreSQL stores the previous one; between
 * chunks the event loop serves other work.
 */
export async function copyPredictions(
  manager: EntityManager,
  organizationId: string,
  modelId: string,
  chunks: Iterable<readonly PredictionRow[]>,
): Promise<void> {
  if (!manager.queryRunner?.isTransactionActive)
    throw new TypeError(
      "copyPredictions needs the entity manager of a transaction (dataSource.transaction).",
    );
  const client = (await manager.queryRunner.connect()) as PoolClient;
  const model = `${copyText(organizationId)}\t${copyText(modelId)}`;
  async function* text(): AsyncGenerator<string> {
    for (const rows of chunks) {
      let lines = "";
      for (const row of rows)
        lines += `${model}\t${copyText(row.customerId)}\t${row.probability}\t${row.logOdds}\t${row.band}\t${copyText(row.factors)}\n`;
      if (lines) yield lines;
      // The stream asks for the next chunk as soon as the socket takes this one, so without this
      // the whole COPY (and a lazy `chunks` computing its rows) would hold the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await pipeline(
    Readable.from(text()),
    client.query(
      copyFrom(
        `COPY churn_predictions (organization_id, model_id, customer_id, probability, log_odds, band, factors) FROM STDIN`,
      ),
    ),
  );
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

/**
 * A value as a field of COPY's text format: backslash, tab, newline and carriage return escaped.
 */
export function copyText(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}
