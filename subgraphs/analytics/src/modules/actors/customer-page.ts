import { isUuid } from "#kit/data/ids";
import { badUserInput } from "#kit/errors";
import type { Page } from "#kit/pagination/connection";
import { decodeCursor, encodeCursor } from "#kit/pagination/cursor";
import type { Customer } from "../customer-stats/customer.type";

/**
 * The customer id after which a page of a people connection starts (`after`, a cursor of
 * {@link customerPage}), or null for the first page. @throws BAD_USER_INPUT for a foreign cursor
 */
export function afterCustomerId(after: string | null | undefined): string | null {
  if (!after) return null;
  const [id] = decodeCursor(after, 1);
  if (!isUuid(id))
    throw badUserInput(
      "The cursor 'after' is not valid: pass an endCursor or edge cursor from an earlier page.",
      "after",
    );
  return id.toLowerCase();
}

/**
 * One page of customers of a people connection (funnel steps, retention cohorts): `ids` are all
 * its customers, in ascending id order (as PostgreSQL orders UUIDs: their lowercase text order);
 * the page holds the `first` after the `after` cursor's. Customers are entity references that the
 * customers subgraph resolves.
 */
export function customerPage(
  ids: readonly string[],
  first: number,
  after: string | null | undefined,
): Page<Customer> {
  const afterId = afterCustomerId(after);
  let start = 0;
  if (afterId !== null) {
    // The first id after the cursor's (binary search in the sorted ids).
    let high = ids.length;
    while (start < high) {
      const middle = (start + high) >> 1;
      if (ids[middle] <= afterId) start = middle + 1;
      else high = middle;
    }
  }
  const edges = ids
    .slice(start, start + first)
    .map((id) => ({ cursor: encodeCursor([id]), node: { id } }));
  return {
    edges,
    pageInfo: { hasNextPage: start + first < ids.length, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: ids.length,
  };
}
