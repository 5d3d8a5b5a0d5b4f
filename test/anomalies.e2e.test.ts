import { SeededRandom } from "#kit/random";
import {
  detectAnomalies,
  historySpanMs,
} from "../subgraphs/analytics/src/modules/anomaly/anomaly-detector";
import {
  hourOfWeek,
  INTERVAL_MS,
  parametersFor,
} from "../subgraphs/analytics/src/modules/anomaly/anomaly-series";
import { Interval } from "../subgraphs/analytics/src/modules/timeseries/interval";
import { offsetMinutes } from "../subgraphs/analytics/src/modules/timeseries/time-range";
import { useSupergraph, type SignedUp } from "./support/supergraph";

// `anomalies` held equal to a reference: the buckets computed here from the events sent (every
// bucket for counts, zeros from the first value on; only buckets with events for averages), in a
// time zone across a DST change, run through the detector; the same points whatever `from`; and
// ANOMALY rules firing as events arrive.
const supergraph = useSupergraph();
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface SentEvent {
  type: string;
  timestamp: number;
  value?: number;
}

async function send(owner: SignedUp, events: SentEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 2000) {
    const { body } = await supergraph.request(
      `mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted rejected { reason } } }`,
      {
        token: owner.accessToken,
        variables: {
          e: events.slice(i, i + 2000).map((event) => ({
            ...event,
            timestamp: new Date(event.timestamp).toISOString(),
          })),
        },
      },
    );
    expect(body.data!.trackEvents.rejected).toEqual([]);
  }
}

/** The start (UTC ms) of the bucket holding `t` in the zone: hours, or local days. */
function bucketOf(t: number, interval: Interval, zone: string): number {
  if (interval === Interval.HOUR) return Math.floor(t / HOUR) * HOUR;
  const local = t + offsetMinutes(zone, new Date(t)) * 60_000;
  const day = Math.floor(local / DAY) * DAY;
  return (
    day - offsetMinutes(zone, new Date(day - offsetMinutes(zone, new Date(t)) * 60_000)) * 60_000
  );
}

/** The reference: buckets from the events, through the detector, those from `from` on. */
function reference(
  events: SentEvent[],
  aggregate: "count" | "avg",
  from: number,
  to: number,
  interval: Interval,
  zone: string,
  sensitivity: number,
) {
  const parameters = parametersFor(interval);
  const warm = bucketOf(from - historySpanMs(INTERVAL_MS[interval], parameters), interval, zone);
  const first = bucketOf(from, interval, zone);
  const sums = new Map<number, { sum: number; n: number }>();
  for (const event of events) {
    if (event.timestamp < warm || event.timestamp >= to) continue;
    const bucket = bucketOf(event.timestamp, interval, zone);
    const entry = sums.get(bucket) ?? { sum: 0, n: 0 };
    entry.sum += event.value ?? 0;
    entry.n += 1;
    sums.set(bucket, entry);
  }
  let buckets: number[];
  if (aggregate === "count") {
    const firstValue = Math.min(first, ...sums.keys());
    buckets = [];
    for (
      let t = firstValue;
      t < to;
      t = bucketOf(t + (interval === Interval.HOUR ? HOUR : 26 * HOUR), interval, zone)
    )
      buckets.push(t);
  } else {
    buckets = [...sums.keys()].sort((a, b) => a - b);
  }
  const points = buckets.map((bucket) => {
    const entry = sums.get(bucket);
    const value = aggregate === "count" ? (entry?.n ?? 0) : entry!.sum / entry!.n;
    return { bucket, value, hourOfWeek: hourOfWeek(bucket, zone) };
  });
  const results = detectAnomalies(points, INTERVAL_MS[interval], sensitivity, parameters);
  return points
    .map((point, i) => ({
      bucket: new Date(point.bucket).toISOString(),
      value: point.value,
      ...results[i],
    }))
    .filter((point) => Date.parse(point.bucket) >= first);
}

const QUERY = `query($metric: String!, $from: DateTime!, $to: DateTime!, $interval: Interval!, $tz: String, $s: Float, $filter: EventFilter) {
  anomalies(metric: $metric, from: $from, to: $to, interval: $interval, timezone: $tz, sensitivity: $s, filter: $filter) {
    bucket value expected lower upper score anomaly } }`;

