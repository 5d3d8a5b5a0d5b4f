import type { PoolClient } from "pg";
import { escapeLiteral } from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { QueryRunner } from "typeorm";
import type { Statement } from "./shared-snapshot";

// node-postgres sends parameters as text of unknown type; its own conversion of a value to that
// text (arrays to array literals, dates, JSON), so that an inlined value reads as the parameter did.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require("pg/lib/utils") as { prepareValue(value: unknown): unknown };

/**
 * `statement`'s SQL with each `$n` replaced by its parameter as a quoted literal (NULL for null),
 * for the statements PostgreSQL takes no parameters in (`COPY (query) TO STDOUT`). An untyped
 * literal and a parameter of unknown type resolve alike, so the statement means the same. The
 * SQL itself must hold no `$n` other than placeholders (ours keep every value in parameters).
 * Throws when a placeholder has no parameter.
 */
export function inlineParameters({ sql, params }: Statement): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= params.length) throw new Error(`$${n} has no parameter`);
    const text = prepareValue(params[index]);
    return text === null || text === undefined ? "NULL" : escapeLiteral(String(text));
  });
}

/**
 * Runs the query `statement` as `COPY (query) TO STDOUT (FORMAT binary)` on the runner's
 * connection, inside its transaction if it has one, and gives `consume` the output as it arrives
 * (read it with {@link CopyTuples}): each value as PostgreSQL stores it (a uuid's 16 bytes, a
 * bytea's bytes), with no text to parse and no object per row. Counted and logged like the data
 * source's other queries. Rejects with the statement's error, or with the first error `consume`
 * threw, once the output has all been read (so that the connection goes back to the pool between
 * statements, not in the middle of a COPY).
 */
export async function copyBinaryOut(
  runner: QueryRunner,
  statement: Statement,
  consume: (chunk: Buffer) => void,
): Promise<void> {
  const sql = `COPY (${inlineParameters(statement)}) TO STDOUT (FORMAT binary)`;
  runner.connection.logger.logQuery(sql, [], runner);
  const client = (await runner.connect()) as PoolClient;
  let failure: { error: unknown } | null = null;
  for await (const chunk of client.query(copyTo(sql))) {
    if (failure) continue;
    try {
      consume(chunk as Buffer);
    } catch (error) {
      failure = { error };
    }
  }
  if (failure) throw failure.error;
}

/** The 11 bytes a binary COPY starts with, then a 4-byte flags field and a 4-byte extension length. */
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const HEADER_BYTES = 19;

/**
 * A cursor over the tuples of a binary COPY ({@link copyBinaryOut}) as it arrives: {@link append}
 * adds what arrived, {@link next} moves to the next tuple once it is all in, then {@link field} to
 * each of its fields in order, leaving {@link start} on the field's first byte in {@link buffer}.
 * Positions in {@link buffer} stay valid as it grows (the object may change).
 */
export class CopyTuples {
  /** What arrived so far, from the first byte of the COPY, in its first `length` bytes. */
  buffer = Buffer.allocUnsafe(1 << 16);
  /** {@link buffer} as a DataView, for reading its numbers (big-endian, as COPY writes them). */
  view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
  /** The current field's first byte in {@link buffer}. */
  start = 0;
  /** True once the COPY's trailer has been read. */
  ended = false;
  private length = 0;
  /** Where the next field (or tuple) starts; 0 before the header is read. */
  private position = 0;
  /** Where the current tuple starts. */
  private tupleStart = 0;

  append(chunk: Buffer): void {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(
        Math.max(this.buffer.length * 2, this.length + chunk.length),
      );
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
      this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
    }
    chunk.copy(this.buffer, this.length);
    this.length += chunk.length;
  }

  /**
   * Moves to the next tuple when it has all arrived: true then; false when it has not (append
   * more and call again) and after the trailer ({@link ended}). Throws when the data is not a
   * binary COPY.
   */
  next(): boolean {
    if (this.ended) return false;
    if (this.position === 0) {
      if (this.length < HEADER_BYTES) return false;
      if (!this.buffer.subarray(0, SIGNATURE.length).equals(SIGNATURE))
        throw new Error("not a binary COPY");
      const end = HEADER_BYTES + this.buffer.readInt32BE(15);
      if (this.length < end) return false;
      this.position = end;
    }
    if (this.position + 2 > this.length) return false;
    const fields = this.view.getInt16(this.position);
    if (fields === -1) {
      this.ended = true;
      return false;
    }
    let end = this.position + 2;
    for (let f = 0; f < fields; f++) {
      if (end + 4 > this.length) return false;
      end += 4 + Math.max(this.view.getInt32(end), 0);
    }
    if (end > this.length) return false;
    this.tupleStart = this.position;
    this.position += 2;
    return true;
  }

  /**
   * Forgets everything before the current tuple, which moves it and what follows it to the start
   * of {@link buffer} (the positions of what was before are no longer valid): what was read is
   * then no longer kept.
   */
  discardBeforeTuple(): void {
    const shift = this.tupleStart;
    if (shift === 0) return;
    this.buffer.copy(this.buffer, 0, shift, this.length);
    this.length -= shift;
    this.position -= shift;
    this.start -= shift;
    this.tupleStart = 0;
  }

  /** Moves to the tuple's next field: its length in bytes, -1 for NULL. */
  field(): number {
    const length = this.view.getInt32(this.position);
    this.start = this.position + 4;
    this.position = this.start + Math.max(length, 0);
    return length;
  }

  /** Moves to the tuple's next field, an int4 (not NULL), and returns it. */
  int4(): number {
    this.field();
    return this.view.getInt32(this.start);
  }
}
