import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ClientBase } from "pg";
import type { BenchEvent } from "./event-mix";

/**
 * How rows are bulk loaded: `COPY FROM STDIN` (pg-copy-streams), or 10,000-row `INSERT ... SELECT
 * FROM unnest(...)`.
 */
export type BulkMethod = "COPY" | "unnest INSERT";

type CopyStreams = typeof import("pg-copy-streams");

let copyStreams: CopyStreams | null | undefined;

/** `pg-copy-streams` when it can be loaded, else null. */
function loadCopyStreams(): CopyStreams | null {
  if (copyStreams === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: absent, rows go by INSERT
      copyStreams = require("pg-copy-streams") as CopyStreams;
    } catch {
      copyStreams = null;
    }
  }
  return copyStreams;
}

/** The method {@link bulkLoadEvents} will use here: `COPY` when `pg-copy-streams` is installed. */
export function bulkMethod(): BulkMethod {
  return loadCopyStreams() ? "COPY" : "unnest INSERT";
}

/** The columns written, in the `events` table's order (received_at keeps its default). */
export const EVENT_COLUMNS = `organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties, anonymous_id`;

export interface BulkLoadOptions {
  /** Called after each chunk with the rows written so far. */
  onProgress?: (rows: number) => void;
  /**
   * Rows per chunk (one stream write, or one INSERT). @default 2_000 for COPY, 10_000 for INSERT
   */
  chunkRows?: number;
  /** Force a method (for comparison). @default {@link bulkMethod} */
  method?: BulkMethod;
}

export interface BulkLoadResult {
  rows: number;
  elapsedMs: number;
  method: BulkMethod;
}

/**
 * Writes events of one organization into `table` (the `events` table or one `LIKE events`) as one
 * `COPY ... FROM STDIN` (a single statement: all or nothing), or, without `pg-copy-streams`, as
 * multi-row `INSERT ... SELECT * FROM unnest(...)` statements of 10,000 rows.
 */
export async function bulkLoadEvents(
  client: ClientBase,
  table: string,
  organizationId: string,
  events: Iterable<BenchEvent>,
  options: BulkLoadOptions = {},
): Promise<BulkLoadResult> {
  const method = options.method ?? bulkMethod();
  const started = performance.now();
  let rows = 0;
  if (method === "COPY") {
    const { from } = loadCopyStreams()!;
    const chunkRows = options.chunkRows ?? 2_000;
    const copy = client.query(from(`COPY ${table} (${EVENT_COLUMNS}) FROM STDIN`));
    function* chunks(): Generator<string> {
      let text = "";
      let inChunk = 0;
      for (const event of events) {
        text += copyLine(organizationId, event);
        rows++;
        if (++inChunk === chunkRows) {
          yield text;
          text = "";
          inChunk = 0;
          options.onProgress?.(rows);
        }
      }
      if (text) yield text;
      options.onProgress?.(rows);
    }
    await pipeline(Readable.from(chunks()), copy);
  } else {
    const chunkRows = options.chunkRows ?? 10_000;
    const sql = `INSERT INTO ${table} (${EVENT_COLUMNS})
      SELECT $1, * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::timestamptz[], $7::float8[], $8::jsonb[], $9::text[])`;
    let batch: BenchEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await client.query(sql, [
        organizationId,
        batch.map((e) => e.id),
        batch.map((e) => e.type),
        batch.map((e) => e.customerId),
        batch.map((e) => e.campaignId),
        batch.map((e) => new Date(e.timestampMs).toISOString()),
        batch.map((e) => e.value),
        batch.map((e) => JSON.stringify(e.properties)),
        batch.map((e) => e.anonymousId),
      ]);
      rows += batch.length;
      batch = [];
      options.onProgress?.(rows);
    };
    for (const event of events) {
      batch.push(event);
      if (batch.length === chunkRows) await flush();
    }
    await flush();
  }
  return { rows, elapsedMs: performance.now() - started, method };
}

/** One row in COPY's text format: tab-separated, `\N` for null, backslash escapes. */
export function copyLine(organizationId: string, event: BenchEvent): string {
  return (
    `${organizationId}\t${escapeCopy(event.id)}\t${escapeCopy(event.type)}\t${event.customerId ?? "\\N"}\t${event.campaignId ?? "\\N"}\t` +
    `${isoTimestamp(event.timestampMs)}\t${event.value ?? "\\N"}\t${propertiesCopyText(event.properties)}\t` +
    `${event.anonymousId === null ? "\\N" : escapeCopy(event.anonymousId)}\n`
  );
}

const SPECIAL = /[\\\t\n\r]/;

function escapeCopy(text: string): string {
  if (!SPECIAL.test(text)) return text;
  return text.replace(
    /[\\\t\n\r]/g,
    (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!,
  );
}

// eslint-disable-next-line no-control-regex -- JSON escapes exactly these control characters
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;

/**
 * The properties as JSON in COPY text. A flat map of plain strings is written directly: its JSON
 * has no backslash or control character, so it needs no COPY escaping either; anything else goes
 * through `JSON.stringify` and {@link escapeCopy}.
 */
function propertiesCopyText(properties: Record<string, string>): string {
  let json = "{";
  for (const key in properties) {
    const value = properties[key];
    if (typeof value !== "string" || NEEDS_JSON_ESCAPE.test(key) || NEEDS_JSON_ESCAPE.test(value))
      return escapeCopy(JSON.stringify(properties));
    json += `${json.length > 1 ? "," : ""}"${key}":"${value}"`;
  }
  return `${json}}`;
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
let cachedMinute = NaN;
let cachedPrefix = "";

/**
 * `toISOString()`, reusing the date-hour-minute part of the previous call (events come in time
 * order).
 */
function isoTimestamp(timestampMs: number): string {
  const ms = Math.floor(timestampMs);
  const minute = Math.floor(ms / 60_000);
  if (minute !== cachedMinute) {
    cachedMinute = minute;
    cachedPrefix = new Date(minute * 60_000).toISOString().slice(0, 17);
  }
  const within = ms - minute * 60_000;
  const seconds = Math.floor(within / 1000);
  return `${cachedPrefix}${PAD2[seconds]}.${PAD3[within - seconds * 1000]}Z`;
}
