import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { Page } from "./connection";
import { decodeCursor, encodeCursor } from "./cursor";

export interface KeysetOptions<T> {
  /** Page size, already validated. */
  first: number;
  after?: string | null;
  /**
   * The sort column (qualified, e.g. `customer.created_at`) and the type to read a cursor's value
   * back as. The value goes into the cursor as PostgreSQL's own text, so timestamps keep their
   * microseconds (a JavaScript Date would cut them and break ties).
   */
  sort: { column: string; direction: "ASC" | "DESC"; cast: string };
  /** The unique tie-breaker column (qualified) and its value on a row. */
  id: { column: string; valueOf: (row: T) => string };
}

/**
 * Reads one page with keyset pagination: rows after the cursor's (sort value, id) in a stable
 * order, so inserts between pages neither repeat nor skip rows. `totalCount` counts the filtered
 * query without the cursor, only when a client asks for it (a `count(*)` per page otherwise costs
 * as much as the page itself on large exports). Null sort values are not supported: sort on NOT
 * NULL columns. The query must not join (raw rows are matched to entities by position).
 */
export async function keysetPage<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  options: KeysetOptions<T>,
): Promise<Page<T>> {
  const { sort, id } = options;
  const page = query.clone();
  if (options.after) {
    const [afterValue, afterId] = decodeCursor(options.after, 2);
    const op = sort.direction === "ASC" ? ">" : "<";
    page.andWhere(
      `(${sort.column}, ${id.column}) ${op} (CAST(:afterValue AS ${sort.cast}), CAST(:afterId AS uuid))`,
      { afterValue, afterId },
    );
  }
  page
    .addSelect(`${sort.column}::text`, "keyset_value")
    .orderBy(sort.column, sort.direction)
    .addOrderBy(id.column, sort.direction)
    .limit(options.first + 1);
  const { entities, raw } = await page.getRawAndEntities<{ keyset_value: string }>();
  const hasNextPage = entities.length > options.first;
  // A cursor is encoded when read: most pages ask for endCursor at most, not every edge's.
  const edges = entities.slice(0, options.first).map((node, index) => {
    const key = [raw[index].keyset_value, id.valueOf(node)];
    return {
      node,
      get cursor() {
        return encodeCursor(key);
      },
    };
  });
  const countQuery = query.clone();
  return {
    edges,
    pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    // A getter: the field's resolver reads it, so the count runs only when asked for.
    get totalCount() {
      return countQuery.getCount();
    },
  };
}
