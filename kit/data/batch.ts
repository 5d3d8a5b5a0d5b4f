import DataLoader from "dataloader";
import { isUuid } from "./ids";

/**
 * A DataLoader keyed by UUID whose batch function loads many rows in one query. Results come back
 * in key order with `null` for a missing key or one that is not a UUID (never queried).
 */
export function uuidLoader<T extends { id: string }>(
  loadMany: (ids: string[]) => Promise<T[]>,
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (keys) => {
    const ids = [...new Set(keys.filter(isUuid).map((key) => key.toLowerCase()))];
    const rows = ids.length > 0 ? await loadMany(ids) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return keys.map((key) => (isUuid(key) ? (byId.get(key.toLowerCase()) ?? null) : null));
  });
}

/** Groups rows by a key and returns one (possibly empty) array per requested key, in key order. */
export function groupByKeys<K, T>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}
