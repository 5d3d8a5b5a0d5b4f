import type { DataSource } from "typeorm";
import { SeededRandom } from "#kit/random";
import { rocAuc, stratifiedSplit } from "../ml/evaluation";
import { fitLogistic, predictProbabilities } from "../ml/logistic-regression";
import { matrix, type Matrix } from "../ml/matrix";
import type { CustomerProfile } from "../features/customer-profiles";
import { COLLINEAR, columnsOf, encode, fitEncoder, type RawRecord } from "../ml/feature-encoder";
import { buildChurnDataset, type ChurnDataset } from "./train-churn-model";

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
      // ... and so the same encoder, model and held-out AUC, to the last bit.
      const [fitA, fitB] = [fitSplit(a, 1), fitSplit(b, 1)];
      expect(fitB.encoder).toEqual(fitA.encoder);
      expect(Array.from(fitB.model.weights)).toEqual(Array.from(fitA.model.weights));
      expect(fitB.model.intercept).toBe(fitA.model.intercept);
      expect(fitB.auc).toBe(fitA.auc);
      // Another seed holds out other customers, and the model changes with them.
      expect(testIds(a)).not.toEqual(
        stratifiedSplit(a.labels, 0.2, 2).test.map((i) => a.customerIds[i]),
      );
      expect(Array.from(fitSplit(a, 2).model.weights)).not.toEqual(Array.from(fitA.model.weights));
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

/** What trainChurnModel does with a dataset and a seed, up to the held-out AUC. */
function fitSplit(dataset: ChurnDataset, seed: number) {
  const { train, test } = stratifiedSplit(dataset.labels, 0.2, seed);
  const encoder = fitEncoder(dataset.columns, train);
  const all = encode(dataset.columns, encoder);
  const model = fitLogistic(
    rowsOf(all, train),
    Uint8Array.from(train, (i) => dataset.labels[i]),
  );
  const scores = predictProbabilities(model, rowsOf(all, test));
  return {
    encoder,
    model,
    auc: rocAuc(
      Uint8Array.from(test, (i) => dataset.labels[i]),
      scores,
    ),
  };
}

function rowsOf(all: Matrix, indexes: number[]): Matrix {
  const m = matrix(indexes.length, all.cols);
  indexes.forEach((row, i) =>
    m.data.set(all.data.subarray(row * all.cols, (row + 1) * all.cols), i * all.cols),
  );
  return m;
}

/** Pearson correlation of two series. */
function pearson(x: number[], y: number[]): number {
  const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
  const [mx, my] = [mean(x), mean(y)];
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Pearson correlation of columns a and b of a matrix. */
function correlation(m: Matrix, a: number, b: number): number {
  const column = (j: number) => Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j]);
  return pearson(column(a), column(b));
}

