import { SeededRandom } from "../../../../shared/src/demo/random";
import { bestThreshold, classificationMetrics, rocAuc, stratifiedSplit } from "./evaluation";
import { kmeans } from "./kmeans";
import { fitLogistic, predictProbabilities } from "./logistic-regression";
import { columnStats, fromRows, standardize } from "./matrix";
import { silhouetteScore } from "./silhouette";

describe("k-means", () => {
  it("finds three well separated clusters exactly", async () => {
    const points = fromRows([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10], [20, 0], [21, 0], [20, 1]]);
    const result = await kmeans(points, { k: 3, seed: 7 });
    const groups = [0, 3, 6].map((start) => new Set([result.labels[start], result.labels[start + 1], result.labels[start + 2]]));
    expect(groups.every((group) => group.size === 1)).toBe(true);
    expect(new Set(groups.map((group) => [...group][0])).size).toBe(3);
    // Each cluster's inertia: 3 points at distance^2 (1/9+1/9)+(1/9+4/9)+(4/9+1/9) = 4/3.
    expect(result.inertia).toBeCloseTo(3 * (4 / 3), 10);
  });

  it("is deterministic for a seed and keeps the best of its restarts", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => [Math.sin(i) * 5 + (i % 3) * 8, Math.cos(i * 1.3) * 5 + (i % 5)]);
    const a = await kmeans(fromRows(rows), { k: 4, seed: 1, restarts: 5 });
    const b = await kmeans(fromRows(rows), { k: 4, seed: 1, restarts: 5 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    const single = await kmeans(fromRows(rows), { k: 4, seed: 1, restarts: 1 });
    expect(a.inertia).toBeLessThanOrEqual(single.inertia);
  });

  it("refuses k larger than the rows", async () => {
    await expect(kmeans(fromRows([[1], [2]]), { k: 3 })).rejects.toThrow(/at least k=3 rows/);
  });
});

describe("silhouette", () => {
  it("matches a hand-computed score", () => {
    // Clusters {0, 1} and {5}: a(0)=1, b(0)=5 -> 0.8; a(1)=1, b(1)=4 -> 0.75; the lone point scores 0.
    const score = silhouetteScore(fromRows([[0], [1], [5]]), Int32Array.from([0, 0, 1]), 2);
    expect(score).toBeCloseTo((0.8 + 0.75 + 0) / 3, 12);
  });

  it("is near 1 for well separated clusters and 0 for one cluster", () => {
    const points = fromRows([[0, 0], [0, 0.1], [100, 100], [100, 100.1]]);
    expect(silhouetteScore(points, Int32Array.from([0, 0, 1, 1]), 2)).toBeGreaterThan(0.99);
    expect(silhouetteScore(points, Int32Array.from([0, 0, 0, 0]), 1)).toBe(0);
  });
});

describe("logistic regression", () => {
  it("recovers known coefficients on a large sample without regularisation", () => {
    // y ~ Bernoulli(sigmoid(-1 + 2 x1 - 0.5 x2)), generated deterministically.
    const generator = new SeededRandom(3);
    const random = () => generator.next();
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x1 = random() * 4 - 2;
      const x2 = random() * 4 - 2;
      rows.push([x1, x2]);
      y.push(random() < 1 / (1 + Math.exp(-(-1 + 2 * x1 - 0.5 * x2))) ? 1 : 0);
    }
    const model = fitLogistic(fromRows(rows), y, { l2: 0 });
    expect(model.intercept).toBeCloseTo(-1, 1);
    expect(model.weights[0]).toBeCloseTo(2, 1);
    expect(model.weights[1]).toBeCloseTo(-0.5, 1);
  });

  it("solves a tiny case to the penalised optimum (gradient zero)", () => {
    const x = fromRows([[0], [1], [2], [3]]);
    const y = [0, 0, 1, 1];
    const model = fitLogistic(x, y, { l2: 1 });
    const p = predictProbabilities(model, x);
    const gradIntercept = y.reduce((s, yi, i) => s + yi - p[i], 0);
    const gradWeight = y.reduce((s, yi, i) => s + (yi - p[i]) * i, 0) - model.weights[0];
    expect(Math.abs(gradIntercept)).toBeLessThan(1e-9);
    expect(Math.abs(gradWeight)).toBeLessThan(1e-9);
  });
});

describe("evaluation", () => {
  it("computes ROC-AUC with ties", () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it("computes accuracy, precision and recall at a threshold, and a Youden threshold", () => {
    expect(classificationMetrics([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], 0.5)).toEqual({ accuracy: 0.5, precision: 0.5, recall: 0.5 });
    expect(bestThreshold([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(0.8);
  });

  it("splits each class in the same proportion, deterministically", () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 0));
    const split = stratifiedSplit(labels, 0.25, 9);
    expect(split.test.filter((i) => labels[i] === 1)).toHaveLength(5);
    expect(split.test).toHaveLength(25);
    expect(stratifiedSplit(labels, 0.25, 9)).toEqual(split);
  });

  it("standardises columns to mean 0 and std 1", () => {
    const m = standardize(fromRows([[1, 10], [3, 10]]));
    expect(Array.from(m.data)).toEqual([-1, 0, 1, 0]);
    expect(Array.from(columnStats(fromRows([[1], [3]])).std)).toEqual([1]);
  });
});
