import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { startStack } from "../../stack/start-stack";
import { importTransactions } from "../../cli/import/import-transactions";
import { writeTransactionsCsv } from "../../cli/seed/generate-transactions";
import { createAnalyticsDataSource } from "../../subgraphs/analytics/src/data-source";
import { customerFeatures } from "../../subgraphs/analytics/src/modules/features/customer-features";
import { withDatabase } from "#kit/database/database-url";
import { startEmbeddedPostgres } from "#dev/embedded-postgres";
import { freePort } from "#kit/http/ports";
import { graphql } from "../harness/http-client";
import { log, pythonJson, type Availability, type PythonTool } from "./tools";

/** The generated Online Retail–shaped file: rows, customers, seed. */
export const RETAIL_FILE = { lines: 120_000, customers: 1_500, seed: 5 } as const;
export const RETAIL_K = 4;
export const RETAIL_SEED = 0;

/** What scikit-learn's side (sklearn_reference.py retail-rfm) reports. */
export interface SklearnRetail {
  customers: number;
  ourCustomers: number;
  /** Textbook customers our segmentation lacks, and ours the textbook lacks. */
  missing: number;
  extra: number;
  logged: string[];
  /** The largest |ours - textbook| of each RFM feature over the customers. */
  featureGaps: { recency: number; frequency: number; monetary: number };
  sklearnInertia: number;
  /** Our labels' inertia in scikit-learn's feature space, centroids at the clusters' means. */
  oursInertia: number;
  sklearnSilhouette: number;
  oursSilhouette: number;
  adjustedRandIndex: number;
  sklearnSizes: number[];
  oursSizes: number[];
}

export interface RetailSegmentationOutcome {
  file: typeof RETAIL_FILE;
  rowsRead: number;
  orders: number;
  refunds: number;
  importSeconds: number;
  asOf: string;
  /** Our run, as runSegmentation(k: 4, seed: 0) reports it (in our own feature space). */
  ours: { silhouette: number; inertia: number; customerCount: number; seconds: number };
  sklearn: Availability<SklearnRetail>;
}

/**
 * The k = 4 segmentation of a generated Online Retail–shaped file (multi-line invoices,
 * cancellations, rows skipped) imported through the real path (`importTransactions` through the
 * gateway, with no options) and segmented by `runSegmentation(k: 4)`, against scikit-learn's
 * KMeans on the textbook RFM features of the same file: our features next to the textbook ones,
 * silhouette and inertia of both labellings in scikit-learn's feature space, and the adjusted Rand
 * index between them.
 */
export async function retailSegmentation(
  dir: string,
  python: Availability<PythonTool>,
): Promise<RetailSegmentationOutcome> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const csv = path.join(dir, "online-retail.csv");
  log(
    `retail: generating ${RETAIL_FILE.lines.toLocaleString("en-US")} Online Retail rows (${RETAIL_FILE.customers} customers)...`,
  );
  await writeTransactionsCsv(csv, RETAIL_FILE);
  const pgPort = await freePort();
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, "postgres"), port: pgPort });
  try {
    const stack = await startStack({
      serverUrl: server.url,
      keysDir: path.join(dir, "keys"),
      demoData: false,
      ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
    });
    try {
      return await againstStack(
        server.url,
        stack.gateway.url.replace("//localhost:", "//127.0.0.1:"),
        csv,
        dir,
        python,
      );
    } finally {
      await stack.stop();
    }
  } finally {
    await server.stop();
  }
}