describe("feature encoder", () => {
  it("leaves out columns that are constant in the training records, and keeps their varying missing indicator", () => {
    const records: RawRecord[] = Array.from({ length: 50 }, (_, i) => ({
      numeric: { varying: i, constant: 3, constantWhenPresent: i % 5 === 0 ? null : 7 },
      categorical: { single: "only", colour: i % 3 ? "red" : "blue" },
    }));
    const names = fitEncoder(columnsOf(records)).map((f) => f.name);
    expect(names).toEqual(["constantWhenPresent missing", "varying", "colour=blue"]);
    const x = encode(columnsOf(records), fitEncoder(columnsOf(records)));
    // Every encoded column varies.
    for (let j = 0; j < x.cols; j++) {
      const column = Array.from({ length: x.rows }, (_, i) => x.data[i * x.cols + j]);
      expect(Math.max(...column)).toBeGreaterThan(Math.min(...column));
    }
  });

  it("encodes a two-valued categorical as one column, its rarer value, the other one represented at r = -1", () => {
    const records: RawRecord[] = Array.from({ length: 60 }, (_, i) => ({
      numeric: { x: i },
      categorical: {
        plan: i % 4 === 0 ? "pro" : "basic",
        // A tie: the later by name is kept.
        side: i % 2 ? "left" : "right",
        // Two values and missing: three categories, all kept.
        tier: i % 3 === 0 ? null : i % 3 === 1 ? "gold" : "silver",
      },
    }));
    const encoder = fitEncoder(columnsOf(records));
    expect(encoder.map((f) => [f.name, f.represents])).toEqual([
      ["x", []],
      ["plan=pro", [{ name: "plan=basic", correlation: -1 }]],
      ["side=right", [{ name: "side=left", correlation: -1 }]],
      ["tier=(missing)", []],
      ["tier=gold", []],
      ["tier=silver", []],
    ]);
    const x = encode(columnsOf(records), encoder);
    // The kept column is the standardised indicator of "pro": 1 exactly for the pro customers.
    const pro = Array.from({ length: x.rows }, (_, i) => x.data[i * x.cols + 1]);
    const share = 15 / 60;
    const [one, zero] = [
      (1 - share) / Math.sqrt(share * (1 - share)),
      -share / Math.sqrt(share * (1 - share)),
    ];
    expect(pro).toEqual(records.map((r) => (r.categorical.plan === "pro" ? one : zero)));
    // A value the training records never had reads as the represented one would: 0 for "pro".
    const unseen = encode(
      columnsOf([{ numeric: { x: 1 }, categorical: { plan: "enterprise" } }]),
      encoder,
    );
    expect(unseen.data[1]).toBe(zero);
  });

  it("keeps the first of near-duplicate columns (|r| > 0.98) and lists the others with their correlation", () => {
    const random = new SeededRandom(4);
    const records: RawRecord[] = Array.from({ length: 400 }, () => {
      const minutes = 100 + 50 * random.next();
      const other = random.next();
      return {
        numeric: {
          // A duplicate (a flat rate times minutes, r = 1), a near duplicate with the opposite
          // sign (r about -0.995), and one correlated at about 0.9 that stays.
          b_charge: 0.17 * minutes,
          a_minutes: minutes,
          c_remaining: 500 - minutes + 2 * random.next(),
          d_related: minutes + 11 * random.next(),
          e_other: other,
        },
        categorical: { plan: random.next() < 0.3 ? "pro" : "basic" },
      };
    });
    const data = columnsOf(records);
    const encoder = fitEncoder(data);
    expect(encoder.map((f) => f.name)).toEqual(["a_minutes", "d_related", "e_other", "plan=pro"]);
    const minutes = encoder[0].represents;
    expect(minutes.map((r) => r.name)).toEqual(["b_charge", "c_remaining"]);
    expect(minutes[0].correlation).toBeCloseTo(1, 12);
    expect(minutes[1].correlation).toBeLessThan(-COLLINEAR);
    // The reported correlation is Pearson's on the training records (which standardising, an
    // affine map, leaves as it is on the raw values).
    const raw = (name: string) => records.map((r) => r.numeric[name]!);
    expect(minutes[1].correlation).toBeCloseTo(pearson(raw("a_minutes"), raw("c_remaining")), 12);
    expect(pearson(raw("a_minutes"), raw("d_related"))).toBeGreaterThan(0.8);
    // Every pair of kept columns correlates below the bound.
    const x = encode(data, encoder);
    for (let a = 0; a < x.cols; a++)
      for (let b = a + 1; b < x.cols; b++)
        expect(Math.abs(correlation(x, a, b))).toBeLessThanOrEqual(COLLINEAR);
  });

  it("decides on the training records only", () => {
    const records: RawRecord[] = Array.from({ length: 100 }, (_, i) => ({
      // a and b are equal on the first 80 records and unrelated on the rest.
      numeric: { a: i % 7, b: i < 80 ? i % 7 : (i * 13) % 5, c: i < 80 ? 1 : i },
      categorical: {},
    }));
    const training = Array.from({ length: 80 }, (_, i) => i);
    expect(
      fitEncoder(columnsOf(records), training).map((f) => [
        f.name,
        f.represents.map((r) => r.name),
      ]),
    ).toEqual([["a", ["b"]]]);
    expect(fitEncoder(columnsOf(records)).map((f) => f.name)).toEqual(["a", "b", "c"]);
  });
});
