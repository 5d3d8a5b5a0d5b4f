import { OTHER_GROUP } from "../timeseries/metric-query";
import { FunnelMembers } from "./funnel-members";
import type { FunnelOutcomes } from "./funnel-outcomes";
import type { Funnel, FunnelBreakdown, FunnelStep } from "./funnel.type";
import { FunnelOrder } from "./funnel.input";
import type { FunnelSpec } from "./funnel-spec";

/** Breakdown values shown by name; the others are folded into `other`. */
export const FUNNEL_TOP_BREAKDOWNS = 10;

/**
 * The funnel's steps over the actors' counted attempts, and with a breakdown the same per value of
 * the breakdown property: the 10 values with the most actors at step 1 (then by value, null
 * last), and `other` for the rest.
 */
export function funnelResult(spec: FunnelSpec, outcomes: FunnelOutcomes): Funnel {
  const everyone = Int32Array.from({ length: outcomes.size }, (_, i) => i);
  const steps = funnelSteps(spec, outcomes, everyone);
  if (!spec.breakdown) return { steps, breakdowns: null };
  const groups = new Map<string | null, number[]>();
  for (let i = 0; i < outcomes.size; i++) {
    const group = groups.get(outcomes.group(i));
    if (group) group.push(i);
    else groups.set(outcomes.group(i), [i]);
  }
  const ranked = [...groups.entries()].sort(
    ([a, x], [b, y]) => y.length - x.length || compareValues(a, b),
  );
  const breakdowns: FunnelBreakdown[] = ranked
    .slice(0, FUNNEL_TOP_BREAKDOWNS)
    .map(([value, members]) => ({
      value,
      steps: funnelSteps(spec, outcomes, Int32Array.from(members)),
    }));
  const rest = ranked.slice(FUNNEL_TOP_BREAKDOWNS).flatMap(([, members]) => members);
  if (rest.length > 0)
    breakdowns.push({
      value: OTHER_GROUP,
      steps: funnelSteps(spec, outcomes, Int32Array.from(rest)),
    });
  return { steps, breakdowns };
}

function compareValues(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** The steps over the actors `members` (indexes in `outcomes`). */
function funnelSteps(
  spec: FunnelSpec,
  outcomes: FunnelOutcomes,
  members: Int32Array,
): FunnelStep[] {
  const n = spec.steps.length;
  const counts = new Array<number>(n).fill(0);
  for (const i of members) for (let k = 0; k < outcomes.level(i); k++) counts[k]++;
  const timed = spec.order !== FunnelOrder.UNORDERED;
  // Whole microseconds from each step to the next, so that the median and average are exact.
  const micros = (k: number) => {
    const values = new Float64Array(counts[k]);
    let at = 0;
    for (const i of members)
      if (outcomes.level(i) > k) values[at++] = outcomes.microsToConvert(i, k);
    return values;
  };
  return spec.steps.map((step, k) => {
    const converted = timed && k > 0 ? micros(k) : null;
    return {
      index: k + 1,
      label: step.label,
      count: counts[k],
      conversionRate: counts[0] === 0 ? 0 : counts[k] / counts[0],
      stepConversionRate: k === 0 ? 1 : counts[k - 1] === 0 ? 0 : counts[k] / counts[k - 1],
      medianSecondsToConvert: converted && medianSeconds(converted),
      averageSecondsToConvert: converted && averageSeconds(converted),
      members: new FunnelMembers(outcomes, members, k, n),
    };
  });
}

/**
 * The median in seconds of whole microseconds (the mean of the two middle values for an even
 * count); null for none.
 */
function medianSeconds(micros: Float64Array): number | null {
  if (micros.length === 0) return null;
  const sorted = micros.sort();
  const middle = sorted.length >> 1;
  const value = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return value / 1_000_000;
}

/**
 * The mean in seconds of whole microseconds, summed exactly (a BigInt: the same answer in any
 * order of the actors); null for none.
 */
function averageSeconds(micros: Float64Array): number | null {
  if (micros.length === 0) return null;
  let sum = 0n;
  for (const value of micros) sum += BigInt(value);
  return Number(sum) / micros.length / 1_000_000;
}
