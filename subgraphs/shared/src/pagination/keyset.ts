import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { Page } from "./connection";
import { decodeCursor, encodeCursor } from "./cursor";

export interface KeysetOptions<T> {
  /** Page size, already validated. */
  first: number;
  after?: string | null;
  /** The sort column (qualified, e.g. `customer.created_at`) and its value on a row. */
  sort: { column: string; direction: "ASC" | "DESC"; valueOf: (row: T) => string | number | Date | null; cast?: string };
  /** The unique tie-breaker column (qualified) and its value on a row. */
  id: { column: string; valueOf: (row: T) => string };
}

/**
 * Reads one page with keyset pagination: rows after the cursor's (sort value, id) in a stable
 * order, so inserts between pages neither repeat nor skip rows. `totalCount` counts the filtered
 * query without the cursor. Null sort values are not supported: sort on NOT NULL columns.
 */
export async function keysetPage<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, options: KeysetOptions<T>): Promise<Page<T>> {
  const { sort, id } = options;
  const totalCount = await query.clone().getCount();
  const page = query.clone();
  if (options.after) {
    const [afterValue, afterId] = decodeCursor(options.after, 2);
    const op = sort.direction === "ASC" ? ">" : "<";
    const cast = sort.cast ? `::${sort.cast}` : "";
    page.andWhere(`(${sort.column}, ${id.column}) ${op} (:afterValue${cast}, :afterId::uuid)`, { afterValue, afterId });
  }
  page.orderBy(sort.column, sort.direction).addOrderBy(id.column, sort.direction).take(undefined).limit(options.first + 1);
  const rows = await page.getMany();
  const hasNextPage = rows.length > options.first;
  const edges = rows.slice(0, options.first).map((node) => {
    const value = sort.valueOf(node);
    return { cursor: encodeCursor([value instanceof Date ? value.toISOString() : value, id.valueOf(node)]), node };
  });
  return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
}
