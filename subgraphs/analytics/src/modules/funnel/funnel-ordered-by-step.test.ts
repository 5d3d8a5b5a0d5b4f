import { SeededRandom } from "#kit/random";
import { countedAttempt } from "./funnel-engine";
import { FunnelOrder } from "./funnel.input";
import { orderedLevelByStep } from "./funnel-ordered-by-step";

/**
 * orderedLevelByStep against the engine's countedAttempt on the same events merged in time order,
 * on seeded random actors: times on a coarse grid (ties within and across steps, events exactly at
 * the window's end), steps with no events, 2 to 10 steps.
 */
it("finds the engine's counted attempt for ORDERED funnels of steps of distinct types", () => {
  const random = new SeededRandom(20);
  let reachedLast = 0;
  for (let actor = 0; actor < 5_000; actor++) {
    const steps = random.int(2, actor < 100 ? 10 : 4);
    const window = 10 * random.int(1, 6);
    const perStep = Array.from({ length: steps }, () =>
      Array.from({ length: random.int(0, 6) }, () => 10 * random.int(0, 12)).sort((a, b) => a - b),
    );
    // The engine's input: every event in time order (a step's own events first on ties of time
    // would do as well: the order of events of the same time changes nothing here).
    const events = perStep
      .flatMap((times, step) => times.map((time) => ({ time, step })))
      .sort((a, b) => a.time - b.time || a.step - b.step);
    const expected = countedAttempt(
      {
        length: events.length,
        times: events.map((event) => event.time),
        steps: events.map((event) => 1 << event.step),
        exclusions: events.map(() => 0),
      },
      { order: FunnelOrder.ORDERED, steps, windowMicros: window, exclusions: [] },
    );
    const times = Float64Array.from(perStep.flat());
    const bounds = new Int32Array(steps + 1);
    perStep.forEach((stepTimes, step) => (bounds[step + 1] = bounds[step] + stepTimes.length));
    const stepTimes = new Float64Array(steps);
    const level = orderedLevelByStep(times, bounds, steps, window, stepTimes);
    expect({ level, stepTimes: Array.from(stepTimes.subarray(0, level)) }).toEqual({
      level: expected.level,
      stepTimes: expected.stepTimes,
    });
    if (level === steps) reachedLast++;
  }
  // The cases are not all trivial: some actors go all the way, some stop early.
  expect(reachedLast).toBeGreaterThan(500);
  expect(reachedLast).toBeLessThan(4_500);
});
