import { badUserInput } from "#kit/errors";
import { validateEventFilter } from "../actors/actor-sql";
import type { EventFilter } from "../timeseries/event-filter.input";
import { timeRange, type TimeRange } from "../timeseries/time-range";
import { FunnelOrder, type FunnelExclusionInput, type FunnelStepInput } from "./funnel.input";

/** Steps a funnel has at least and at most. */
export const MIN_FUNNEL_STEPS = 2;
export const MAX_FUNNEL_STEPS = 10;
/** Most exclusions of one funnel. */
export const MAX_FUNNEL_EXCLUSIONS = 10;
/** The longest conversion window: 366 days. */
export const MAX_CONVERSION_WINDOW_SECONDS = 366 * 86_400;
/** The default conversion window: 14 days. */
export const DEFAULT_CONVERSION_WINDOW_SECONDS = 14 * 86_400;
const PROPERTY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A validated funnel query; step and exclusion indexes 0-based. */
export interface FunnelSpec {
  steps: { type: string; filter: EventFilter | null; label: string }[];
  range: TimeRange;
  windowSeconds: number;
  order: FunnelOrder;
  exclusions: { type: string; filter: EventFilter | null; from: number; to: number }[];
  breakdown: string | null;
  filter: EventFilter | null;
}

/** The arguments of `funnel`, as GraphQL gives them. */
export interface FunnelArgs {
  steps: FunnelStepInput[];
  from: Date;
  to: Date;
  conversionWindowSeconds: number;
  order: FunnelOrder;
  exclusions: FunnelExclusionInput[] | null;
  breakdown: string | null;
  filter: EventFilter | null;
}

/** Validates the arguments; throws `BAD_USER_INPUT` naming the argument (and the part) at fault. */
export function funnelSpec(args: FunnelArgs): FunnelSpec {
  const range = timeRange(args.from, args.to);
  if (args.steps.length < MIN_FUNNEL_STEPS || args.steps.length > MAX_FUNNEL_STEPS)
    throw badUserInput(
      `A funnel has ${MIN_FUNNEL_STEPS} to ${MAX_FUNNEL_STEPS} steps, got ${args.steps.length}.`,
      "steps",
    );
  const steps = args.steps.map((step, i) => {
    assertType(step.type, `steps.${i}.type`);
    validateEventFilter(step.filter, `steps.${i}.filter`);
    return { type: step.type, filter: step.filter ?? null, label: step.label ?? step.type };
  });
  const window = args.conversionWindowSeconds;
  if (!Number.isInteger(window) || window < 1 || window > MAX_CONVERSION_WINDOW_SECONDS)
    throw badUserInput(
      `conversionWindowSeconds must be a whole number of seconds from 1 to ${MAX_CONVERSION_WINDOW_SECONDS} (366 days), got ${window}.`,
      "conversionWindowSeconds",
    );
  const exclusionsIn = args.exclusions ?? [];
  if (exclusionsIn.length > MAX_FUNNEL_EXCLUSIONS)
    throw badUserInput(`A funnel has at most ${MAX_FUNNEL_EXCLUSIONS} exclusions.`, "exclusions");
  const exclusions = exclusionsIn.map((exclusion, i) => {
    const field = `exclusions.${i}`;
    assertType(exclusion.type, `${field}.type`);
    validateEventFilter(exclusion.filter, `${field}.filter`);
    const { fromStep, toStep } = exclusion;
    if (!Number.isInteger(fromStep) || fromStep < 1 || fromStep >= steps.length)
      throw badUserInput(
        `${field}.fromStep must be a step from 1 to ${steps.length - 1}, got ${fromStep}.`,
        `${field}.fromStep`,
      );
    if (!Number.isInteger(toStep) || toStep <= fromStep || toStep > steps.length)
      throw badUserInput(
        `${field}.toStep must be a step after fromStep, at most ${steps.length}, got ${toStep}.`,
        `${field}.toStep`,
      );
    // An exclusion event that could also be the attempt's own step event would disqualify it
    // by being there.
    const between =
      args.order === FunnelOrder.UNORDERED ? steps : steps.slice(fromStep - 1, toStep);
    if (between.some((step) => step.type === exclusion.type))
      throw badUserInput(
        `${field}.type '${exclusion.type}' is the type of a step ${args.order === FunnelOrder.UNORDERED ? "of the funnel" : `from ${fromStep} to ${toStep}`}: an exclusion needs events of another type.`,
        `${field}.type`,
      );
    return {
      type: exclusion.type,
      filter: exclusion.filter ?? null,
      from: fromStep - 1,
      to: toStep - 1,
    };
  });
  if (args.breakdown !== null && !PROPERTY_NAME.test(args.breakdown))
    throw badUserInput(
      "breakdown is a property name (1 to 64 letters, digits, '_', '.', '-').",
      "breakdown",
    );
  validateEventFilter(args.filter, "filter");
  return {
    steps,
    range,
    windowSeconds: window,
    order: args.order,
    exclusions,
    breakdown: args.breakdown,
    filter: args.filter ?? null,
  };
}

function assertType(type: string, field: string): void {
  if (type.length < 1 || type.length > 64)
    throw badUserInput(`${field} must be 1 to 64 characters.`, field);
}

/**
 * The start of every funnel statement: its parameters so far ($1 the organization, $2 and $3 the
 * range), `p` adding one more and returning its placeholder, and the conditions that the events
 * aliased `e` are the organization's, in [from, to).
 */
export function funnelStatementStart(organizationId: string, spec: FunnelSpec) {
  const params: unknown[] = [
    organizationId,
    spec.range.from.toISOString(),
    spec.range.to.toISOString(),
  ];
  const p = (value: unknown) => `$${params.push(value)}`;
  const inRange = [
    "e.organization_id = $1",
    `e."timestamp" >= $2::timestamptz`,
    `e."timestamp" < $3::timestamptz`,
  ];
  return { params, p, inRange };
}
