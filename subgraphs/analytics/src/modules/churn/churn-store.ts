import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { isUuid } from "../../../../shared/src/data/ids";
import type { ChurnModel, ChurnRisk, RiskBand } from "./churn.types";

/** A model of the organization (the latest completed one when `id` is omitted); null when there is none. */
export async function loadChurnModel(dataSource: DataSource, organizationId: string, id?: string | null): Promise<ChurnModel | null> {
  if (id !== undefined && id !== null && !isUuid(id)) return null;
  const [row]: Record<string, any>[] = await dataSource.query(
    id
      ? `SELECT * FROM churn_models WHERE organization_id = $1 AND id = $2`
      : `SELECT * FROM churn_models WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY trained_at DESC LIMIT 1`,
    id ? [organizationId, id] : [organizationId],
  );
  if (!row) return null;
  return {
    id: row.id, trainedAt: row.trained_at, status: row.status, progress: row.progress, error: row.error, cutoff: row.cutoff,
    horizonDays: row.horizon_days, labelSource: row.label_source, trainingSize: row.training_size ?? 0, positiveRate: row.positive_rate ?? 0,
    auc: row.auc ?? 0, accuracy: row.accuracy ?? 0, precision: row.precision ?? 0, recall: row.recall ?? 0, threshold: row.threshold ?? 0,
    features: (row.model?.coefficients ?? []) as ChurnModel["features"],
  };
}

/** The id of the organization's latest completed model, or null. */
export async function latestChurnModelId(dataSource: DataSource, organizationId: string): Promise<string | null> {
  const [row] = await dataSource.query(`SELECT id FROM churn_models WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY trained_at DESC LIMIT 1`, [organizationId]);
  return row?.id ?? null;
}

export function toRisk(row: { model_id: string; probability: number; band: string; factors: ChurnRisk["factors"] }): ChurnRisk {
  return { modelId: row.model_id, probability: row.probability, band: row.band as RiskBand, factors: row.factors };
}

/** Per-request loader of each customer's churn risk under the latest model: N customers, one query. */
export function createChurnRiskLoader(dataSource: DataSource, organizationId: string): DataLoader<string, ChurnRisk | null> {
  return new DataLoader<string, ChurnRisk | null>(async (customerIds) => {
    const ids = [...new Set(customerIds.filter(isUuid))];
    const rows: any[] = ids.length
      ? await dataSource.query(
          `WITH latest AS (SELECT id FROM churn_models WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY trained_at DESC LIMIT 1)
           SELECT p.* FROM latest JOIN churn_predictions p ON p.model_id = latest.id WHERE p.customer_id = ANY($2::uuid[])`,
          [organizationId, ids],
        )
      : [];
    const byCustomer = new Map(rows.map((row) => [row.customer_id, toRisk(row)]));
    return customerIds.map((id) => byCustomer.get(id) ?? null);
  });
}
