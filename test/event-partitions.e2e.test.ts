import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { PartitionEventsByMonth1763900006000 } from "../subgraphs/analytics/migrations/1763900006000-PartitionEventsByMonth";
import { CreateIdentities1763900030000 } from "../subgraphs/analytics/migrations/1763900030000-CreateIdentities";
import { CoverEventTypeIndexWithActors1763900031000 } from "../subgraphs/analytics/migrations/1763900031000-CoverEventTypeIndexWithActors";
import { ShardEventTypeIndexByActor1763900080000 } from "../subgraphs/analytics/migrations/1763900080000-ShardEventTypeIndexByActor";
import { OrderEventTypesByActor1763900090000 } from "../subgraphs/analytics/migrations/1763900090000-OrderEventTypesByActor";
import {
  maintainEventPartitions,
  PARTITIONS_AHEAD_MONTHS,
} from "../subgraphs/analytics/src/modules/ingest/event-partitions";
import { validateEvent } from "../subgraphs/analytics/src/modules/ingest/event-validation";
import { ingestEvents } from "../subgraphs/analytics/src/modules/ingest/ingest-events";
import {
  createScratchAnalyticsDatabase,
  type ScratchAnalyticsDatabase,
} from "./support/scratch-analytics-database";

/**
 * `events` partitioned by month (migration 1763900006000): the migration moves existing events,
 * ingestion makes the partitions it needs and still stores each id once (through `event_ids`),
 * and retention drops whole old months. Each test runs on a scratch analytics database.
 */
let database: ScratchAnalyticsDatabase;
let scratch: DataSource;

beforeEach(async () => {
  database = await createScratchAnalyticsDatabase("partitions");
  scratch = database.dataSource;
});

afterEach(() => database?.drop());

const partitions = async () =>
  (
    await scratch.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
    )
  ).map((row: { name: string }) => row.name);
const row = (id: string, iso: string, type = "purchase") => ({
  id,
  type,
  customerId: null,
  anonymousId: null,
  campaignId: null,
  timestamp: new Date(iso),
  value: 10,
  properties: null,
});

it("moves the events of an unpartitioned table into monthly partitions, and their ids into event_ids", async () => {
  const migration = new PartitionEventsByMonth1763900006000();
  // The later migrations that change events come off first and go on again after.
  const later = [
    new CreateIdentities1763900030000(),
    new CoverEventTypeIndexWithActors1763900031000(),
    new ShardEventTypeIndexByActor1763900080000(),
    new OrderEventTypesByActor1763900090000(),
  ];
  const runner = scratch.createQueryRunner();
  try {
    for (const step of [...later].reverse()) await step.down(runner);
    await migration.down(runner);
    const organizationId = randomUUID();
    for (const [id, at] of [
      ["a", "2025-12-31T23:59:59Z"],
      ["b", "2026-01-01T00:00:00Z"],
      ["c", "2026-01-15T12:00:00Z"],
    ]) {
      await runner.query(
        `INSERT INTO events (organization_id, id, type, "timestamp", value) VALUES ($1, $2, 'purchase', $3, 5)`,
        [organizationId, id, at],
      );
    }
    await migration.up(runner);
    for (const step of later) await step.up(runner);
    expect(
      (
        await runner.query(
          `SELECT count(*)::int AS n FROM pg_partitioned_table WHERE partrelid = 'events'::regclass`,
        )
      )[0].n,
    ).toBe(1);
    expect(await partitions()).toEqual(
      expect.arrayContaining(["events_p202512", "events_p202601"]),
    );
    expect(
      await runner.query(
        `SELECT tableoid::regclass::text AS partition, id FROM events ORDER BY id`,
      ),
    ).toEqual([
      { partition: "events_p202512", id: "a" },
      { partition: "events_p202601", id: "b" },
      { partition: "events_p202601", id: "c" },
    ]);
    expect(
      (
        await runner.query(`SELECT count(*)::int AS n FROM event_ids WHERE organization_id = $1`, [
          organizationId,
        ])
      )[0].n,
    ).toBe(3);
    // The moved ids are known: sending them again stores nothing, even with another timestamp.
    const stored = await ingestEvents(scratch, organizationId, [
      row("a", "2025-12-31T23:59:59Z"),
      row("c", "2026-02-03T00:00:00Z"),
      row("d", "2026-02-03T00:00:00Z"),
    ]);
    expect(stored.map((event) => event.id)).toEqual(["d"]);
  } finally {
    await runner.release();
  }
});

