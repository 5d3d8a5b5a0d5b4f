import { DataSource } from "typeorm";
import { withDatabase } from "#kit/database/database-url";
import { queryPrepared } from "#kit/database/prepared-query";
import { TEST_ENV } from "./support/test-database";

describe("queryPrepared", () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    // One connection, so that the session that prepared the statement is the one asked about it.
    dataSource = await new DataSource({
      type: "postgres",
      url: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
      extra: { max: 1 },
    }).initialize();
  });

  afterAll(() => dataSource?.destroy());

  it("answers as dataSource.query does, from a statement PostgreSQL prepared once under its name", async () => {
    const text = `SELECT $1::int + 1 AS n, $2::text[] AS tags, now() >= $3::timestamptz AS later`;
    const values = [41, ["a", "b"], "2000-01-01T00:00:00Z"];
    for (let run = 0; run < 3; run++)
      expect(await queryPrepared(dataSource, "test.prepared-query", text, values)).toEqual(
        await dataSource.query(text, values),
      );
    const prepared = await dataSource.query(
      `SELECT statement FROM pg_prepared_statements WHERE name = 'test.prepared-query'`,
    );
    expect(prepared).toEqual([{ statement: text }]);
  });
});
