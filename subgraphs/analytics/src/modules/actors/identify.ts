import { isUuid } from "#kit/data/ids";
import { transactionPrepared } from "#kit/database/prepared-query";
import { badUserInput } from "#kit/errors";
import type { DataSource } from "typeorm";
import { customersQuery } from "../features/customer-profiles";
import { markActivitySql } from "../rollups/mark-activity";
import { addCustomerTotalsSql } from "../rollups/customer-totals";
import { assertAnonymousId, identityLockKeySql } from "./actor-sql";

/** A link of an anonymous id to a customer, as `identify` answers it. */
export interface IdentityLink {
  anonymousId: string;
  customerId: string;
  /** The anonymous id's events that count as the customer's. */
  linkedEvents: number;
}

/** Checks that a customer of the caller's organization exists; resolves false when not. */
export type CustomerCheck = (customerId: string) => Promise<boolean>;

/**
 * A {@link CustomerCheck} through the customers subgraph's public API as the caller (its
 * `knownCustomerIds`, which API keys with EVENTS_WRITE may call): analytics never reads the
 * customers database. Rejects with `SERVICE_UNAVAILABLE` when the customers service fails.
 */
export function customersSubgraphCheck(customersUrl: string, accessToken: string): CustomerCheck {
  return async (customerId) => {
    const { knownCustomerIds } = await customersQuery<{ knownCustomerIds: string[] }>(
      customersUrl,
      accessToken,
      `query($ids: [ID!]!) { knownCustomerIds(ids: $ids) }`,
      { ids: [customerId] },
    );
    return knownCustomerIds.length === 1;
  };
}

/**
 * Gives the anonymous id's events without a customer of their own the customer ($3), and marks
 * their days in the customer's customer_activity rows and adds them to its customer_totals as
 * ingestion does an event's; answers the anonymous id's events that now count as the customer's
 * (those it had before, the statement's snapshot, and those it rewrote).
 */
const LINK_EVENTS_SQL = `
  WITH linked AS (
    UPDATE events e SET customer_id = $3
     WHERE e.organization_id = $1 AND e.anonymous_id = $2 AND e.customer_id IS NULL
    RETURNING e.type, e."timestamp", e.value
  ),
  ${markActivitySql("linked e", "$3::uuid")},
  ${addCustomerTotalsSql("linked e", "$3::uuid")}
  SELECT (SELECT count(*) FROM linked)::int AS rewritten,
         (SELECT count(*) FROM events e WHERE e.organization_id = $1 AND e.anonymous_id = $2 AND e.customer_id = $3)::int AS already`;

const LINKED_EVENTS_SQL = `SELECT count(*)::int AS linked FROM events WHERE organization_id = $1 AND anonymous_id = $2 AND customer_id = $3`;

/**
 * Links an anonymous id to a customer of the organization, so that the anonymous id's events, those
 * stored before and those to come, count as the customer's in every query: its events without a
 * customer of their own get the customer (and their customer_activity days and customer_totals),
 * and ingestion gives it to later ones. Idempotent: linking it again to the same customer changes nothing and answers
 * the same. Runs in one transaction holding the anonymous id's identity lock, which ingestion of
 * the id's events also takes (shared), so no event is stored between the link and the rewrite.
 * A late identify costs one update of each of the visitor's events (found by
 * `events_organization_anonymous_idx`) and of its customer_activity and customer_totals rows.
 *
 * @throws BAD_USER_INPUT (field `anonymousId`) for an id that is not 1 to 128 characters or that is
 *   linked to another customer; (field `customerId`) for a customer that is not a UUID or that
 *   `customerExists` does not know.
 */
export async function identify(
  dataSource: DataSource,
  organizationId: string,
  anonymousId: string,
  customerId: string,
  customerExists: CustomerCheck,
): Promise<IdentityLink & { changed: boolean }> {
  assertAnonymousId(anonymousId, "anonymousId");
  if (!isUuid(customerId))
    throw badUserInput(`customerId '${customerId}' is not a UUID.`, "customerId");
  const customer = customerId.toLowerCase();
  const linkedTo = async (): Promise<string | null> => {
    const [row]: { customer_id: string }[] = await dataSource.query(
      `SELECT customer_id FROM identities WHERE organization_id = $1 AND anonymous_id = $2`,
      [organizationId, anonymousId],
    );
    return row?.customer_id ?? null;
  };
  const conflict = (other: string) =>
    badUserInput(
      `The anonymous id '${anonymousId}' is already identified as another customer (${other}); an anonymous id belongs to one customer.`,
      "anonymousId",
    );
  const existing = await linkedTo();
  if (existing !== null && existing !== customer) throw conflict(existing);
  if (existing === customer) {
    const [{ linked }]: { linked: number }[] = await dataSource.query(LINKED_EVENTS_SQL, [
      organizationId,
      anonymousId,
      customer,
    ]);
    return { anonymousId, customerId: customer, linkedEvents: linked, changed: false };
  }
  if (!(await customerExists(customer)))
    throw badUserInput(
      `customerId '${customerId}' is not a customer of your organization.`,
      "customerId",
    );
  const result = await transactionPrepared(dataSource, async (query) => {
    await query(null, `SELECT pg_advisory_xact_lock(${identityLockKeySql("$1", "$2")})`, [
      organizationId,
      anonymousId,
    ]);
    const [link] = await query<{ customer_id: string }>(
      null,
      `INSERT INTO identities AS i (organization_id, anonymous_id, customer_id) VALUES ($1, $2, $3)
       ON CONFLICT (organization_id, anonymous_id) DO UPDATE SET customer_id = i.customer_id
       RETURNING customer_id`,
      [organizationId, anonymousId, customer],
    );
    // Another identify of the same id got there first.
    if (link.customer_id !== customer) throw conflict(link.customer_id);
    const [counts] = await query<{ rewritten: number; already: number }>(null, LINK_EVENTS_SQL, [
      organizationId,
      anonymousId,
      customer,
    ]);
    return counts;
  });
  return {
    anonymousId,
    customerId: customer,
    linkedEvents: result.rewritten + result.already,
    changed: result.rewritten > 0,
  };
}
