import type { SeededRandom } from "#kit/random";
import {
  actorOf,
  apiKey,
  chronological,
  createCustomers,
  identifyAll,
  intervalOf,
  ms,
  passes,
  randomId,
  track,
  type Filter,
  type SentEvent,
} from "./people";
import type { SignedUp, TestSupergraph } from "./supergraph";

/**
 * The plain JavaScript reference of product.md's stickiness, lifecycle and paths rules, which
 * the queries are held to: written for clarity, not speed, sharing no code with the service.
 * Intervals align with Intl's calendar (test/support/people.ts's intervalOf), not PostgreSQL's.
 */

export type PeopleInterval = "DAY" | "WEEK" | "MONTH";

/** A stickiness or lifecycle query as the tests send it. */
export interface IntervalQuery {
  event: string;
  from: string;
  to: string;
  interval?: PeopleInterval;
  timezone?: string;
  filter?: Filter;
}

/** The starts of the intervals from the one holding `from` to the one holding `to` - 1 ms. */
export function intervalStarts(
  zone: string,
  interval: PeopleInterval,
  from: number,
  to: number,
): number[] {
  const first = intervalOf(zone, interval, from);
  const count = intervalOf(zone, interval, to - 1).number - first.number + 1;
  const starts: number[] = [];
  for (let at = first.start; starts.length < count;) {
    starts.push(at);
    // The next interval's start: a moment well inside the next interval, rounded down.
    const hours = interval === "DAY" ? 26 : interval === "WEEK" ? 7 * 24 + 2 : 32 * 24;
    at = intervalOf(zone, interval, at + hours * 3_600_000).start;
  }
  return starts;
}

/** Each actor's events of the type passing the filter, before `to` (and from `since` on). */
function actorEvents(
  sent: SentEvent[],
  links: Map<string, string>,
  query: IntervalQuery,
  since: number,
): Map<string, SentEvent[]> {
  const to = Date.parse(query.to);
  const byActor = new Map<string, SentEvent[]>();
  for (const event of sent) {
    const actor = actorOf(event, links);
    if (!actor || event.type !== query.event || !passes(event, query.filter, links)) continue;
    if (ms(event) < since || ms(event) >= to) continue;
    byActor.set(actor, [...(byActor.get(actor) ?? []), event]);
  }
  return byActor;
}

/** Stickiness: for n = 1..N, the actors with the event in exactly n distinct intervals. */
export function referenceStickiness(
  sent: SentEvent[],
  links: Map<string, string>,
  query: IntervalQuery,
): { intervals: number; actors: number }[] {
  const zone = query.timezone ?? "UTC";
  const interval = query.interval ?? "DAY";
  const starts = intervalStarts(zone, interval, Date.parse(query.from), Date.parse(query.to));
  const counts = starts.map(() => 0);
  for (const events of actorEvents(sent, links, query, starts[0]).values()) {
    const intervals = new Set(events.map((e) => intervalOf(zone, interval, ms(e)).number));
    counts[intervals.size - 1]++;
  }
  return counts.map((actors, i) => ({ intervals: i + 1, actors }));
}

/** One interval of the lifecycle. */
export interface ReferencePoint {
  bucket: string;
  new: number;
  returning: number;
  resurrecting: number;
  dormant: number;
}

/**
 * Lifecycle, per interval of the range: of the actors active in it, `new` (first event ever in
 * it), `returning` (active in the previous interval too), `resurrecting` (not in the previous,
 * but some time before); `dormant`: active in the previous interval, not in this one. Events
 * before `from` count.
 */
export function referenceLifecycle(
  sent: SentEvent[],
  links: Map<string, string>,
  query: IntervalQuery,
): ReferencePoint[] {
  const zone = query.timezone ?? "UTC";
  const interval = query.interval ?? "DAY";
  const starts = intervalStarts(zone, interval, Date.parse(query.from), Date.parse(query.to));
  const actors = [...actorEvents(sent, links, query, -Infinity).values()].map((events) => ({
    first: Math.min(...events.map(ms)),
    active: new Set(events.map((e) => intervalOf(zone, interval, ms(e)).number)),
  }));
  return starts.map((start) => {
    const number = intervalOf(zone, interval, start).number;
    const point: ReferencePoint = {
      bucket: new Date(start).toISOString(),
      new: 0,
      returning: 0,
      resurrecting: 0,
      dormant: 0,
    };
    for (const actor of actors) {
      const now = actor.active.has(number);
      const before = actor.active.has(number - 1);
      if (now && intervalOf(zone, interval, actor.first).number === number) point.new++;
      else if (now && before) point.returning++;
      else if (now && actor.first < start) point.resurrecting++;
      if (before && !now) point.dormant++;
    }
    return point;
  });
}

/** A paths query as the tests send it. */
export interface PathsQuery {
  from: string;
  to: string;
  startEvent?: string;
  depth?: number;
  sessionGapMinutes?: number;
  top?: number;
  filter?: Filter;
}

/** One edge of the paths. */
export interface ReferenceEdge {
  step: number;
  source: string;
  target: string;
  count: number;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Paths: each actor's events of [from, to) passing the filter in time order (ties: type, then
 * id), split into sessions at gaps over sessionGapMinutes; repeats of a type in a row once; a path
 * from the session's first startEvent (none without one) or its first event, of at most depth
 * types; the edges (step, source, target) with the paths taking them, the `top` largest, ties by
 * step, source, target.
 */
