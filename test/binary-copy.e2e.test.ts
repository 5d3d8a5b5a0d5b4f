import { DataSource } from "typeorm";
import { copyBinaryOut, CopyTuples, inlineParameters } from "#kit/database/binary-copy";
import { withDatabase } from "#kit/database/database-url";
import { SeededRandom } from "#kit/random";
import { TEST_ENV } from "./support/test-database";

/**
 * Binary COPY on the run's PostgreSQL: parameters inlined so that a statement means what it meant
 * with them, tuples read back across any split of the output, and a connection that goes back to
 * the pool usable after a failure.
 */
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await new DataSource({
    type: "postgres",
    url: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
    // One connection: a connection left in the middle of a COPY would fail the next test.
    extra: { max: 1 },
  }).initialize();
});

afterAll(() => dataSource?.destroy());

/** Runs `statement` as a binary COPY and returns its output in one buffer. */
async function copied(statement: { sql: string; params: unknown[] }): Promise<Buffer> {
  const runner = dataSource.createQueryRunner();
  const chunks: Buffer[] = [];
  try {
    await copyBinaryOut(runner, statement, (chunk) => chunks.push(chunk));
  } finally {
    await runner.release();
  }
  return Buffer.concat(chunks);
}

it("inlines parameters as literals that mean what the parameters meant", async () => {
  const statement = {
    sql: `SELECT $1::text AS quote, $2::text[] AS list, $3::int AS n, $4::jsonb ->> 'k' AS json,
                 $5::text AS missing, $6::timestamptz AS at, $7 = 'x' AS untyped, $8::text AS dollars`,
    params: [
      `it's a "test" \\ with a backslash and ünïcödé`,
      ["a,b", 'c"d', "e'f", "g\\h", null],
      -42,
      JSON.stringify({ k: "v'v" }),
      null,
      "2026-03-29T01:30:00.000Z",
      "x",
      "$1 and $2",
    ],
  };
  const withParameters = await dataSource.query(statement.sql, statement.params);
  const inlined = await dataSource.query(inlineParameters(statement));
  expect(inlined).toEqual(withParameters);
  expect(withParameters[0].list).toEqual(["a,b", 'c"d', "e'f", "g\\h", null]);
  expect(() => inlineParameters({ sql: "SELECT $2", params: [1] })).toThrow(/\$2 has no parameter/);
});

it("reads every tuple back however the output is split", async () => {
  const sql = `SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE md5(i::text)::uuid END AS id,
                      repeat('é', i % 50) AS text, int8send(i * 1000000000000) AS bytes
                 FROM generate_series(1, $1::int) i`;
  const rows = 3_000;
  const output = await copied({ sql, params: [rows] });
  const expected: { i: number; id: string | null; text: string; bytes: string }[] =
    await dataSource.query(
      `SELECT i, id::text, text, encode(bytes, 'hex') AS bytes FROM (${sql}) t ORDER BY i`,
      [rows],
    );
  const random = new SeededRandom(7);
  for (const maxChunk of [1, 13, 4096, output.length]) {
    const tuples = new CopyTuples();
    const read: typeof expected = [];
    const readAll = () => {
      while (tuples.next()) {
        const i = tuples.int4();
        const idLength = tuples.field();
        const id =
          idLength < 0
            ? null
            : tuples.buffer
                .toString("hex", tuples.start, tuples.start + 16)
                .replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
        const textLength = tuples.field();
        const text = tuples.buffer.toString("utf8", tuples.start, tuples.start + textLength);
        const bytesLength = tuples.field();
        const bytes = tuples.buffer.toString("hex", tuples.start, tuples.start + bytesLength);
        read.push({ i, id, text, bytes });
        // What was read is let go now and then; what follows stays readable.
        if (i % 100 === 0) tuples.discardBeforeTuple();
      }
    };
    for (let at = 0; at < output.length;) {
      const size = 1 + Math.floor(random.next() * maxChunk);
      tuples.append(output.subarray(at, at + size));
      at += size;
      readAll();
    }
    expect(tuples.ended).toBe(true);
    expect(read).toEqual(expected);
  }
  expect(() => {
    const tuples = new CopyTuples();
    tuples.append(Buffer.from("i,id\n1,2\n".repeat(3)));
    tuples.next();
  }).toThrow(/not a binary COPY/);
});

it("rejects with the statement's error, or with the consumer's after reading all, and leaves the connection usable", async () => {
  await expect(
    copied({ sql: "SELECT 1 / (i - 3) FROM generate_series(1, 5) i", params: [] }),
  ).rejects.toThrow(/division by zero/);
  const runner = dataSource.createQueryRunner();
  let chunks = 0;
  try {
    await expect(
      copyBinaryOut(
        runner,
        { sql: "SELECT repeat('x', 1000) FROM generate_series(1, 2000)", params: [] },
        () => {
          chunks++;
          throw new Error("consumer failed");
        },
      ),
    ).rejects.toThrow(/consumer failed/);
  } finally {
    await runner.release();
  }
  expect(chunks).toBe(1);
  // The pool's one connection answers the next statement.
  expect(await dataSource.query("SELECT 41 + 1 AS n")).toEqual([{ n: 42 }]);
});
