import { badUserInput } from "../errors";

/**
 * Opaque Relay cursors: base64url of a JSON array holding the sort key of a row (its ordered
 * values then its id), so the next page continues after that row even while rows are inserted.
 */
export function encodeCursor(values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

/** Decodes a cursor of `length` values; a cursor that was not made here is a `BAD_USER_INPUT`. */
export function decodeCursor(cursor: string, length: number): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(values) && values.length === length) return values;
  } catch {
    // fall through to the error below
  }
  throw badUserInput(
    "The cursor 'after' is not valid: pass an endCursor or edge cursor from an earlier page.",
    "after",
  );
}

export interface PageSize {
  /** Rows to return. */
  first: number;
}

/**
 * Validates `first`: 1 to `max`; omitted means `defaultSize`. @throws BAD_USER_INPUT naming the cap
 */
export function pageSize(first: number | null | undefined, max = 100, defaultSize = 20): number {
  if (first === null || first === undefined) return defaultSize;
  if (!Number.isInteger(first) || first < 1)
    throw badUserInput(`'first' must be a positive integer, got ${first}.`, "first");
  if (first > max)
    throw badUserInput(
      `'first' may be at most ${max}, got ${first}; page with 'after' to read more.`,
      "first",
    );
  return first;
}