it("makes the partitions a batch needs, even under concurrent batches, and stores each id once", async () => {
  const organizationId = randomUUID();
  const batch = [
    row("x1", "2019-03-10T00:00:00Z"),
    row("x2", "2019-04-10T00:00:00Z"),
    row("x1", "2019-05-10T00:00:00Z"),
    row("x3", "2019-05-31T23:59:59.999Z"),
  ];
  const results = await Promise.all(
    [0, 1, 2, 3].map(() => ingestEvents(scratch, organizationId, batch)),
  );
  expect(
    results
      .flat()
      .map((event) => event.id)
      .sort(),
  ).toEqual(["x1", "x2", "x3"]);
  // The first of a repeated id in a batch wins.
  expect(
    (
      await scratch.query(`SELECT "timestamp" FROM events WHERE id = 'x1'`)
    )[0].timestamp.toISOString(),
  ).toBe("2019-03-10T00:00:00.000Z");
  expect(await partitions()).toEqual(
    expect.arrayContaining(["events_p201903", "events_p201904", "events_p201905"]),
  );
  const [{ n }] = await scratch.query(
    `SELECT sum(count)::int AS n FROM event_rollups_hour WHERE organization_id = $1`,
    [organizationId],
  );
  expect(n).toBe(3);
});

it("keeps partitions ready ahead, and drops whole months past the retention period with their ids, keeping rollups", async () => {
  const organizationId = randomUUID();
  await ingestEvents(scratch, organizationId, [
    row("jan", "2026-01-20T00:00:00Z"),
    row("feb", "2026-02-20T00:00:00Z"),
    row("apr", "2026-04-01T00:00:00Z"),
    row("may", "2026-05-05T00:00:00Z"),
  ]);
  const now = Date.UTC(2026, 5, 15); // mid-June: two months kept before it are April and May
  const result = await maintainEventPartitions(scratch, 2, now);
  expect(result.dropped).toEqual(expect.arrayContaining(["2026-01", "2026-02"]));
  expect(result.dropped).not.toContain("2026-04");
  expect(result.forgottenIds).toBe(2);
  const names = await partitions();
  expect(names).not.toContain("events_p202601");
  expect(names).toEqual(
    expect.arrayContaining([
      "events_p202604",
      "events_p202605",
      "events_p202606",
      `events_p2026${String(6 + PARTITIONS_AHEAD_MONTHS).padStart(2, "0")}`,
    ]),
  );
  expect(
    (await scratch.query(`SELECT id FROM events ORDER BY "timestamp"`)).map(
      (r: { id: string }) => r.id,
    ),
  ).toEqual(["apr", "may"]);
  expect(
    (await scratch.query(`SELECT id FROM event_ids ORDER BY "timestamp"`)).map(
      (r: { id: string }) => r.id,
    ),
  ).toEqual(["apr", "may"]);
  const [{ n }] = await scratch.query(
    `SELECT sum(count)::int AS n FROM event_rollups_hour WHERE organization_id = $1`,
    [organizationId],
  );
  expect(n).toBe(4);
  // Without retention nothing is dropped.
  expect((await maintainEventPartitions(scratch, 0, now)).dropped).toEqual([]);
});

it("refuses events older than the retention period, by index, with the reason", () => {
  const earliest = Date.UTC(2026, 3, 1);
  expect(
    validateEvent(
      { type: "purchase", timestamp: new Date("2026-03-31T23:59:59Z") } as never,
      Date.UTC(2026, 5, 15),
      earliest,
    ),
  ).toEqual({
    reason: expect.stringMatching(
      /before 2026-04-01T00:00:00.000Z, the start of the retention period \(ANALYTICS_EVENT_RETENTION_MONTHS\)/,
    ),
  });
  expect(
    validateEvent(
      { type: "purchase", timestamp: new Date("2026-04-01T00:00:00Z") } as never,
      Date.UTC(2026, 5, 15),
      earliest,
    ),
  ).toHaveProperty("row");
});
