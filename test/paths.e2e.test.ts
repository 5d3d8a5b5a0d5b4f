import { sqlQueryCount } from "#kit/database/query-counter";
import { SeededRandom } from "#kit/random";
import {
  referencePaths,
  seedPeople,
  type PathsQuery,
  type ReferenceEdge,
} from "./support/insights";
import { randomId, type SentEvent } from "./support/people";
import { useSupergraph, type SignedUp } from "./support/supergraph";

/**
 * paths through the gateway against the JavaScript reference of product.md's rule
 * (test/support/insights.ts), on about 6,000 seeded random events in bursts of customers and
 * visitors (identified before their events, after, or never): gaps inside a burst of 0 (a tie),
 * seconds to minutes, exactly 30 minutes, 30 minutes and a millisecond, and hours; repeats of a
 * type in a row. One customer's events are written out by hand, with the answer worked out by
 * hand too.
 */
const supergraph = useSupergraph();
let organization: SignedUp;
let sent: SentEvent[];
let links: Map<string, string>;
/** The customer of the hand-written events, which alone have the property `hand`. */
let handmade: string;
const HAND = { properties: { hand: true } };

const TYPES = ["home", "search", "product", "cart", "checkout"];
const FROM = "2026-03-20T00:00:00Z";
const TO = "2026-04-10T00:00:00Z";
const MINUTE = 60_000;
const T0 = Date.parse("2026-03-25T08:00:00Z");

/** The hand-written events: `[minutes after T0, type]`, in sending order (not time order). */
const HANDMADE: [number, string][] = [
  [0, "home"],
  [10, "home"], // a repeat
  [40, "search"], // exactly 30 minutes after: same session
  [70 + 1 / MINUTE, "product"], // 30 minutes and 1 ms: a new session
  [70 + 1 / MINUTE, "cart"], // the same instant: cart before product (type order)
  [80, "cart"],
  [200, "search"], // a new session of one type: no move
  [400, "checkout"],
  [400, "cart"], // a tie: cart, checkout
  [401, "checkout"], // a repeat after the tie
  [402, "home"],
];

beforeAll(async () => {
  const random = new SeededRandom(23);
  ({ organization, sent, links } = await seedPeople(supergraph, (customers, visitors) => {
    handmade = customers[29];
    const events: SentEvent[] = HANDMADE.map(([minutes, type], i) => ({
      id: `hand-${i}`,
      type,
      timestamp: new Date(T0 + Math.round(minutes * MINUTE)).toISOString(),
      customerId: handmade,
      properties: { hand: true },
    }));
    const gaps = [
      0,
      1_000,
      45_000,
      5 * MINUTE,
      29 * MINUTE,
      30 * MINUTE,
      30 * MINUTE + 1,
      3 * 60 * MINUTE,
    ];
    for (let burst = 0; burst < 1_200; burst++) {
      const roll = random.next();
      const actor: Partial<SentEvent> =
        roll < 0.4
          ? { customerId: random.pick(customers) }
          : roll < 0.96
            ? { anonymousId: random.pick(visitors) }
            : {};
      // Mostly in the range, some before and after it.
      let at = Date.parse("2026-03-18T00:00:00Z") + Math.floor(random.next() * 25 * 86_400_000);
      let type = random.pick(TYPES);
      for (let i = random.int(1, 9); i > 0; i--) {
        events.push({
          id: randomId(random, "p"),
          type,
          timestamp: new Date(at).toISOString(),
          properties: { device: random.pick(["web", "app"]) },
          ...actor,
        });
        at += random.pick(gaps);
        if (!random.chance(0.25)) type = random.pick(TYPES);
      }
    }
    return events;
  }));
});

const PATHS = `
  query P($from: DateTime!, $to: DateTime!, $startEvent: String, $depth: Int, $sessionGapMinutes: Int, $top: Int, $filter: EventFilter) {
    paths(from: $from, to: $to, startEvent: $startEvent, depth: $depth, sessionGapMinutes: $sessionGapMinutes, top: $top, filter: $filter) {
      step source target count
    }
  }`;

async function paths(query: Partial<PathsQuery>) {
  const { body } = await supergraph.request(PATHS, {
    token: organization.accessToken,
    variables: { from: FROM, to: TO, ...query },
  });
  return body;
}

async function expectLikeReference(query: Partial<PathsQuery>): Promise<ReferenceEdge[]> {
  const body = await paths(query);
  expect(body.errors).toBeUndefined();
  const want = referencePaths(sent, links, { from: FROM, to: TO, ...query });
  expect(body.data!.paths).toEqual(want);
  return want;
}

