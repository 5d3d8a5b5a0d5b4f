import type { EventFilter } from "../timeseries/event-filter.input";
import type { PublishedEvent } from "./published-event";

/**
 * True when `event` passes `filter` (types, customer, campaign, and equality of each given
 * property), the same conditions the metric queries apply in SQL.
 */
export function matchesFilter(
  event: PublishedEvent,
  filter: EventFilter | null | undefined,
): boolean {
  if (!filter) return true;
  if (filter.types?.length && !filter.types.includes(event.type)) return false;
  if (filter.customerId && filter.customerId !== event.customerId) return false;
  if (filter.campaignId && filter.campaignId !== event.campaignId) return false;
  if (filter.properties) {
    for (const [key, expected] of Object.entries(filter.properties)) {
      if (JSON.stringify(event.properties?.[key]) !== JSON.stringify(expected)) return false;
    }
  }
  return true;
}