async function againstStack(
  serverUrl: string,
  gatewayUrl: string,
  csv: string,
  dir: string,
  python: Availability<PythonTool>,
): Promise<RetailSegmentationOutcome> {
  const suffix = `${Date.now().toString(36)}${process.pid}`;
  const { signUp } = await graphql<{
    signUp: { accessToken: string; user: { organization: { id: string } } };
  }>(
    gatewayUrl,
    `
      mutation ($input: SignUpInput!) {
        signUp(input: $input) {
          accessToken
          user {
            organization {
              id
            }
          }
        }
      }
    `,
    {
      input: {
        organizationName: `Retail quality ${suffix}`,
        name: "Quality Bench",
        email: `retail-${suffix}@example.test`,
        password: "quality-bench-password",
      },
    },
  );
  const token = signUp.accessToken;
  const organizationId = signUp.user.organization.id;

  log("retail: importing the file through the gateway (no options)...");
  let started = performance.now();
  const summary = await importTransactions({
    file: csv,
    url: gatewayUrl,
    credentials: { kind: "token", token },
    columns: {},
    dateFormat: "mdy",
    timezone: "UTC",
    batchSize: 5_000,
    delimiter: ",",
    quiet: true,
  });
  const importSeconds = (performance.now() - started) / 1000;

  const analytics = await createAnalyticsDataSource(
    withDatabase(serverUrl, "analytics"),
  ).initialize();
  const customers = new Client({ connectionString: withDatabase(serverUrl, "customers") });
  await customers.connect();
  try {
    const [{ last }] = await analytics.query(
      `SELECT max("timestamp") AS last FROM events WHERE organization_id = $1 AND type = 'purchase'`,
      [organizationId],
    );
    // The textbook's snapshot date: the day after the last invoice.
    const asOf = new Date((last as Date).getTime() + 86_400_000);

    log(`retail: runSegmentation(k: ${RETAIL_K}, seed: ${RETAIL_SEED}) through the gateway...`);
    started = performance.now();
    let { runSegmentation: run } = await graphql<{
      runSegmentation: SegmentationAnswer;
    }>(
      gatewayUrl,
      `mutation($asOf: DateTime!) { runSegmentation(input: { k: ${RETAIL_K}, seed: ${RETAIL_SEED}, asOf: $asOf, waitSeconds: 60 }) { ${RUN_FIELDS} } }`,
      { asOf: asOf.toISOString() },
      `Bearer ${token}`,
      120_000,
    );
    while (run.status === "RUNNING") {
      await new Promise((resolve) => setTimeout(resolve, 200));
      run = (
        await graphql<{ segmentation: SegmentationAnswer }>(
          gatewayUrl,
          `query($id: ID!) { segmentation(id: $id) { ${RUN_FIELDS} } }`,
          { id: run.id },
          `Bearer ${token}`,
        )
      ).segmentation;
    }
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== "COMPLETED") throw new Error(`segmentation ${run.status}: ${run.error}`);

    const labels: { customer_id: string; segment_index: number }[] = await analytics.query(
      `SELECT customer_id, segment_index FROM segment_members WHERE run_id = $1`,
      [run.id],
    );
    const externalIds = new Map<string, string>(
      (
        await customers.query(`SELECT id, external_id FROM customers WHERE organization_id = $1`, [
          organizationId,
        ])
      ).rows.map((row: { id: string; external_id: string }) => [row.id, row.external_id]),
    );
    const features = new Map(
      (await customerFeatures(analytics, organizationId, asOf, true)).map((row) => [
        row.customerId,
        row,
      ]),
    );
    const ours = path.join(dir, "retail-ours.csv");
    await writeFile(
      ours,
      `externalId,label,recency,frequency,monetary\n${labels
        .map((row) => {
          const f = features.get(row.customer_id)!;
          return `${externalIds.get(row.customer_id)},${row.segment_index},${f.recency},${f.frequency},${f.monetary}`;
        })
        .join("\n")}\n`,
    );
    const outcome: RetailSegmentationOutcome = {
      file: RETAIL_FILE,
      rowsRead: summary.rowsRead,
      orders: summary.events.purchases,
      refunds: summary.events.refunds,
      importSeconds,
      asOf: asOf.toISOString(),
      ours: {
        silhouette: run.silhouette,
        inertia: run.inertia,
        customerCount: run.customerCount,
        seconds,
      },
      sklearn: python.ok ? { ok: false, reason: "not run" } : { ok: false, reason: python.reason },
    };
    if (python.ok) {
      log("retail: scikit-learn KMeans on the textbook RFM of the file...");
      try {
        outcome.sklearn = {
          ok: true,
          value: await pythonJson<SklearnRetail>(python.value, [
            "retail-rfm",
            "--csv",
            csv,
            "--as-of",
            asOf.toISOString(),
            "--ours",
            ours,
            "--k",
            String(RETAIL_K),
            "--n-init",
            "10",
            "--random-state",
            "0",
          ]),
        };
      } catch (error) {
        outcome.sklearn = { ok: false, reason: (error as Error).message };
      }
    }
    return outcome;
  } finally {
    await customers.end();
    await analytics.destroy();
  }
}

const RUN_FIELDS = "id status error silhouette inertia customerCount";
interface SegmentationAnswer {
  id: string;
  status: "RUNNING" | "COMPLETED" | "FAILED";
  error: string | null;
  silhouette: number;
  inertia: number;
  customerCount: number;
}
