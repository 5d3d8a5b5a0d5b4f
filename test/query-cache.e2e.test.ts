import { sqlQueryCount } from "#kit/database/query-counter";
import { useSupergraph } from "./support/supergraph";

const file = useSupergraph({ owner: true });

const SERIES = `query($from: DateTime!, $to: DateTime!) { timeseries(metric: "revenue", from: $from, to: $to, interval: DAY) { total points { value } } summary(from: $from, to: $to) { orders { value } } }`;
const range = { from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z" };

async function series(token: string) {
  const before = sqlQueryCount("analytics");
  const { body } = await file.request(SERIES, { token, variables: range });
  expect(body.errors).toBeUndefined();
  return {
    total: body.data!.timeseries.total as number,
    orders: body.data!.summary.orders.value as number,
    sql: sqlQueryCount("analytics") - before,
  };
}

async function purchase(token: string, id: string, value: number) {
  const { body } = await file.request(
    `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
    {
      token,
      variables: { events: [{ id, type: "purchase", value, timestamp: "2026-11-15T12:00:00Z" }] },
    },
  );
  expect(body.data!.trackEvents.accepted).toBe(1);
}

describe("the analytics query cache", () => {
  it("answers a repeated query without SQL, and never with a result older than the organization's last event", async () => {
    const token = file.owner.accessToken;
    await purchase(token, "c-1", 10);
    const first = await series(token);
    expect(first).toMatchObject({ total: 10, orders: 1 });
    expect(first.sql).toBeGreaterThan(0);
    const again = await series(token);
    expect(again).toEqual({ total: 10, orders: 1, sql: 0 });
    // A new event of this organization retires its cached results at once.
    await purchase(token, "c-2", 5);
    const fresh = await series(token);
    expect(fresh).toMatchObject({ total: 15, orders: 2 });
    expect(fresh.sql).toBeGreaterThan(0);
    // A replayed batch stores nothing, changes nothing, and the cache keeps serving.
    await file.request(
      `mutation { trackEvents(events: [{ id: "c-2", type: "purchase", value: 5, timestamp: "2026-11-15T12:00:00Z" }]) { duplicates } }`,
      { token },
    );
    expect(await series(token)).toMatchObject({ total: 15, orders: 2 });
  });

  it("keeps organizations apart: another organization's events do not retire this one's results, nor share them", async () => {
    const token = file.owner.accessToken;
    await series(token); // cached
    const other = await file.signUp();
    await purchase(other.accessToken, "o-1", 99);
    expect((await series(token)).sql).toBe(0);
    expect(await series(other.accessToken)).toMatchObject({ total: 99, orders: 1 });
  });
});
