import type { StoredEvent } from "../ingest/ingest-events";

/** An event as it travels through pub/sub (JSON): its timestamp is an ISO string. */
export interface PublishedEvent {
  id: string;
  type: string;
  customerId: string | null;
  anonymousId: string | null;
  campaignId: string | null;
  timestamp: string;
  value: number | null;
  properties: Record<string, unknown> | null;
}

/** The events of one stored batch of one organization. */
export interface EventBatchMessage {
  organizationId: string;
  events: PublishedEvent[];
  /**
   * The primary's WAL position after the batch committed (with a read replica configured): every
   * replica of the service makes the organization's reads wait for it (ReadReplica.noteWriteAt).
   */
  lsn?: string | null;
}

export function toPublishedEvent(event: StoredEvent): PublishedEvent {
  return {
    id: event.id,
    type: event.type,
    customerId: event.customerId,
    anonymousId: event.anonymousId,
    campaignId: event.campaignId,
    timestamp: new Date(event.timestamp).toISOString(),
    value: event.value,
    properties: event.properties,
  };
}