describe("paths equal the reference", () => {
  it("with the defaults: depth 4, sessions split over 30 minutes, the top 50", async () => {
    const want = await expectLikeReference({});
    expect(want).toHaveLength(50);
    expect(new Set(want.map((e) => e.step))).toEqual(new Set([1, 2, 3]));
  });

  it("every edge (top 1000) at depth 10: ties of counts ordered by step, source, target", async () => {
    const want = await expectLikeReference({ depth: 10, top: 1_000 });
    expect(want.length).toBeGreaterThan(100);
    expect(want.length).toBeLessThan(1_000);
    expect(want.some((e, i) => i > 0 && e.count === want[i - 1].count)).toBe(true);
  });

  it("from each session's first startEvent, at depth 3", async () => {
    const want = await expectLikeReference({ startEvent: "search", depth: 3, top: 1_000 });
    expect(want.filter((e) => e.step === 1).every((e) => e.source === "search")).toBe(true);
    expect(want.every((e) => e.step <= 2)).toBe(true);
  });

  it.each([1, 29, 30, 31, 180, 181])("with sessions split at gaps over %i minutes", async (gap) => {
    await expectLikeReference({ sessionGapMinutes: gap, top: 1_000 });
  });

  it("with a filter: only the events passing it are in sessions (repeats collapse after it)", async () => {
    await expectLikeReference({ filter: { types: ["home", "product", "cart"] }, top: 1_000 });
    await expectLikeReference({ filter: { properties: { device: "app" } }, top: 1_000 });
  });

  it("over an empty range: no edges", async () => {
    const want = await expectLikeReference({
      from: "2026-06-01T00:00:00Z",
      to: "2026-06-08T00:00:00Z",
    });
    expect(want).toEqual([]);
  });

  it("costs one SQL statement", async () => {
    const before = sqlQueryCount("analytics");
    expect((await paths({})).errors).toBeUndefined();
    expect(sqlQueryCount("analytics") - before).toBe(1);
  });
});

describe("the hand-written sessions", () => {
  const edges = (rows: [number, string, string, number][]) =>
    rows.map(([step, source, target, count]) => ({ step, source, target, count }));

  it("split at a gap of 30 minutes and 1 ms, not at exactly 30; repeats once; ties by type", async () => {
    // Sessions: home home search | cart product cart | search | cart checkout checkout home.
    const body = await paths({ filter: HAND, top: 1_000 });
    expect(body.errors).toBeUndefined();
    expect(body.data!.paths).toEqual(
      edges([
        [1, "cart", "checkout", 1],
        [1, "cart", "product", 1],
        [1, "home", "search", 1],
        [2, "checkout", "home", 1],
        [2, "product", "cart", 1],
      ]),
    );
  });

  it("in one session when the gap may be 31 minutes; from the first search, at depth 2", async () => {
    const body = await paths({
      filter: HAND,
      sessionGapMinutes: 31,
      top: 1_000,
    });
    // One session to 80 minutes: home search cart product cart.
    expect(body.data!.paths).toEqual(
      edges([
        [1, "cart", "checkout", 1],
        [1, "home", "search", 1],
        [2, "checkout", "home", 1],
        [2, "search", "cart", 1],
        [3, "cart", "product", 1],
      ]),
    );
    const fromSearch = await paths({
      filter: HAND,
      startEvent: "search",
      depth: 2,
    });
    // Sessions with a search: the first (home search) and the lone search.
    expect(fromSearch.data!.paths).toEqual(edges([]));
    const fromCart = await paths({
      filter: HAND,
      startEvent: "cart",
      depth: 2,
    });
    expect(fromCart.data!.paths).toEqual(
      edges([
        [1, "cart", "checkout", 1],
        [1, "cart", "product", 1],
      ]),
    );
  });
});

describe("bad input", () => {
  it.each([
    ["depth 1", { depth: 1 }, "depth"],
    ["depth 11", { depth: 11 }, "depth"],
    ["sessionGapMinutes 0", { sessionGapMinutes: 0 }, "sessionGapMinutes"],
    ["negative sessionGapMinutes", { sessionGapMinutes: -5 }, "sessionGapMinutes"],
    ["top 0", { top: 0 }, "top"],
    ["top 1001", { top: 1_001 }, "top"],
    ["an empty startEvent", { startEvent: "" }, "startEvent"],
    ["a blank startEvent", { startEvent: "  " }, "startEvent"],
    ["from equal to to", { from: TO }, "from"],
    ["from after to", { from: "2026-05-01T00:00:00Z" }, "from"],
    ["a range over 92 days", { from: "2025-12-01T00:00:00Z" }, "to"],
    [
      "a filter's customer that is not a UUID",
      { filter: { customerId: "x" } },
      "filter.customerId",
    ],
  ])("refuses %s with BAD_USER_INPUT naming the argument", async (_name, change, field) => {
    const body = await paths(change);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });
});
