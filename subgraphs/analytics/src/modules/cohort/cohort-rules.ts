import { isUuid } from "#kit/data/ids";
import { badUserInput } from "#kit/errors";
import { validateEventFilter } from "../actors/actor-sql";
import type { EventFilter } from "../timeseries/event-filter.input";
import { CohortMatch, type CohortInput, type CohortRuleInput } from "./cohort.input";

/** A rule as stored (the `cohorts.rules` JSON array holds these) and compiled to SQL. */
export type CohortRule = EventRule | SegmentRule | ChurnRule;

/** The customer has between minCount and maxCount events of the type passing the filter. */
export interface EventRule {
  kind: "event";
  event: string;
  filter: EventFilter | null;
  minCount: number;
  /** null: unbounded. */
  maxCount: number | null;
  /** null: all time. */
  withinDays: number | null;
}

/** The customer is a member of the segment `runId:index`. */
export interface SegmentRule {
  kind: "segment";
  segmentId: string;
}

/** The latest completed churn model gives the customer at least this probability. */
export interface ChurnRule {
  kind: "churn";
  minChurnProbability: number;
}

/** A cohort's definition, as stored. */
export interface CohortDefinition {
  id: string;
  name: string;
  match: CohortMatch;
  rules: CohortRule[];
  createdAt: Date;
}

export const MAX_COHORT_NAME_LENGTH = 100;
export const MAX_COHORT_RULES = 20;
/** The longest `withinDays`: ten years. */
export const MAX_WITHIN_DAYS = 3660;

/** A segment id `<run id>:<index>` as its parts, or null when malformed. */
export function parseSegmentId(id: string): { runId: string; index: number } | null {
  const match = /^([0-9a-fA-F-]{36}):(\d{1,4})$/.exec(id);
  if (!match || !isUuid(match[1])) return null;
  return { runId: match[1].toLowerCase(), index: Number(match[2]) };
}

/**
 * The cohort's name, match and rules, checked and normalized (a segment's existence is checked by
 * the caller, in SQL).
 * @throws BAD_USER_INPUT naming the field: `input.name` blank or over 100 characters,
 *   `input.rules` empty or over 20, `input.rules[i]` with none or several of event / segmentId /
 *   minChurnProbability, `input.rules[i].minCount` negative or above maxCount, `.maxCount`
 *   negative, `.withinDays` not 1 to 3660, `.filter` malformed or naming a cohort, `.segmentId`
 *   malformed, `.minChurnProbability` outside [0, 1], event options on a non-event rule.
 */
export function validateCohortInput(input: CohortInput): {
  name: string;
  match: CohortMatch;
  rules: CohortRule[];
} {
  const name = input.name.trim();
  if (name.length === 0 || input.name.length > MAX_COHORT_NAME_LENGTH)
    throw badUserInput(
      `input.name must be 1 to ${MAX_COHORT_NAME_LENGTH} characters and not blank.`,
      "input.name",
    );
  if (input.rules.length === 0 || input.rules.length > MAX_COHORT_RULES)
    throw badUserInput(`input.rules must hold 1 to ${MAX_COHORT_RULES} rules.`, "input.rules");
  return {
    name,
    match: input.match ?? CohortMatch.ALL,
    rules: input.rules.map((rule, i) => validateRule(rule, `input.rules[${i}]`)),
  };
}

function validateRule(rule: CohortRuleInput, field: string): CohortRule {
  const kinds = [
    rule.event != null && "event",
    rule.segmentId != null && "segmentId",
    rule.minChurnProbability != null && "minChurnProbability",
  ].filter(Boolean);
  if (kinds.length !== 1)
    throw badUserInput(
      `${field} must have exactly one of event, segmentId or minChurnProbability; it has ${kinds.length === 0 ? "none" : kinds.join(" and ")}.`,
      field,
    );
  const minCount = rule.minCount ?? 1;
  const maxCount = rule.maxCount ?? null;
  const withinDays = rule.withinDays ?? null;
  if (rule.event == null) {
    // minCount's default (1) cannot be told from a given 1: only other values are rejected.
    if (minCount !== 1 || maxCount !== null || withinDays !== null || rule.filter != null)
      throw badUserInput(
        `${field}: filter, minCount, maxCount and withinDays apply to event rules only.`,
        field,
      );
  }
  if (rule.segmentId != null) {
    if (!parseSegmentId(rule.segmentId))
      throw badUserInput(
        `${field}.segmentId '${rule.segmentId}' is not a segment id (<run id>:<index>).`,
        `${field}.segmentId`,
      );
    return { kind: "segment", segmentId: rule.segmentId.toLowerCase() };
  }
  if (rule.minChurnProbability != null) {
    const probability = rule.minChurnProbability;
    if (!Number.isFinite(probability) || probability < 0 || probability > 1)
      throw badUserInput(
        `${field}.minChurnProbability must be between 0 and 1.`,
        `${field}.minChurnProbability`,
      );
    return { kind: "churn", minChurnProbability: probability };
  }
  const event = rule.event!;
  if (event.length < 1 || event.length > 64)
    throw badUserInput(`${field}.event must be 1 to 64 characters.`, `${field}.event`);
  if (minCount < 0) throw badUserInput(`${field}.minCount must be 0 or more.`, `${field}.minCount`);
  if (maxCount !== null && maxCount < 0)
    throw badUserInput(`${field}.maxCount must be 0 or more.`, `${field}.maxCount`);
  if (maxCount !== null && minCount > maxCount)
    throw badUserInput(
      `${field}.minCount (${minCount}) is above maxCount (${maxCount}).`,
      `${field}.minCount`,
    );
  if (withinDays !== null && (withinDays < 1 || withinDays > MAX_WITHIN_DAYS))
    throw badUserInput(
      `${field}.withinDays must be 1 to ${MAX_WITHIN_DAYS} (or null for all time).`,
      `${field}.withinDays`,
    );
  validateEventFilter(rule.filter, `${field}.filter`);
  if (rule.filter?.cohortId != null)
    throw badUserInput(
      `${field}.filter.cohortId: a cohort's rules cannot name a cohort.`,
      `${field}.filter.cohortId`,
    );
  return {
    kind: "event",
    event,
    filter: rule.filter ? plainFilter(rule.filter) : null,
    minCount,
    maxCount,
    withinDays,
  };
}

/** The filter's given conditions as plain JSON (what is stored). */
function plainFilter(filter: EventFilter): EventFilter | null {
  const plain: EventFilter = {};
  if (filter.types?.length) plain.types = filter.types;
  if (filter.customerId) plain.customerId = filter.customerId.toLowerCase();
  if (filter.campaignId) plain.campaignId = filter.campaignId.toLowerCase();
  if (filter.properties != null && Object.keys(filter.properties).length > 0)
    plain.properties = filter.properties;
  return Object.keys(plain).length > 0 ? plain : null;
}
