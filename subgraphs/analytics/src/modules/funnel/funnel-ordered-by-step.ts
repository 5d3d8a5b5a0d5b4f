/** Per step: where its pointer is (at most 10 steps). */
const POINTERS = new Int32Array(16);
/** The times of the attempt being followed, by step. */
const FOLLOWED = new Float64Array(16);

/**
 * The counted attempt of an ORDERED funnel without exclusions whose steps all have types of their
 * own, from each step's own event times (no merged sequence): the attempt `countedAttempt` finds
 * in the actor's merged events. There, an event matches one step only, so no attempt uses an
 * event twice, and the order of events of the same time changes nothing. An attempt starts at each
 * step-1 event, in time order; step k + 1 is the first event of its step at or after step k's
 * time, within the window of the start (an event exactly at its end is in); the one reaching the
 * furthest step counts, the earliest among equals. An attempt that starts later finds each next
 * step no earlier, so each step's pointer only moves forward: O(events) per actor.
 *
 * `times` holds step k's times (microseconds), ascending, in [bounds[k], bounds[k + 1]). Writes
 * the times of the counted attempt's steps into `stepTimes` and returns how many steps it reached
 * (0 when the actor has no step-1 event).
 */
export function orderedLevelByStep(
  times: Float64Array,
  bounds: Int32Array,
  steps: number,
  windowMicros: number,
  stepTimes: Float64Array,
): number {
  for (let k = 1; k < steps; k++) POINTERS[k] = bounds[k];
  let best = 0;
  for (let start = bounds[0]; start < bounds[1]; start++) {
    const first = times[start];
    const end = first + windowMicros;
    FOLLOWED[0] = first;
    let level = 1;
    for (; level < steps; level++) {
      const after = FOLLOWED[level - 1];
      const last = bounds[level + 1];
      let at = POINTERS[level];
      while (at < last && times[at] < after) at++;
      POINTERS[level] = at;
      if (at === last || times[at] > end) break;
      FOLLOWED[level] = times[at];
    }
    if (level > best) {
      best = level;
      for (let k = 0; k < level; k++) stepTimes[k] = FOLLOWED[k];
      if (level === steps) break;
    }
  }
  return best;
}
