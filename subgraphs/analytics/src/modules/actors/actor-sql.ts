import { isUuid } from "#kit/data/ids";
import { badUserInput } from "#kit/errors";
import { cohortConditionSql, type EventFilter } from "../timeseries/event-filter.input";

/**
 * The actor of an event, the "who" of every people query (funnels, retention, and the queries
 * built on them): its customer; else its anonymous id; else none (such an event counts in no people
 * query). `identify` links an anonymous id to a customer by writing the customer on the anonymous
 * id's events, those stored before (at identify time) and those that arrive after (at ingestion,
 * from `identities`): so an event's actor is read from the event alone, no join, and every query
 * that counts customers (`unique_customers`, `Customer.stats`, cohorts of customers) counts an
 * identified visitor's events as the customer's.
 */

/**
 * SQL of the actor key of the events aliased `e`: the customer id as text, else `'a:' ||` the
 * anonymous id; null for an event with neither. Two actors never share a key (a UUID's text has
 * no ':').
 */
export function actorKeySql(e = "e"): string {
  return `coalesce(${e}.customer_id::text, 'a:' || ${e}.anonymous_id)`;
}

/**
 * SQL of the actor of the events aliased `e` as two columns, `customer_id` and `anonymous_id` (the
 * latter only for events without a customer): cheaper to group and hash than one text key (a UUID
 * compared as 16 bytes), and GROUP BY and DISTINCT take two nulls as equal.
 */
export function actorColumnsSql(e = "e"): string {
  return `${e}.customer_id, CASE WHEN ${e}.customer_id IS NULL THEN ${e}.anonymous_id END AS anonymous_id`;
}

/** SQL true for the events aliased `e` that have an actor. */
export function hasActorSql(e = "e"): string {
  return `(${e}.customer_id IS NOT NULL OR ${e}.anonymous_id IS NOT NULL)`;
}

/** The longest anonymous id accepted, in characters. */
export const MAX_ANONYMOUS_ID_LENGTH = 128;

/** Throws `BAD_USER_INPUT` naming `field` unless `anonymousId` is 1 to 128 characters. */
export function assertAnonymousId(anonymousId: string, field: string): void {
  if (anonymousId.length < 1 || anonymousId.length > MAX_ANONYMOUS_ID_LENGTH)
    throw badUserInput(
      `${field} must be 1 to ${MAX_ANONYMOUS_ID_LENGTH} characters, got ${anonymousId.length}.`,
      field,
    );
}

/**
 * SQL of the advisory lock key (two int4) of one anonymous id of one organization: `identify` holds
 * it exclusively while it links the id and rewrites its events; ingestion holds it shared for each
 * anonymous id of a batch while the batch reads `identities` and stores its events. So an event of
 * the id is either stored before the link (and rewritten by identify) or after it (and resolved by
 * ingestion), never missed between the two.
 */
export function identityLockKeySql(organizationId: string, anonymousId: string): string {
  return `hashtext('analytics.identities'), hashtext(${organizationId}::text || ':' || ${anonymousId})`;
}

/**
 * Throws `BAD_USER_INPUT` (naming `field` and the part) for a malformed people-query filter:
 * customer and campaign ids that are not UUIDs, properties that are not an object, empty types.
 */
export function validateEventFilter(filter: EventFilter | null | undefined, field: string): void {
  if (!filter) return;
  if (filter.types && filter.types.some((type) => type.length < 1 || type.length > 64))
    throw badUserInput(
      `${field}.types holds a type that is not 1 to 64 characters.`,
      `${field}.types`,
    );
  if (filter.customerId && !isUuid(filter.customerId))
    throw badUserInput(
      `${field}.customerId '${filter.customerId}' is not a UUID.`,
      `${field}.customerId`,
    );
  if (filter.campaignId && !isUuid(filter.campaignId))
    throw badUserInput(
      `${field}.campaignId '${filter.campaignId}' is not a UUID.`,
      `${field}.campaignId`,
    );
  if (
    filter.properties != null &&
    (typeof filter.properties !== "object" || Array.isArray(filter.properties))
  )
    throw badUserInput(
      `${field}.properties must be a JSON object of property values.`,
      `${field}.properties`,
    );
}

/**
 * SQL conditions (to AND) that the events aliased `e` pass `filter`; `p` adds a parameter and
 * returns its placeholder. The filter was validated ({@link validateEventFilter}). Every people
 * query narrows its events through here, so a condition added to `EventFilter` applies to all.
 */
export function eventFilterSql(
  filter: EventFilter | null | undefined,
  p: (value: unknown) => string,
  e = "e",
): string[] {
  if (!filter) return [];
  const conditions: string[] = [];
  if (filter.types?.length) conditions.push(`${e}.type = ANY(${p(filter.types)}::text[])`);
  if (filter.customerId)
    conditions.push(`${e}.customer_id = ${p(filter.customerId.toLowerCase())}::uuid`);
  if (filter.campaignId)
    conditions.push(`${e}.campaign_id = ${p(filter.campaignId.toLowerCase())}::uuid`);
  if (filter.properties != null && Object.keys(filter.properties).length > 0)
    conditions.push(`${e}.properties @> ${p(JSON.stringify(filter.properties))}::jsonb`);
  const cohort = cohortConditionSql(filter, p, e);
  if (cohort) conditions.push(cohort);
  return conditions;
}
