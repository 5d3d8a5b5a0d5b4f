import type { SeededRandom } from "#kit/random";
import type { TestSupergraph } from "./supergraph";

/**
 * Helpers of the people-analytics tests (identify, funnels, retention): an organization's
 * customers and API keys, events sent through trackEvents, and the plain JavaScript reference of
 * product.md's rules that the queries are held to. The reference is written for clarity, not
 * speed, and shares no code with the service: every rule is applied as product.md words it.
 */

export const TRACK = `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`;
export const IDENTIFY = `mutation($a: String!, $c: ID!) { identify(anonymousId: $a, customerId: $c) { anonymousId customerId linkedEvents } }`;

/** An event as a test sends it (and as the reference reads it). */
export interface SentEvent {
  id: string;
  type: string;
  timestamp: string;
  customerId?: string | null;
  anonymousId?: string | null;
  campaignId?: string | null;
  value?: number | null;
  properties?: Record<string, unknown> | null;
}

type Supergraph = Pick<TestSupergraph, "request">;

/** Creates `count` customers in the token's organization; resolves their ids. */
export async function createCustomers(
  supergraph: Supergraph,
  token: string,
  count: number,
  prefix: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { body } = await supergraph.request(
      `mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }`,
      { token, variables: { input: { externalId: `${prefix}-${i}`, name: `${prefix} ${i}` } } },
    );
    expect(body.errors).toBeUndefined();
    ids.push(body.data!.createCustomer.id);
  }
  return ids;
}

/** A new API key of the token's organization with these scopes; resolves its Authorization. */
export async function apiKey(supergraph: Supergraph, token: string, scopes: string[]) {
  const { body } = await supergraph.request(
    `mutation($scopes: [ApiKeyScope!]!) { createApiKey(name: "people test", scopes: $scopes) { secret } }`,
    { token, variables: { scopes } },
  );
  expect(body.errors).toBeUndefined();
  return `ApiKey ${body.data!.createApiKey.secret}`;
}

