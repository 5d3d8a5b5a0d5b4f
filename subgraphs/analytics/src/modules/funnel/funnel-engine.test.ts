import { countedAttempt, type FunnelRules } from "./funnel-engine";
import { FunnelOrder } from "./funnel.input";

/** Events as (time, steps mask, exclusions mask), already in order. */
function events(...list: [number, number, number?][]) {
  return {
    length: list.length,
    times: list.map(([time]) => time),
    steps: list.map(([, steps]) => steps),
    exclusions: list.map(([, , exclusions]) => exclusions ?? 0),
  };
}

const A = 1;
const B = 2;
const C = 4;
const X = 0; // matches no step: another event of the actor

function rules(order: FunnelOrder, steps: number, more: Partial<FunnelRules> = {}): FunnelRules {
  return { order, steps, windowMicros: 100, exclusions: [], ...more };
}

describe("ORDERED funnels", () => {
  const ordered = (steps = 3, more: Partial<FunnelRules> = {}) =>
    rules(FunnelOrder.ORDERED, steps, more);

  it("follows the steps in order, other events between them allowed", () => {
    expect(countedAttempt(events([0, A], [5, X], [10, B], [20, C]), ordered())).toEqual({
      level: 3,
      start: 0,
      stepTimes: [0, 10, 20],
    });
  });

  it("counts an event exactly at the window's end, not one after", () => {
    expect(countedAttempt(events([0, A], [100, B]), ordered(2)).level).toBe(2);
    expect(countedAttempt(events([0, A], [101, B]), ordered(2)).level).toBe(1);
  });

  it("counts the attempt that goes furthest, the earliest among equals", () => {
    // From 0 the window closes before B; from 50 it does not.
    expect(countedAttempt(events([0, A], [50, A], [120, B]), ordered(2))).toEqual({
      level: 2,
      start: 1,
      stepTimes: [50, 120],
    });
    expect(countedAttempt(events([0, A], [10, A], [20, B]), ordered(2))).toEqual({
      level: 2,
      start: 0,
      stepTimes: [0, 20],
    });
  });

  it("takes a next step at the same time as the previous one, whatever their order", () => {
    expect(countedAttempt(events([5, B], [5, A]), ordered(2)).stepTimes).toEqual([5, 5]);
  });

  it("matches one event to one step", () => {
    // Steps of the same type: each event matches all of them.
    const any = A | B | C;
    expect(countedAttempt(events([0, A | B]), ordered(2)).level).toBe(1);
    expect(countedAttempt(events([0, A | B], [0, A | B]), ordered(2)).level).toBe(2);
    expect(countedAttempt(events([0, any], [3, any], [7, any]), ordered(3)).stepTimes).toEqual([
      0, 3, 7,
    ]);
  });

  it("takes each step's first event, even when a later one would serve the next step better", () => {
    // Step 1 any A, step 2 A with a property: the event with it (index 0) matches both steps.
    const both = A | B;
    expect(countedAttempt(events([5, both], [5, A]), ordered(2))).toEqual({
      level: 2,
      start: 1,
      stepTimes: [5, 5],
    });
    expect(countedAttempt(events([5, both]), ordered(2)).level).toBe(1);
  });

  it("disqualifies an attempt with an exclusion strictly between its fromStep and toStep events", () => {
    const exclusions = [{ from: 0, to: 1 }];
    // Disqualified; the later attempt counts.
    expect(
      countedAttempt(events([0, A], [5, X, 1], [6, A], [10, B]), ordered(2, { exclusions })),
    ).toEqual({ level: 2, start: 2, stepTimes: [6, 10] });
    // With no other attempt, the actor leaves the funnel.
    expect(
      countedAttempt(events([0, A], [5, X, 1], [10, B]), ordered(2, { exclusions })).level,
    ).toBe(0);
    // At the same time as a step: not between.
    expect(
      countedAttempt(events([0, A], [0, X, 1], [10, B]), ordered(2, { exclusions })).level,
    ).toBe(2);
    // An attempt that never reaches toStep is not disqualified.
    expect(countedAttempt(events([0, A], [5, X, 1]), ordered(2, { exclusions })).level).toBe(1);
  });
});

describe("STRICT funnels", () => {
  const strict = (steps = 2) => rules(FunnelOrder.STRICT, steps);

  it("needs each step to be the actor's very next event", () => {
    expect(countedAttempt(events([0, A], [5, X], [10, B]), strict()).level).toBe(1);
    expect(countedAttempt(events([0, A], [10, B]), strict()).level).toBe(2);
    expect(countedAttempt(events([0, A], [5, X], [6, A], [10, B]), strict())).toEqual({
      level: 2,
      start: 2,
      stepTimes: [6, 10],
    });
  });

  it("orders events of the same time (by type, then id): only the next one counts", () => {
    expect(countedAttempt(events([0, A], [0, B]), strict()).level).toBe(2);
    expect(countedAttempt(events([0, B], [0, A]), strict()).level).toBe(1);
  });
});

describe("UNORDERED funnels", () => {
  const unordered = (steps = 2, more: Partial<FunnelRules> = {}) =>
    rules(FunnelOrder.UNORDERED, steps, more);

  it("counts distinct steps done in one window, in any order, from an event of any step", () => {
    expect(countedAttempt(events([0, B], [10, A]), unordered())).toEqual({
      level: 2,
      start: 0,
      stepTimes: [],
    });
    expect(countedAttempt(events([0, A], [200, B]), unordered()).level).toBe(1);
    expect(countedAttempt(events([0, C], [50, B], [60, A]), unordered(3)).level).toBe(3);
  });

  it("gives each step an event of its own", () => {
    // Steps A, A and (A or B) : three events of A do all three.
    expect(countedAttempt(events([0, A | B]), unordered()).level).toBe(1);
    expect(countedAttempt(events([0, A | B], [1, A]), unordered()).level).toBe(2);
    expect(countedAttempt(events([0, A | B | C], [1, A | B], [2, A]), unordered(3)).level).toBe(3);
    expect(countedAttempt(events([0, A | B | C], [1, A | B]), unordered(3)).level).toBe(2);
  });

  it("disqualifies by the moments it reached fromStep and toStep distinct steps", () => {
    const exclusions = [{ from: 0, to: 1 }];
    // From B at 0: X at 5 lies between one step done (0) and two (10); from A at 10 only one step.
    expect(
      countedAttempt(events([0, B], [5, X, 1], [10, A]), unordered(2, { exclusions })),
    ).toEqual({ level: 1, start: 2, stepTimes: [] });
    expect(
      countedAttempt(events([0, B], [10, A], [15, X, 1]), unordered(2, { exclusions })).level,
    ).toBe(2);
  });
});
