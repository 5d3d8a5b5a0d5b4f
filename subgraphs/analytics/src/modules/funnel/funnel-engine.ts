import { FunnelOrder } from "./funnel.input";

/**
 * The funnel rules of product.md applied to one actor's events: which attempt counts, how far it
 * got, and when each of its steps happened. Pure and synchronous; funnel-query.ts feeds it every
 * actor of a funnel. Events are in time order, events at the same time in type order, then id
 * order (the order STRICT's "next event" and ties between candidates follow).
 */

/** The rules of one funnel, with 0-based step indexes. */
export interface FunnelRules {
  order: FunnelOrder;
  /** Number of steps, 2 to 10. */
  steps: number;
  /** The conversion window in microseconds; an event exactly at its end is in. */
  windowMicros: number;
  /** Exclusion x disqualifies attempts with such an event strictly between steps `from` and `to`. */
  exclusions: readonly { from: number; to: number }[];
}

/** One actor's events of the funnel in order (time, type, id), as parallel arrays. */
export interface ActorEvents {
  length: number;
  /** Microseconds from any fixed origin. */
  times: ArrayLike<number>;
  /** Bit k set: the event matches step k (0-based). */
  steps: ArrayLike<number>;
  /** Bit x set: the event matches exclusion x. */
  exclusions: ArrayLike<number>;
}

/** The attempt that counts for an actor. */
export interface CountedAttempt {
  /** Steps it reached; 0 when no attempt counts (none started, or every one was disqualified). */
  level: number;
  /** Its first event's index: step 1's event (UNORDERED: the event it started at); -1 with level 0. */
  start: number;
  /**
   * When its steps 1..level happened (microseconds), for the times to convert; empty for
   * UNORDERED (its steps have no order).
   */
  stepTimes: number[];
}

const NONE: CountedAttempt = { level: 0, start: -1, stepTimes: [] };

/**
 * The counted attempt of one actor: an attempt starts at each step-1 event (UNORDERED: each event
 * of any step); the one reaching the furthest step counts, the earliest among equals; a
 * disqualified attempt (an exclusion event strictly between its fromStep and toStep events)
 * counts at no step. ORDERED: step k+1 is the first event (time, type, then id order) matching it, not
 * before step k's event, not already used by the attempt, within the window of the attempt's
 * start. STRICT: step k+1 must be the actor's very next event. UNORDERED: the attempt's events are
 * those from its start to the window's end; it reached k steps when k distinct steps can be given
 * distinct events among them, and the moment it did is when its k-th step was first possible.
 */
export function countedAttempt(events: ActorEvents, rules: FunnelRules): CountedAttempt {
  if (events.length === 0) return NONE;
  const index = new EventIndex(events, rules);
  return rules.order === FunnelOrder.UNORDERED
    ? countedUnordered(events, rules, index)
    : countedOrdered(events, rules, index);
}

/**
 * Memory the lookups of one actor use, kept for the next actor (the engine runs synchronously, one
 * actor at a time): a funnel's actors cost no allocation each.
 */
let scratch = new Int32Array(1 << 16);

/**
 * Lookups over one actor's events: where each run of equal times starts and ends, and for every
 * position the next event at or after it matching each step and each exclusion. Laid out in
 * {@link scratch}: runStart, runEnd (n each), then per step and per exclusion n + 1 positions.
 */
class EventIndex {
  private readonly memory: Int32Array;
  private readonly n: number;
  private readonly stride: number;
  private readonly exclusionBase: number;

