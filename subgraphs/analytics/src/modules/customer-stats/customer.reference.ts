import type { AnalyticsContext } from "../../context";
import type { Customer } from "./customer.type";

/**
 * Resolves a `Customer` reference to the key analytics computes from. Anonymous callers get `null`;
 * the computed fields only ever read the caller's own organization's events.
 */
export function resolveCustomerReference(reference: { id: string }, { viewer }: AnalyticsContext): Customer | null {
  return viewer ? { id: reference.id } : null;
}