/** A user of the admin's organization with the role; resolves its access token. */
export async function userWithRole(
  supergraph: Pick<TestSupergraph, "request">,
  adminToken: string,
  role: "ANALYST" | "VIEWER",
): Promise<string> {
  const email = `${role.toLowerCase()}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}@example.test`;
  const password = "a-long-enough-password";
  const created = await supergraph.request(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
    { token: adminToken, variables: { input: { email, name: role, password, role } } },
  );
  expect(created.body.errors).toBeUndefined();
  const login = await supergraph.request(
    `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
    { variables: { e: email, p: password } },
  );
  return login.body.data!.login.accessToken;
}

/** Sends events through trackEvents in batches; expects every one accepted. */
export async function track(
  supergraph: Supergraph,
  authorization: string,
  events: SentEvent[],
): Promise<void> {
  for (let i = 0; i < events.length; i += 2_000) {
    const batch = events.slice(i, i + 2_000);
    const { body } = await supergraph.request(TRACK, {
      authorization,
      variables: { events: batch },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.trackEvents).toEqual({ accepted: batch.length, duplicates: 0, rejected: [] });
  }
}

/** Identifies each anonymous id as its customer; expects every call to succeed. */
export async function identifyAll(
  supergraph: Supergraph,
  authorization: string,
  links: Map<string, string>,
): Promise<void> {
  for (const [anonymousId, customerId] of links) {
    const { body } = await supergraph.request(IDENTIFY, {
      authorization,
      variables: { a: anonymousId, c: customerId },
    });
    expect(body.errors).toBeUndefined();
  }
}

/** A random id of printable ASCII letters, so that id order is the same in JavaScript and "C". */
export function randomId(random: SeededRandom, prefix: string): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let id = prefix;
  for (let i = 0; i < 10; i++) id += letters[random.int(0, letters.length - 1)];
  return id;
}

// ---------------------------------------------------------------------------------------------
// The reference.

/** The actor of an event: its customer, else the customer its anonymous id is linked to, else the anonymous id. */
export function actorOf(event: SentEvent, links: Map<string, string>): string | null {
  if (event.customerId) return event.customerId.toLowerCase();
  if (event.anonymousId) {
    const linked = links.get(event.anonymousId);
    return linked ? linked.toLowerCase() : `anon:${event.anonymousId}`;
  }
  return null;
}

/** The customer of an actor (null for an anonymous visitor). */
export function customerOf(actor: string): string | null {
  return actor.startsWith("anon:") ? null : actor;
}

/** An event filter as the API takes it. */
export interface Filter {
  types?: string[];
  customerId?: string;
  campaignId?: string;
  properties?: Record<string, unknown>;
}

/** True when the event passes the filter: every given condition holds. */
export function passes(
  event: SentEvent,
  filter: Filter | null | undefined,
  links: Map<string, string>,
): boolean {
  if (!filter) return true;
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.customerId && actorOf(event, links) !== filter.customerId.toLowerCase()) return false;
  if (filter.campaignId && event.campaignId !== filter.campaignId) return false;
  for (const [key, value] of Object.entries(filter.properties ?? {}))
    if (JSON.stringify(event.properties?.[key]) !== JSON.stringify(value)) return false;
  return true;
}

export const ms = (event: SentEvent) => new Date(event.timestamp).getTime();

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Events in time order; at the same time, in type order, then id order. */
export function chronological(events: SentEvent[]): SentEvent[] {
  return [...events].sort(
    (a, b) => ms(a) - ms(b) || compare(a.type, b.type) || compare(a.id, b.id),
  );
}

export interface FunnelQuery {
  steps: { type: string; filter?: Filter }[];
  from: string;
  to: string;
  conversionWindowSeconds?: number;
  order?: "ORDERED" | "STRICT" | "UNORDERED";
  exclusions?: { type: string; filter?: Filter; fromStep: number; toStep: number }[];
  breakdown?: string;
  filter?: Filter;
}

/** One step as the funnel answers it. */
export interface ReferenceStep {
  count: number;
  conversionRate: number;
  stepConversionRate: number;
  medianSecondsToConvert: number | null;
  averageSecondsToConvert: number | null;
  customers: string[];
  dropped: string[];
}

/** What one actor's best attempt was. */
interface Counted {
  actor: string;
  level: number;
  /** The matched events of steps 1..level (for UNORDERED, the attempt's first event only). */
  events: SentEvent[];
}

/**
 * The funnel of product.md over the events sent, followed rule by rule: for each actor, an attempt
 * at every step-1 event (any step's event for UNORDERED); its steps matched as the rules say; the
 * furthest attempt, the earliest among equals, not counting disqualified ones.
 */
export function referenceFunnel(
  sent: SentEvent[],
  links: Map<string, string>,
  query: FunnelQuery,
): {
  steps: ReferenceStep[];
  breakdowns: { value: string | null; steps: ReferenceStep[] }[] | null;
} {
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  const windowMs = (query.conversionWindowSeconds ?? 14 * 86_400) * 1000;
  const order = query.order ?? "ORDERED";
  const n = query.steps.length;
  const byActor = new Map<string, SentEvent[]>();
  for (const event of sent) {
    const actor = actorOf(event, links);
    if (!actor || ms(event) < from || ms(event) >= to || !passes(event, query.filter, links))
      continue;
    byActor.set(actor, [...(byActor.get(actor) ?? []), event]);
  }
  const isStep = (event: SentEvent, k: number) =>
    event.type === query.steps[k].type && passes(event, query.steps[k].filter, links);
  const isExclusion = (event: SentEvent, x: number) =>
    event.type === query.exclusions![x].type && passes(event, query.exclusions![x].filter, links);

  const counted: Counted[] = [];
  for (const [actor, unsorted] of byActor) {
    const events = chronological(unsorted);
    let best: Counted | null = null;
    for (let s = 0; s < events.length; s++) {
      const first = events[s];
      const starts =
        order === "UNORDERED" ? query.steps.some((_, k) => isStep(first, k)) : isStep(first, 0);
      if (!starts) continue;
      const end = ms(first) + windowMs;
      let level: number;
      // When the attempt reached each step (the event at which it did).
      let reached: SentEvent[];
      if (order === "UNORDERED") {
        const window = events.filter((e) => ms(e) >= ms(first) && ms(e) <= end);
        reached = [];
        for (let i = 1; i <= window.length; i++) {
          const size = maximumMatching(window.slice(0, i), n, isStep);
          if (size > reached.length) reached.push(window[i - 1]);
        }
        level = reached.length;
      } else {
        reached = [first];
        while (reached.length < n) {
          const k = reached.length;
          const previous = reached[k - 1];
          let next: SentEvent | undefined;
          if (order === "STRICT") {
            const after = events[events.indexOf(previous) + 1];
            next = after && isStep(after, k) ? after : undefined;
          } else {
            next = events.find(
              (e) => !reached.includes(e) && isStep(e, k) && ms(e) >= ms(previous),
            );
          }
          if (!next || ms(next) > end) break;
          reached.push(next);
        }
        level = reached.length;
      }
      const excluded = (query.exclusions ?? []).some(
        (exclusion, x) =>
          level >= exclusion.toStep &&
          events.some(
            (e) =>
              isExclusion(e, x) &&
              ms(e) > ms(reached[exclusion.fromStep - 1]) &&
              ms(e) < ms(reached[exclusion.toStep - 1]),
          ),
      );
      if (excluded) continue;
      if (!best || level > best.level)
        best = { actor, level, events: order === "UNORDERED" ? [first] : reached };
    }
    if (best) counted.push(best);
  }

  const stepsOf = (members: Counted[]): ReferenceStep[] => {
    const counts = query.steps.map((_, k) => members.filter((m) => m.level > k).length);
    return query.steps.map((_, k) => {
      const times =
        order === "UNORDERED" || k === 0
          ? []
          : members
              .filter((m) => m.level > k)
              .map((m) => (ms(m.events[k]) - ms(m.events[k - 1])) / 1000);
      const sorted = [...times].sort((a, b) => a - b);
      const half = Math.floor(sorted.length / 2);
      const customers = (keep: (m: Counted) => boolean) =>
        members
          .filter(keep)
          .map((m) => customerOf(m.actor))
          .filter((c): c is string => c !== null)
          .sort();
      return {
        count: counts[k],
        conversionRate: counts[0] ? counts[k] / counts[0] : 0,
        stepConversionRate: k === 0 ? 1 : counts[k - 1] ? counts[k] / counts[k - 1] : 0,
        medianSecondsToConvert:
          sorted.length === 0
            ? null
            : sorted.length % 2
              ? sorted[half]
              : (sorted[half - 1] + sorted[half]) / 2,
        averageSecondsToConvert:
          times.length === 0 ? null : times.reduce((a, b) => a + b, 0) / times.length,
        customers: customers((m) => m.level > k),
        dropped: k === n - 1 ? [] : customers((m) => m.level === k + 1),
      };
    });
  };
  if (!query.breakdown) return { steps: stepsOf(counted), breakdowns: null };
  const valueOf = (m: Counted): string | null => {
    const value = m.events[0].properties?.[query.breakdown!];
    if (value === undefined || value === null) return null;
    return typeof value === "string" ? value : JSON.stringify(value);
  };
  const groups = new Map<string | null, Counted[]>();
  for (const m of counted) groups.set(valueOf(m), [...(groups.get(valueOf(m)) ?? []), m]);
  const ranked = [...groups.entries()].sort(
    ([a, x], [b, y]) => y.length - x.length || (a === null ? 1 : b === null ? -1 : a < b ? -1 : 1),
  );
  const breakdowns = ranked
    .slice(0, 10)
    .map(([value, members]) => ({ value, steps: stepsOf(members) }));
  const rest = ranked.slice(10).flatMap(([, members]) => members);
  if (rest.length) breakdowns.push({ value: "other", steps: stepsOf(rest) });
  return { steps: stepsOf(counted), breakdowns };
}

/**
 * The most distinct steps the events can do, each event doing one step (Kuhn's augmenting paths,
 * recomputed from scratch).
 */
function maximumMatching(
  events: SentEvent[],
  steps: number,
  isStep: (event: SentEvent, k: number) => boolean,
): number {
  const holder = new Array<number>(steps).fill(-1);
  const tryEvent = (e: number, seen: Set<number>): boolean => {
    for (let k = 0; k < steps; k++) {
      if (!isStep(events[e], k) || seen.has(k)) continue;
      seen.add(k);
      if (holder[k] === -1 || tryEvent(holder[k], seen)) {
        holder[k] = e;
        return true;
      }
    }
    return false;
  };
  let size = 0;
  for (let e = 0; e < events.length; e++) if (tryEvent(e, new Set())) size++;
  return size;
}

// Retention.

export interface RetentionQuery {
  startEvent: string;
  returnEvent?: string;
  interval: "DAY" | "WEEK" | "MONTH";
  periods?: number;
  from: string;
  to: string;
  timezone?: string;
  type?: "FIRST_TIME" | "RECURRING";
  filter?: Filter;
}

export interface ReferenceCohort {
  start: string;
  size: number;
  values: number[];
  customers: string[];
}

/** The local calendar date of an instant in a zone. */
function localDate(zone: string, at: number): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    year: "numeric",
    month: "numeric",
    day: "numeric",
  }).formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: part("year"), month: part("month"), day: part("day") };
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetMs(zone: string, at: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(
    part("year"),
    part("month") - 1,
    part("day"),
    part("hour"),
    part("minute"),
    part("second"),
  );
  return local - Math.floor(at / 1000) * 1000;
}

/** The instant of local midnight starting a local date (zones whose changes are not at midnight). */
function localMidnight(zone: string, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  let at = wall - offsetMs(zone, wall);
  at = wall - offsetMs(zone, at);
  return at;
}

/**
 * The number of the interval an instant is in, counted in the zone's calendar: days since
 * 1970-01-01, weeks since Monday 1969-12-29, months since January 1970; and that interval's start.
 */
export function intervalOf(zone: string, interval: RetentionQuery["interval"], at: number) {
  const { year, month, day } = localDate(zone, at);
  const days = Date.UTC(year, month - 1, day) / 86_400_000;
  if (interval === "DAY") return { number: days, start: localMidnight(zone, year, month, day) };
  if (interval === "WEEK") {
    // 1970-01-01 was a Thursday: day 0 is 3 days after Monday 1969-12-29.
    const week = Math.floor((days + 3) / 7);
    const monday = new Date((week * 7 - 3) * 86_400_000);
    return {
      number: week,
      start: localMidnight(
        zone,
        monday.getUTCFullYear(),
        monday.getUTCMonth() + 1,
        monday.getUTCDate(),
      ),
    };
  }
  return { number: (year - 1970) * 12 + month - 1, start: localMidnight(zone, year, month, 1) };
}

/** The retention table of product.md over the events sent, rule by rule. */
export function referenceRetention(
  sent: SentEvent[],
  links: Map<string, string>,
  query: RetentionQuery,
): ReferenceCohort[] {
  const zone = query.timezone ?? "UTC";
  const periods = query.periods ?? 8;
  const returnEvent = query.returnEvent ?? query.startEvent;
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  const first = intervalOf(zone, query.interval, from);
  const last = intervalOf(zone, query.interval, to - 1);
  const cohorts = last.number - first.number + 1;
  const rangeStart = first.start;
  const interesting = sent.filter(
    (e) => actorOf(e, links) !== null && passes(e, query.filter, links),
  );
  // Cohort members: actor -> cohort numbers (0 = the first cohort).
  const members = new Map<string, Set<number>>();
  const join = (actor: string, cohort: number) =>
    members.set(actor, new Set([...(members.get(actor) ?? []), cohort]));
  if ((query.type ?? "FIRST_TIME") === "FIRST_TIME") {
    const firstStart = new Map<string, number>();
    for (const e of interesting.filter((e) => e.type === query.startEvent)) {
      const actor = actorOf(e, links)!;
      firstStart.set(actor, Math.min(firstStart.get(actor) ?? Infinity, ms(e)));
    }
    for (const [actor, at] of firstStart)
      if (at >= rangeStart && at < to)
        join(actor, intervalOf(zone, query.interval, at).number - first.number);
  } else {
    for (const e of interesting.filter(
      (e) => e.type === query.startEvent && ms(e) >= rangeStart && ms(e) < to,
    ))
      join(actorOf(e, links)!, intervalOf(zone, query.interval, ms(e)).number - first.number);
  }
  const returns = new Map<string, Set<number>>();
  for (const e of interesting.filter(
    (e) => e.type === returnEvent && ms(e) >= rangeStart && ms(e) < to,
  )) {
    const actor = actorOf(e, links)!;
    returns.set(
      actor,
      new Set([
        ...(returns.get(actor) ?? []),
        intervalOf(zone, query.interval, ms(e)).number - first.number,
      ]),
    );
  }
  const starts: number[] = [];
  for (let at = rangeStart, i = 0; i < cohorts; i++) {
    starts.push(at);
    // The next interval's start: a moment well inside the next interval, rounded down.
    const next = intervalOf(
      zone,
      query.interval,
      at +
        (query.interval === "DAY" ? 26 : query.interval === "WEEK" ? 7 * 24 + 2 : 32 * 24) *
          3_600_000,
    );
    at = next.start;
  }
  return starts.map((start, cohort) => {
    const inCohort = [...members.entries()]
      .filter(([, set]) => set.has(cohort))
      .map(([actor]) => actor);
    const values = [inCohort.length];
    for (let k = 1; k <= periods && cohort + k < cohorts; k++)
      values.push(inCohort.filter((actor) => returns.get(actor)?.has(cohort + k)).length);
    return {
      start: new Date(start).toISOString(),
      size: inCohort.length,
      values,
      customers: inCohort
        .map(customerOf)
        .filter((c): c is string => c !== null)
        .sort(),
    };
  });
}
