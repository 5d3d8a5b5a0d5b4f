import type { DataSource } from "typeorm";
import type { DemoDataset } from "#dev/demo/demo-dataset";
import { identify } from "./modules/actors/identify";
import { CohortMatch } from "./modules/cohort/cohort.input";
import { validateCohortInput } from "./modules/cohort/cohort-rules";
import { insertCohort } from "./modules/cohort/cohort-store";
import { ingestEvents } from "./modules/ingest/ingest-events";

/** Events per statement when loading demo events. */
const CHUNK = 2_000;

/**
 * Inserts the demo events through the ingest path, so the rollups are filled exactly as for
 * tracked events, then identifies the demo's visitors as the customers they became (through
 * `identify`, which gives their anonymous events their customer), and stores the example cohorts
 * (`dataset.cohorts`). Returns false (writing nothing) when they are already there.
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
    // The demo's customers exist in the customers subgraph's part of the same data set.
    const known = new Set(dataset.customers.map((customer) => customer.id));
    for (const link of dataset.identities.filter((i) => i.organizationId === organization.id)) {
      await identify(dataSource, organization.id, link.anonymousId, link.customerId, async (id) =>
        known.has(id),
      );
    }
    for (const cohort of dataset.cohorts.filter((c) => c.organizationId === organization.id))
      await insertCohort(
        dataSource,
        organization.id,
        cohort.createdByUserId,
        validateCohortInput({
          name: cohort.name,
          match: CohortMatch[cohort.match],
          rules: cohort.rules,
        }),
        cohort.id,
      );
  }
  return true;
}
