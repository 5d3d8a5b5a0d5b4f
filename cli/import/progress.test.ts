import { formatProgress, ProgressReporter } from "./progress";

function recorder(isTTY: boolean) {
  const written: string[] = [];
  return { output: { isTTY, write: (text: string) => written.push(text) }, written };
}

describe("formatProgress", () => {
  it("shows the rows, the share of the estimated total and the rate", () => {
    expect(formatProgress("customers", 12_000, 50_000, 2_222)).toBe(
      "customers: 12,000/50,000 rows (24%) 5,401 rows/s",
    );
  });

  it("never shows a total below what is done, nor a percentage above 100", () => {
    expect(formatProgress("customers", 1_010, 1_000, 1_000)).toBe(
      "customers: 1,010/1,010 rows (100%) 1,010 rows/s",
    );
    expect(formatProgress("customers", 0, 0, 0)).toBe("customers: 0/0 rows 0 rows/s");
  });
});

describe("ProgressReporter", () => {
  it("writes at most one line per interval, one per line when not on a terminal", () => {
    let now = 0;
    const { output, written } = recorder(false);
    const progress = new ProgressReporter({
      label: "customers",
      total: 4_000,
      output,
      now: () => now,
    });
    now = 1_000;
    progress.update(1_000);
    now = 1_100;
    progress.update(2_000); // too soon: dropped
    now = 1_300;
    progress.update(3_000);
    now = 2_000;
    progress.finish(4_000);
    expect(written).toEqual([
      "customers: 1,000/4,000 rows (25%) 1,000 rows/s\n",
      "customers: 3,000/4,000 rows (75%) 2,308 rows/s\n",
      "customers: 4,000/4,000 rows (100%) 2,000 rows/s\n",
    ]);
  });

  it("rewrites one line on a terminal and ends it when finished", () => {
    let now = 0;
    const { output, written } = recorder(true);
    const progress = new ProgressReporter({
      label: "customers",
      total: 20_000,
      output,
      now: () => now,
    });
    now = 1_000;
    progress.update(10_000);
    now = 2_000;
    progress.finish(9);
    expect(written).toEqual([
      "\rcustomers: 10,000/20,000 rows (50%) 10,000 rows/s",
      `\rcustomers: 9/20,000 rows (0%) 5 rows/s${" ".repeat(11)}`,
      "\n",
    ]);
  });
});