  constructor(
    private readonly events: ActorEvents,
    rules: FunnelRules,
  ) {
    const n = events.length;
    this.n = n;
    this.stride = n + 1;
    const bits = rules.steps + rules.exclusions.length;
    const size = 2 * n + bits * this.stride;
    if (scratch.length < size) scratch = new Int32Array(Math.max(size, scratch.length * 2));
    const memory = (this.memory = scratch);
    const times = events.times;
    for (let i = 0; i < n; i++) memory[i] = i > 0 && times[i] === times[i - 1] ? memory[i - 1] : i;
    for (let i = n - 1; i >= 0; i--)
      memory[n + i] = i < n - 1 && times[i] === times[i + 1] ? memory[n + i + 1] : i + 1;
    this.exclusionBase = 2 * n + rules.steps * this.stride;
    nextOccurrences(memory, 2 * n, events.steps, rules.steps, n);
    nextOccurrences(memory, this.exclusionBase, events.exclusions, rules.exclusions.length, n);
  }

  /** First index of the run of equal times the event at `i` is in. */
  runStart(i: number): number {
    return this.memory[i];
  }

  /** First index after the run of equal times the event at `i` is in. */
  runEnd(i: number): number {
    return this.memory[this.n + i];
  }

  /** The first index at or after `from` of an event matching step `step`; `length` when none. */
  nextOfStep(step: number, from: number): number {
    return this.memory[2 * this.n + step * this.stride + from];
  }

  /** The first index at or after `from` of an event matching exclusion `exclusion`. */
  nextOfExclusion(exclusion: number, from: number): number {
    return this.memory[this.exclusionBase + exclusion * this.stride + from];
  }

  /**
   * True when an event matching the exclusion lies strictly between the times of the events at
   * `after` and `before`.
   */
  excludedBetween(exclusion: number, after: number, before: number): boolean {
    const at = this.nextOfExclusion(exclusion, this.runEnd(after));
    return at < this.events.length && this.events.times[at] < this.events.times[before];
  }
}

/**
 * Writes into `memory` from `base`, for each bit b < bits and position i: the first position at or
 * after i whose mask has bit b (n when none), n + 1 positions per bit.
 */
function nextOccurrences(
  memory: Int32Array,
  base: number,
  masks: ArrayLike<number>,
  bits: number,
  n: number,
): void {
  for (let b = 0; b < bits; b++) {
    const at = base + b * (n + 1);
    memory[at + n] = n;
    for (let i = n - 1; i >= 0; i--) memory[at + i] = (masks[i] >> b) & 1 ? i : memory[at + i + 1];
  }
}

/** The events an ORDERED or STRICT attempt matched, by step (at most 10 steps). */
const MATCHED = new Int32Array(16);

/** ORDERED and STRICT: attempts at each step-1 event, in order. */
function countedOrdered(
  events: ActorEvents,
  rules: FunnelRules,
  index: EventIndex,
): CountedAttempt {
  const n = events.length;
  const strict = rules.order === FunnelOrder.STRICT;
  const matched = MATCHED;
  const eventOf = (step: number) => matched[step];
  let best = NONE;
  for (let start = index.nextOfStep(0, 0); start < n; start = index.nextOfStep(0, start + 1)) {
    const end = events.times[start] + rules.windowMicros;
    matched[0] = start;
    let level = 1;
    for (; level < rules.steps; level++) {
      const previous = matched[level - 1];
      let at: number;
      if (strict) {
        at = previous + 1;
        if (at >= n || !((events.steps[at] >> level) & 1)) break;
      } else {
        // Not before the previous step's event: from the first event of its time; not one the
        // attempt already used (only events of that same time can be).
        at = index.nextOfStep(level, index.runStart(previous));
        while (at < n && usedBefore(matched, level, at)) at = index.nextOfStep(level, at + 1);
        if (at >= n) break;
      }
      if (events.times[at] > end) break;
      matched[level] = at;
    }
    if (rules.exclusions.length > 0 && disqualified(rules, index, level, eventOf)) continue;
    if (level > best.level) {
      best = {
        level,
        start,
        stepTimes: Array.from(matched.subarray(0, level), (i) => events.times[i]),
      };
      if (level === rules.steps) break;
    }
  }
  return best;
}

function usedBefore(matched: Int32Array, count: number, at: number): boolean {
  for (let k = 0; k < count; k++) if (matched[k] === at) return true;
  return false;
}