export function referencePaths(
  sent: SentEvent[],
  links: Map<string, string>,
  query: PathsQuery,
): ReferenceEdge[] {
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  const depth = query.depth ?? 4;
  const gap = (query.sessionGapMinutes ?? 30) * 60_000;
  const byActor = new Map<string, SentEvent[]>();
  for (const event of sent) {
    const actor = actorOf(event, links);
    if (!actor || ms(event) < from || ms(event) >= to || !passes(event, query.filter, links))
      continue;
    byActor.set(actor, [...(byActor.get(actor) ?? []), event]);
  }
  const counts = new Map<string, ReferenceEdge>();
  for (const unsorted of byActor.values()) {
    const events = chronological(unsorted);
    const sessions: string[][] = [];
    for (let i = 0; i < events.length; i++) {
      if (i === 0 || ms(events[i]) - ms(events[i - 1]) > gap) sessions.push([]);
      const session = sessions[sessions.length - 1];
      if (session[session.length - 1] !== events[i].type) session.push(events[i].type);
    }
    for (const session of sessions) {
      const start = query.startEvent ? session.indexOf(query.startEvent) : 0;
      if (start < 0) continue;
      const path = session.slice(start, start + depth);
      for (let step = 1; step < path.length; step++) {
        const key = JSON.stringify([step, path[step - 1], path[step]]);
        const edge = counts.get(key) ?? {
          step,
          source: path[step - 1],
          target: path[step],
          count: 0,
        };
        edge.count++;
        counts.set(key, edge);
      }
    }
  }
  return [...counts.values()]
    .sort(
      (a, b) =>
        b.count - a.count ||
        a.step - b.step ||
        compare(a.source, b.source) ||
        compare(a.target, b.target),
    )
    .slice(0, query.top ?? 50);
}

// ---------------------------------------------------------------------------------------------
// Seeded data.

/** Local midnight of a date in a zone (the zones here change their clocks at 2 or 3 AM). */
export function localMidnight(zone: string, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  const offset = (at: number) => {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
    }).formatToParts(new Date(at));
    const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
    return (
      Date.UTC(get("year"), get("month") - 1, get("day"), get("hour")) -
      Math.floor(at / 3_600_000) * 3_600_000
    );
  };
  return wall - offset(wall - offset(wall));
}

/**
 * `count` seeded random events of the types around the spring and autumn DST changes of 2026
 * (January to May, October to early December): 10% exactly at a local midnight of Berlin or New
 * York or a millisecond before one, 5% at the same instant as the event before (a tie); 40% of
 * customers, 55% of visitors, 5% of neither.
 */
export function randomPeopleEvents(
  random: SeededRandom,
  count: number,
  types: string[],
  customers: string[],
  visitors: string[],
  prefix: string,
): SentEvent[] {
  const spans = [
    [Date.UTC(2026, 0, 10), Date.UTC(2026, 4, 10)],
    [Date.UTC(2026, 9, 1), Date.UTC(2026, 11, 5)],
  ];
  const events: SentEvent[] = [];
  for (let i = 0; i < count; i++) {
    const [start, end] = random.pick(spans);
    let at = start + Math.floor(random.next() * (end - start));
    if (random.chance(0.1)) {
      const date = new Date(at);
      const zone = random.pick(["Europe/Berlin", "America/New_York"]);
      at =
        localMidnight(zone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()) -
        (random.chance(0.5) ? 1 : 0);
    } else if (i > 0 && random.chance(0.05)) at = Date.parse(events[i - 1].timestamp);
    const event: SentEvent = {
      id: randomId(random, prefix),
      type: random.pick(types),
      timestamp: new Date(at).toISOString(),
      properties: { plan: random.pick(["free", "pro"]) },
    };
    const roll = random.next();
    if (roll < 0.4) event.customerId = random.pick(customers);
    else if (roll < 0.95) event.anonymousId = random.pick(visitors);
    events.push(event);
  }
  return events;
}

/**
 * A new organization with 30 customers and 100 visitors (40 identified before their events are
 * sent, 30 after, 30 never) and the events sent; resolves the organization, the events and the
 * links the reference reads.
 */
export async function seedPeople(
  supergraph: Pick<TestSupergraph, "request" | "signUp">,
  makeEvents: (customers: string[], visitors: string[]) => SentEvent[],
): Promise<{ organization: SignedUp; sent: SentEvent[]; links: Map<string, string> }> {
  const organization = await supergraph.signUp();
  const key = await apiKey(supergraph, organization.accessToken, ["EVENTS_WRITE"]);
  const customers = await createCustomers(supergraph, organization.accessToken, 30, "people");
  const visitors = Array.from({ length: 100 }, (_, i) => `visitor-${i}`);
  const before = new Map(visitors.slice(0, 40).map((v, i) => [v, customers[i % 30]]));
  const after = new Map(visitors.slice(40, 70).map((v, i) => [v, customers[(i * 7) % 30]]));
  const sent = makeEvents(customers, visitors);
  const links = new Map<string, string>();
  await identifyAll(supergraph, key, before);
  for (const [v, c] of before) links.set(v, c);
  await track(supergraph, key, sent);
  await identifyAll(supergraph, key, after);
  for (const [v, c] of after) links.set(v, c);
  return { organization, sent, links };
}
