import type { DataSource } from "typeorm";
import { DEMO_PASSWORD, type DemoDataset } from "#dev/demo/demo-dataset";
import { hashPassword } from "./modules/user/password";

/**
 * Inserts the demo organizations and users, all with the password {@link DEMO_PASSWORD}.
 * Returns false (and writes nothing) when they are already there.
 */
export async function seedUsersDemoData(
  dataSource: DataSource,
  dataset: DemoDataset,
): Promise<boolean> {
  const [{ present }] = await dataSource.query(
    "SELECT count(*)::int AS present FROM organizations WHERE id = $1",
    [dataset.organizations[0].id],
  );
  if (present > 0) return false;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await dataSource.transaction(async (manager) => {
    for (const organization of dataset.organizations) {
      await manager.query("INSERT INTO organizations (id, name) VALUES ($1, $2)", [
        organization.id,
        organization.name,
      ]);
    }
    for (const user of dataset.users) {
      await manager.query(
        "INSERT INTO users (id, organization_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5, $6)",
        [user.id, user.organizationId, user.email, user.name, user.role, passwordHash],
      );
    }
  });
  return true;
}
