import type { AnalyticsContext } from "./context";

/**
 * Resolves a reference to an entity of another subgraph (`Customer`, `Campaign`) to its key, which
 * is all analytics computes from. Anonymous callers get `null`; the computed fields only ever read
 * the caller's own organization's data, so a foreign id looks like one without data.
 */
export function extendedEntityReference(
  reference: { id: string },
  { viewer }: AnalyticsContext,
): { id: string } | null {
  return viewer ? { id: reference.id } : null;
}
