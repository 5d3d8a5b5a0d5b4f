import type { DataSource } from "typeorm";
import { SeededRandom } from "#kit/random";
import { stratifiedSplit } from "../ml/evaluation";
import type { CustomerProfile } from "../features/customer-profiles";
import { columnsOf, encode, fitEncoder, type RawRecord } from "./feature-encoder";
import { buildChurnDataset } from "./train-churn-model";

/** A data source with no events: enough for recorded-status labels, which need no event query. */
const noEvents = { query: async () => [] } as unknown as DataSource;

function profile(i: number, withExternalId: boolean): CustomerProfile {
  return {
    id: `00000000-0000-4000-8000-${String((i * 7919) % 100_000).padStart(12, "0")}`,
    externalId: withExternalId ? `c${i}` : null,
    status: i % 4 === 0 ? "CHURNED" : "ACTIVE",
    churnedAt: null,
    registeredAt: "2026-01-01T00:00:00Z",
    age: 20 + (i % 50),
    gender: i % 2 ? "female" : "male",
    location: null,
    incomeRange: null,
    preferredCategory: null,
    attributes: { plan: i % 3 ? "basic" : "pro", calls: i % 11 },
  };
}

describe("churn dataset", () => {
  it("puts the customers in the same order whatever order they are read in, so a seeded split is reproducible", async () => {
    const parameters = {
      horizonDays: 90,
      cutoff: new Date("2026-06-01T00:00:00Z"),
      seed: 1,
      l2: 1,
    };
    for (const withExternalId of [true, false]) {
      const profiles = Array.from({ length: 200 }, (_, i) => profile(i, withExternalId));
      const shuffled = [...profiles];
      const random = new SeededRandom(9);
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random.next() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const a = await buildChurnDataset(noEvents, "org", profiles, parameters);
      const b = await buildChurnDataset(noEvents, "org", shuffled.reverse(), parameters);
      expect(b.customerIds).toEqual(a.customerIds);
      const testIds = (d: typeof a) =>
        stratifiedSplit(d.labels, 0.2, 1).test.map((i) => d.customerIds[i]);
      expect(testIds(b)).toEqual(testIds(a));
      expect(testIds(a)).toHaveLength(40);
    }
    // With external ids, their order decides (c0, c1, c10, c100, ...), not the random-looking ids.
    const ordered = await buildChurnDataset(
      noEvents,
      "org",
      Array.from({ length: 30 }, (_, i) => profile(29 - i, true)),
      parameters,
    );
    expect(ordered.customerIds.slice(0, 3)).toEqual([
      profile(0, true).id,
      profile(1, true).id,
      profile(10, true).id,
    ]);
  });
});

describe("feature encoder", () => {
  it("leaves out columns that are constant in the training records, and keeps their varying missing indicator", () => {
    const records: RawRecord[] = Array.from({ length: 50 }, (_, i) => ({
      numeric: { varying: i, constant: 3, constantWhenPresent: i % 5 === 0 ? null : 7 },
      categorical: { single: "only", colour: i % 2 ? "red" : "blue" },
    }));
    const names = fitEncoder(columnsOf(records)).map((f) => f.name);
    expect(names).toEqual(["constantWhenPresent missing", "varying", "colour=blue", "colour=red"]);
    const x = encode(columnsOf(records), fitEncoder(columnsOf(records)));
    // Every encoded column varies.
    for (let j = 0; j < x.cols; j++) {
      const column = Array.from({ length: x.rows }, (_, i) => x.data[i * x.cols + j]);
      expect(Math.max(...column)).toBeGreaterThan(Math.min(...column));
    }
  });
});
