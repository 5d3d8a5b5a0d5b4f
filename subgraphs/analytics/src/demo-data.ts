import type { DataSource } from "typeorm";
import type { DemoDataset } from "#dev/demo/demo-dataset";
import { ingestEvents } from "./modules/ingest/ingest-events";

/** Events per statement when loading demo events. */
const CHUNK = 2_000;

/**
 * Inserts the demo events through the ingest path, so the rollups are filled exactly as for
 * tracked events. Returns false (writing nothing) when they are already there.
 */
export async function seedAnalyticsDemoData(
  dataSource: DataSource,
  dataset: DemoDataset,
): Promise<boolean> {
  const [{ present }] = await dataSource.query(
    "SELECT count(*)::int AS present FROM events WHERE organization_id = $1",
    [dataset.organizations[0].id],
  );
  if (present > 0) return false;
  for (const organization of dataset.organizations) {
    const events = dataset.events.filter((event) => event.organizationId === organization.id);
    for (let start = 0; start < events.length; start += CHUNK) {
      const rows = events
        .slice(start, start + CHUNK)
        .map((e) => ({ ...e, properties: e.properties ? JSON.stringify(e.properties) : null }));
      await ingestEvents(dataSource, organization.id, rows);
    }
  }
  return true;
}