/**
 * True when one of the exclusions whose toStep the attempt reached has an event strictly between
 * the attempt's fromStep and toStep events (`eventOf(step)`: the index of the event at which the
 * attempt reached a step).
 */
function disqualified(
  rules: FunnelRules,
  index: EventIndex,
  level: number,
  eventOf: (step: number) => number,
): boolean {
  for (let x = 0; x < rules.exclusions.length; x++) {
    const { from, to } = rules.exclusions[x];
    if (to < level && index.excludedBetween(x, eventOf(from), eventOf(to))) return true;
  }
  return false;
}

/** UNORDERED: attempts at each event of any step. */
function countedUnordered(
  events: ActorEvents,
  rules: FunnelRules,
  index: EventIndex,
): CountedAttempt {
  const n = events.length;
  let overlapping = false;
  for (let i = 0; i < n; i++) if (events.steps[i] & (events.steps[i] - 1)) overlapping = true;
  const matching = new StepMatching(rules.steps);
  // reachedAt[k]: the index of the event at which the attempt first had k + 1 distinct steps.
  const reachedAt = new Int32Array(rules.steps);
  const eventOf = (step: number) => reachedAt[step];
  const candidates: number[] = [];
  let best = NONE;
  for (let start = 0; start < n; start++) {
    if (events.steps[start] === 0) continue;
    const from = index.runStart(start);
    const end = events.times[start] + rules.windowMicros;
    // Every step's first few events in the window: with k steps to fill, a step never needs
    // more than its first k candidates (the others can only be taken by k - 1 other steps).
    candidates.length = 0;
    for (let step = 0; step < rules.steps; step++) {
      let at = index.nextOfStep(step, from);
      for (let taken = 0; at < n && events.times[at] <= end; at = index.nextOfStep(step, at + 1)) {
        candidates.push(at);
        if (!overlapping || ++taken === rules.steps) break;
      }
    }
    candidates.sort((a, b) => a - b);
    let level = 0;
    if (overlapping) {
      matching.reset();
      let previous = -1;
      for (const at of candidates) {
        if (at === previous) continue;
        previous = at;
        if (matching.add(at, events.steps[at])) reachedAt[level++] = at;
        if (level === rules.steps) break;
      }
    } else {
      // Each event matches one step: the first event of each step reaches one more.
      for (const at of candidates) reachedAt[level++] = at;
    }
    if (rules.exclusions.length > 0 && disqualified(rules, index, level, eventOf)) continue;
    if (level > best.level) {
      best = { level, start, stepTimes: [] };
      if (level === rules.steps) break;
    }
  }
  return best;
}

/**
 * A maximum matching of events to the steps they match, grown one event at a time (in time
 * order): adding an event grows it by one exactly when an augmenting path starts at the event.
 */
class StepMatching {
  /** The event each step is matched to, or -1. */
  private readonly eventOfStep: Int32Array;
  /** The step masks of the events added, by event. */
  private readonly masks = new Map<number, number>();
  private visited = 0;

  constructor(private readonly steps: number) {
    this.eventOfStep = new Int32Array(steps).fill(-1);
  }

  reset(): void {
    this.eventOfStep.fill(-1);
    this.masks.clear();
  }

  /** Adds an event; true when the matching grew (one more distinct step is done). */
  add(event: number, mask: number): boolean {
    this.masks.set(event, mask);
    this.visited = 0;
    return this.augment(event);
  }

  private augment(event: number): boolean {
    const mask = this.masks.get(event)!;
    for (let step = 0; step < this.steps; step++) {
      if (!((mask >> step) & 1) || (this.visited >> step) & 1) continue;
      this.visited |= 1 << step;
      const holder = this.eventOfStep[step];
      if (holder === -1 || this.augment(holder)) {
        this.eventOfStep[step] = event;
        return true;
      }
    }
    return false;
  }
}
