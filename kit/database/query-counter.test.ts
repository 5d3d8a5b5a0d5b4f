import { QueryCountingLogger, runInBackground, sqlQueryCount } from "./query-counter";

describe("sqlQueryCount", () => {
  const logger = new QueryCountingLogger("counter-test");

  it("counts statements sent outside background work", () => {
    const before = sqlQueryCount("counter-test");
    logger.logQuery();
    logger.logQuery();
    expect(sqlQueryCount("counter-test") - before).toBe(2);
  });

  it("leaves out statements of background work, also those of timers and promises it starts", async () => {
    const before = sqlQueryCount("counter-test");
    await runInBackground(async () => {
      logger.logQuery();
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          logger.logQuery();
          resolve();
        }, 1),
      );
      logger.logQuery();
    });
    expect(sqlQueryCount("counter-test") - before).toBe(0);
    logger.logQuery();
    expect(sqlQueryCount("counter-test") - before).toBe(1);
  });

  it("returns what the background work returns", () => {
    expect(runInBackground(() => 42)).toBe(42);
  });
});