async function anomalies(owner: SignedUp, variables: Record<string, unknown>) {
  const { body } = await supergraph.request(QUERY, { token: owner.accessToken, variables });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!.anomalies as ReturnType<typeof reference>;
}

function expectSame(actual: ReturnType<typeof reference>, expected: ReturnType<typeof reference>) {
  expect(actual.map((p) => p.bucket)).toEqual(expected.map((p) => p.bucket));
  actual.forEach((point, i) => {
    const want = expected[i];
    expect(point.value).toBeCloseTo(want.value, 9);
    for (const key of ["expected", "lower", "upper"] as const) {
      if (want[key] === null) expect(point[key]).toBeNull();
      else expect(point[key]).toBeCloseTo(want[key]!, 6);
    }
    expect(point.score).toBeCloseTo(want.score, 9);
    expect(point.anomaly).toBe(want.anomaly);
  });
}

describe("anomalies", () => {
  let owner: SignedUp;
  const events: SentEvent[] = [];
  // Ten days of hourly traffic with a daily pattern, some empty hours, and a burst; readings
  // (an AVG metric) only in some hours, one off the scale.
  const end = Date.UTC(2025, 10, 5, 12);
  const start = end - 40 * DAY;
  beforeAll(async () => {
    owner = await supergraph.signUp();
    const random = new SeededRandom(2025);
    for (let t = start; t < end; t += HOUR) {
      const hour = new Date(t).getUTCHours();
      const n = hour < 6 ? random.int(0, 1) : random.int(5, 12) + (hour > 17 ? 6 : 0);
      for (let i = 0; i < n; i++)
        events.push({ type: "visit", timestamp: t + random.int(0, HOUR - 1) });
      if (random.chance(0.4))
        events.push({ type: "reading", timestamp: t + 1000, value: 20 + random.next() * 4 });
    }
    const burst = end - 30 * HOUR;
    for (let i = 0; i < 120; i++) events.push({ type: "visit", timestamp: burst + i * 1000 });
    events.push({ type: "reading", timestamp: end - 20 * HOUR + 5, value: 90 });
    await send(owner, events);
    const { body } = await supergraph.request(
      `mutation { defineMetric(input: { name: "reading_avg", eventType: "reading", aggregation: AVG }) { name } }`,
      { token: owner.accessToken },
    );
    expect(body.errors).toBeUndefined();
  }, 60_000);

  it("equals the reference for a count by hour, every bucket, and flags the burst", async () => {
    const from = end - 3 * DAY;
    const got = await anomalies(owner, {
      metric: "events",
      filter: { types: ["visit"] },
      from: new Date(from).toISOString(),
      to: new Date(end).toISOString(),
      interval: "HOUR",
    });
    const visits = events.filter((event) => event.type === "visit");
    const want = reference(visits, "count", from, end, Interval.HOUR, "UTC", 0.5);
    expect(got).toHaveLength(72);
    expectSame(got, want);
    const burst = got.find((point) => point.bucket === new Date(end - 30 * HOUR).toISOString())!;
    expect(burst.value).toBeGreaterThan(120);
    expect(burst.anomaly).toBe(true);
    expect(burst.score).toBe(Math.max(...got.map((point) => point.score)));
  });

  it("has points only in buckets with events for an average, and flags the odd reading", async () => {
    const from = end - 2 * DAY;
    const got = await anomalies(owner, {
      metric: "reading_avg",
      from: new Date(from).toISOString(),
      to: new Date(end).toISOString(),
      interval: "HOUR",
      s: 0.8,
    });
    const readings = events.filter((event) => event.type === "reading");
    const want = reference(readings, "avg", from, end, Interval.HOUR, "UTC", 0.8);
    expect(got.length).toBeLessThan(48);
    expectSame(got, want);
    const odd = got.find((point) => point.bucket === new Date(end - 20 * HOUR).toISOString())!;
    expect(odd.value).toBeGreaterThan(50);
    expect(odd.anomaly).toBe(true);
  });

  it("aligns days in the time zone across a DST change (a 25-hour day)", async () => {
    const from = Date.UTC(2025, 9, 20);
    const to = Date.UTC(2025, 10, 3);
    const got = await anomalies(owner, {
      metric: "events",
      filter: { types: ["visit"] },
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      interval: "DAY",
      tz: "Europe/Berlin",
    });
    const visits = events.filter((event) => event.type === "visit");
    const want = reference(visits, "count", from, to, Interval.DAY, "Europe/Berlin", 0.5);
    expectSame(got, want);
    const starts = got.map((point) => Date.parse(point.bucket));
    expect(starts.slice(1).map((t, i) => (t - starts[i]) / HOUR)).toContain(25);
  });

  it("gives the same points for a bucket whatever the range's start (replay)", async () => {
    const to = new Date(end).toISOString();
    const ask = (from: number) =>
      anomalies(owner, {
        metric: "events",
        filter: { types: ["visit"] },
        from: new Date(from).toISOString(),
        to,
        interval: "HOUR",
      });
    const [long, short] = await Promise.all([ask(end - 5 * DAY), ask(end - 1 * DAY + 30 * 60_000)]);
    expect(short).toEqual(long.slice(long.length - short.length));
    expect(short[0].bucket).toBe(new Date(end - DAY).toISOString());
  });

  it("refuses a bad sensitivity, range or metric", async () => {
    for (const [variables, field] of [
      [{ s: 1.5 }, "sensitivity"],
      [{ from: new Date(end).toISOString(), to: new Date(end - DAY).toISOString() }, "from"],
      [{ tz: "Mars/Olympus" }, "timezone"],
    ] as const) {
      const { body } = await supergraph.request(QUERY, {
        token: owner.accessToken,
        variables: {
          metric: "events",
          from: new Date(end - DAY).toISOString(),
          to: new Date(end).toISOString(),
          interval: "HOUR",
          ...variables,
        },
      });
      expect(body.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
    const { body } = await supergraph.request(QUERY, {
      variables: {
        metric: "events",
        from: new Date(end - DAY).toISOString(),
        to: new Date(end).toISOString(),
        interval: "HOUR",
      },
    });
    expect(body.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });
});

describe("ANOMALY alert rules", () => {
  it("fire when the bucket in progress leaves the band, as events arrive", async () => {
    const owner = await supergraph.signUp();
    const random = new SeededRandom(3);
    const now = Date.now();
    const hourStart = Math.floor(now / HOUR) * HOUR;
    const history: SentEvent[] = [];
    for (let t = hourStart - 4 * DAY; t < hourStart; t += HOUR)
      for (let i = random.int(8, 12); i > 0; i--)
        history.push({ type: "page_view", timestamp: t + random.int(0, HOUR - 1) });
    await send(owner, history);
    const { body } = await supergraph.request(
      `mutation { createAlertRule(input: { metric: "page_views", condition: ANOMALY, interval: HOUR, sensitivity: 0.5 }) { id condition threshold interval sensitivity name } }`,
      { token: owner.accessToken },
    );
    expect(body.data!.createAlertRule).toMatchObject({
      condition: "ANOMALY",
      threshold: 0,
      interval: "HOUR",
      sensitivity: 0.5,
      name: "page_views anomaly by hour",
    });
    // A normal amount in this hour: nothing.
    await send(owner, [{ type: "page_view", timestamp: now - 1000 }]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const quiet = await supergraph.request(`{ alerts { id } }`, { token: owner.accessToken });
    expect(quiet.body.data!.alerts).toEqual([]);
    await send(
      owner,
      Array.from({ length: 300 }, (_, i) => ({ type: "page_view", timestamp: now - 2000 - i })),
    );
    let alerts: any[] = [];
    for (let i = 0; i < 50 && alerts.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { body: listed } = await supergraph.request(
        `{ alerts { condition value threshold bucket status rule { condition state } } }`,
        { token: owner.accessToken },
      );
      alerts = listed.data!.alerts;
    }
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({
      condition: "ANOMALY",
      status: "FIRING",
      bucket: new Date(hourStart).toISOString(),
      rule: { condition: "ANOMALY", state: "FIRING" },
    });
    const inHour = history.filter((event) => event.timestamp >= hourStart).length + 301;
    expect(alert.value).toBe(inHour);
    expect(alert.threshold).toBeLessThan(alert.value);
    expect(alert.threshold).toBeGreaterThan(10);
  });
});
