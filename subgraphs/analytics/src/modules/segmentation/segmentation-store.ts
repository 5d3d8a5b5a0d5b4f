import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { isUuid } from "#kit/data/ids";
import type { FeatureValue } from "../features/feature-value.type";
import type { Segment, SegmentationRun } from "./segmentation.types";
import { JobStatus } from "../jobs/job-status";
import { queryPrepared } from "#kit/database/prepared-query";

interface RunRow {
  id: string;
  created_at: Date;
  status: JobStatus;
  progress: number;
  error: string | null;
  as_of: Date;
  k: number | null;
  features: string[];
  silhouette: number | null;
  inertia: number | null;
  customer_count: number | null;
}

interface SegmentRow {
  run_id: string;
  index: number;
  label: string;
  size: number;
  share: number;
  revenue_share: number;
  centroid: FeatureValue[];
}

export function toSegment(row: SegmentRow): Segment {
  return {
    id: `${row.run_id}:${row.index}`,
    runId: row.run_id,
    index: row.index,
    label: row.label,
    size: row.size,
    share: row.share,
    revenueShare: row.revenue_share,
    centroid: row.centroid,
  };
}

/**
 * A run of the organization (the latest completed one when `id` is omitted), with its segments;
 * null when there is none.
 */
export async function loadSegmentationRun(
  dataSource: DataSource,
  organizationId: string,
  id?: string | null,
): Promise<SegmentationRun | null> {
  if (id !== undefined && id !== null && !isUuid(id)) return null;
  const [run]: RunRow[] = await dataSource.query(
    id
      ? `SELECT * FROM segmentation_runs WHERE organization_id = $1 AND id = $2`
      : `SELECT * FROM segmentation_runs WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY created_at DESC LIMIT 1`,
    id ? [organizationId, id] : [organizationId],
  );
  if (!run) return null;
  const segments: SegmentRow[] = await dataSource.query(
    `SELECT * FROM segments WHERE organization_id = $1 AND run_id = $2 ORDER BY index`,
    [organizationId, run.id],
  );
  return {
    id: run.id,
    createdAt: run.created_at,
    status: run.status,
    progress: run.progress,
    error: run.error,
    asOf: run.as_of,
    k: run.k ?? 0,
    features: run.features,
    silhouette: run.silhouette ?? 0,
    inertia: run.inertia ?? 0,
    customerCount: run.customer_count ?? 0,
    segments: segments.map(toSegment),
  };
}

/**
 * Per-request loader of each customer's segment in the organization's latest completed run:
 * N customers cost one SQL query; customers outside the run get null.
 */
export function createCustomerSegmentLoader(
  dataSource: DataSource,
  organizationId: string,
): DataLoader<string, Segment | null> {
  return new DataLoader<string, Segment | null>(async (customerIds) => {
    const ids = [...new Set(customerIds.filter(isUuid))];
    type MemberRow = Omit<SegmentRow, "centroid"> & { customer_id: string; centroid: string };
    const rows: MemberRow[] = ids.length
      ? await queryPrepared<MemberRow>(
          dataSource,
          "analytics.customer-segments",
          `WITH latest AS (
             SELECT id FROM segmentation_runs WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY created_at DESC LIMIT 1)
           SELECT m.customer_id, s.run_id, s.index, s.label, s.size, s.share, s.revenue_share,
                  s.centroid::text AS centroid
             FROM latest JOIN segment_members m ON m.organization_id = $1 AND m.run_id = latest.id
             JOIN segments s ON s.organization_id = $1 AND s.run_id = m.run_id AND s.index = m.segment_index
            WHERE m.customer_id = ANY($2::uuid[])`,
          [organizationId, ids],
        )
      : [];
    // Members of one segment share its object, and its centroid is parsed once.
    const segments = new Map<number, Segment>();
    const byCustomer = new Map<string, Segment>();
    for (const row of rows) {
      let segment = segments.get(row.index);
      if (!segment) {
        segment = toSegment({ ...row, centroid: JSON.parse(row.centroid) as FeatureValue[] });
        segments.set(row.index, segment);
      }
      byCustomer.set(row.customer_id, segment);
    }
    return customerIds.map((id) => byCustomer.get(id) ?? null);
  });
}
