import { randomUUID } from "node:crypto";
import { isUuid } from "#kit/data/ids";
import type { EventInput } from "./event.input";

/** An event ready to store. */
export interface EventRow {
  id: string;
  type: string;
  customerId: string | null;
  /** The visitor's id when the customer is not known (yet), 1 to 128 characters. */
  anonymousId: string | null;
  campaignId: string | null;
  timestamp: Date;
  value: number | null;
  /** JSON text, or null. */
  properties: string | null;
}

/** Most events one trackEvents call takes. */
export const MAX_EVENTS_PER_BATCH = 10_000;
/** Largest `properties` object, as JSON text. */
export const MAX_PROPERTIES_BYTES = 8 * 1024;
/** How far in the future a timestamp may be (clock skew). */
export const MAX_FUTURE_MS = 5 * 60_000;
/** The earliest timestamp accepted. */
export const EARLIEST_TIMESTAMP = new Date("2000-01-01T00:00:00Z");

/**
 * Validates one event; returns the row to store or the reason it is refused. `earliest` (ms) is
 * the oldest timestamp kept: {@link EARLIEST_TIMESTAMP}, or the start of the retention period
 * when raw events are dropped after some months.
 */
export function validateEvent(
  input: EventInput,
  now: number,
  earliest = EARLIEST_TIMESTAMP.getTime(),
): { row: EventRow } | { reason: string } {
  const type = input.type?.trim() ?? "";
  if (type.length < 1 || type.length > 64) return { reason: "type must be 1 to 64 characters." };
  const id = input.id === undefined || input.id === null ? randomUUID() : String(input.id);
  if (id.length < 1 || id.length > 128) return { reason: "id must be 1 to 128 characters." };
  if (input.customerId != null && !isUuid(input.customerId))
    return { reason: `customerId '${input.customerId}' is not a UUID.` };
  if (input.campaignId != null && !isUuid(input.campaignId))
    return { reason: `campaignId '${input.campaignId}' is not a UUID.` };
  const time = input.timestamp instanceof Date ? input.timestamp.getTime() : NaN;
  if (Number.isNaN(time)) return { reason: "timestamp is not a valid date-time." };
  if (time > now + MAX_FUTURE_MS)
    return { reason: "timestamp is more than 5 minutes in the future." };
  if (time < EARLIEST_TIMESTAMP.getTime()) return { reason: "timestamp is before 2000-01-01." };
  if (time < earliest)
    return {
      reason: `timestamp is before ${new Date(earliest).toISOString()}, the start of the retention period (ANALYTICS_EVENT_RETENTION_MONTHS).`,
    };
  if (input.value != null && !Number.isFinite(input.value))
    return { reason: "value must be a finite number." };
  let properties: string | null = null;
  if (input.properties != null) {
    if (typeof input.properties !== "object" || Array.isArray(input.properties))
      return { reason: "properties must be a JSON object." };
    properties = JSON.stringify(input.properties);
    if (Buffer.byteLength(properties) > MAX_PROPERTIES_BYTES)
      return { reason: `properties exceed ${MAX_PROPERTIES_BYTES} bytes of JSON.` };
  }
  return {
    row: {
      id,
      type,
      customerId: input.customerId?.toLowerCase() ?? null,
      anonymousId: input.anonymousId ?? null,
      campaignId: input.campaignId?.toLowerCase() ?? null,
      timestamp: input.timestamp,
      value: input.value ?? null,
      properties,
    },
  };
}
