import { OTHER_GROUP } from "../timeseries/metric-query";
import type { ActorOutcome } from "./funnel-query";
import { FunnelMembers } from "./funnel-members";
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
export function funnelResult(spec: FunnelSpec, outcomes: ActorOutcome[]): Funnel {
  const steps = funnelSteps(spec, outcomes);
  if (!spec.breakdown) return { steps, breakdowns: null };
  const groups = new Map<string | null, ActorOutcome[]>();
  for (const outcome of outcomes) {
    const group = groups.get(outcome.group);
    if (group) group.push(outcome);
    else groups.set(outcome.group, [outcome]);
  }
  const ranked = [...groups.entries()].sort(
    ([a, x], [b, y]) => y.length - x.length || compareValues(a, b),
  );
  const breakdowns: FunnelBreakdown[] = ranked
    .slice(0, FUNNEL_TOP_BREAKDOWNS)
    .map(([value, members]) => ({ value, steps: funnelSteps(spec, members) }));
  const rest = ranked.slice(FUNNEL_TOP_BREAKDOWNS).flatMap(([, members]) => members);
  if (rest.length > 0) breakdowns.push({ value: OTHER_GROUP, steps: funnelSteps(spec, rest) });
  return { steps, breakdowns };
}

function compareValues(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function funnelSteps(spec: FunnelSpec, outcomes: readonly ActorOutcome[]): FunnelStep[] {
  const n = spec.steps.length;
  const counts = new Array<number>(n).fill(0);
  // Whole microseconds from each step to the next, so that the median and average are exact.
  const micros: number[][] = Array.from({ length: n }, () => []);
  for (const outcome of outcomes) {
    for (let k = 0; k < outcome.level; k++) counts[k]++;
    for (let k = 1; k < outcome.stepTimes.length; k++)
      micros[k].push(outcome.stepTimes[k] - outcome.stepTimes[k - 1]);
  }
  const timed = spec.order !== FunnelOrder.UNORDERED;
  return spec.steps.map((step, k) => ({
    index: k + 1,
    label: step.label,
    count: counts[k],
    conversionRate: counts[0] === 0 ? 0 : counts[k] / counts[0],
    stepConversionRate: k === 0 ? 1 : counts[k - 1] === 0 ? 0 : counts[k] / counts[k - 1],
    medianSecondsToConvert: timed && k > 0 ? medianSeconds(micros[k]) : null,
    averageSecondsToConvert: timed && k > 0 ? averageSeconds(micros[k]) : null,
    members: new FunnelMembers(outcomes, k, n),
  }));
}

/**
 * The median in seconds of whole microseconds (the mean of the two middle values for an even
 * count); null for none.
 */
function medianSeconds(micros: number[]): number | null {
  if (micros.length === 0) return null;
  const sorted = Float64Array.from(micros).sort();
  const middle = sorted.length >> 1;
  const value = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return value / 1_000_000;
}

/**
 * The mean in seconds of whole microseconds, summed exactly (a BigInt: the same answer in any
 * order of the actors); null for none.
 */
function averageSeconds(micros: number[]): number | null {
  if (micros.length === 0) return null;
  let sum = 0n;
  for (const value of micros) sum += BigInt(value);
  return Number(sum) / micros.length / 1_000_000;
}
