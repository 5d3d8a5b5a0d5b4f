import { SeededRandom } from "#kit/random";
import { bestThreshold, classificationMetrics, rocAuc, stratifiedSplit } from "./evaluation";
import { kmeans, kmeansPlusPlus } from "./kmeans";
import { minimizeLbfgs } from "./lbfgs";
import {
  fitLogistic,
  LBFGS_FROM_FEATURES,
  logisticLoss,
  predictProbabilities,
} from "./logistic-regression";
import { columnStats, fromRows, squaredDistance, standardize, type Matrix } from "./matrix";
import { silhouetteScore } from "./silhouette";

describe("k-means", () => {
  it("finds three well separated clusters exactly", async () => {
    const points = fromRows([
      [0, 0],
      [0, 1],
      [1, 0],
      [10, 10],
      [10, 11],
      [11, 10],
      [20, 0],
      [21, 0],
      [20, 1],
    ]);
    const result = await kmeans(points, { k: 3, seed: 7 });
    const groups = [0, 3, 6].map(
      (start) =>
        new Set([result.labels[start], result.labels[start + 1], result.labels[start + 2]]),
    );
    expect(groups.every((group) => group.size === 1)).toBe(true);
    expect(new Set(groups.map((group) => [...group][0])).size).toBe(3);
    // Each cluster's inertia: 3 points at distance^2 (1/9+1/9)+(1/9+4/9)+(4/9+1/9) = 4/3.
    expect(result.inertia).toBeCloseTo(3 * (4 / 3), 10);
  });

  it("is deterministic for a seed and keeps the best of its restarts", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => [
      Math.sin(i) * 5 + (i % 3) * 8,
      Math.cos(i * 1.3) * 5 + (i % 5),
    ]);
    const a = await kmeans(fromRows(rows), { k: 4, seed: 1, restarts: 5 });
    const b = await kmeans(fromRows(rows), { k: 4, seed: 1, restarts: 5 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    const single = await kmeans(fromRows(rows), { k: 4, seed: 1, restarts: 1 });
    expect(a.inertia).toBeLessThanOrEqual(single.inertia);
  });

  it("gives plain Lloyd's result (the bounds only skip work), with every row at its nearest centroid", async () => {
    // Overlapping blobs, so that many rows sit near a boundary and the bounds are tested hard.
    const generator = new SeededRandom(11);
    const rows = Array.from({ length: 4_000 }, (_, i) => [
      (i % 4) * 1.5 + generator.next() * 3,
      (i % 3) * 2 + generator.next() * 3,
      generator.next(),
    ]);
    const points = fromRows(rows);
    for (const k of [2, 5, 9]) {
      const result = await kmeans(points, { k, seed: 3, restarts: 1 });
      const reference = plainLloyd(
        points,
        kmeansPlusPlus(points, k, new SeededRandom(3)).data,
        k,
        300,
        1e-4,
      );
      expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
      expect(result.iterations).toBe(reference.iterations);
      expect(Math.abs(result.inertia - reference.inertia) / reference.inertia).toBeLessThan(1e-12);
      let inertia = 0;
      for (let i = 0; i < points.rows; i++) {
        const distances = Array.from({ length: k }, (_, c) =>
          squaredDistance(points, i, result.centroids, c),
        );
        expect(distances[result.labels[i]]).toBe(Math.min(...distances));
        inertia += distances[result.labels[i]];
      }
      expect(result.inertia).toBeCloseTo(inertia, 8);
    }
  });

  it("refuses k larger than the rows", async () => {
    await expect(kmeans(fromRows([[1], [2]]), { k: 3 })).rejects.toThrow(/at least k=3 rows/);
  });
});

/** Textbook Lloyd (every distance, every iteration), stopping as kmeans does. */
function plainLloyd(
  points: Matrix,
  initial: Float64Array,
  k: number,
  maxIterations: number,
  tol: number,
) {
  const { rows, cols, data } = points;
  const centroids = { rows: k, cols, data: Float64Array.from(initial) };
  const labels = new Int32Array(rows).fill(-1);
  let variance = 0;
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += data[i * cols + j] / rows;
    for (let i = 0; i < rows; i++) variance += (data[i * cols + j] - mean) ** 2 / rows / cols;
  }
  const nearest = () => {
    let changed = 0;
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let c = 1; c < k; c++)
        if (squaredDistance(points, i, centroids, c) < squaredDistance(points, i, centroids, best))
          best = c;
      if (labels[i] !== best) changed++;
      labels[i] = best;
    }
    return changed;
  };
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (nearest() === 0) {
      iterations++;
      break;
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      const members = Array.from(labels.keys()).filter((i) => labels[i] === c);
      for (let j = 0; j < cols; j++) {
        const next = members.reduce((sum, i) => sum + data[i * cols + j], 0) / members.length;
        shift += (next - centroids.data[c * cols + j]) ** 2;
        centroids.data[c * cols + j] = next;
      }
    }
    if (shift <= tol * variance) {
      iterations++;
      break;
    }
  }
  nearest();
  let inertia = 0;
  for (let i = 0; i < rows; i++) inertia += squaredDistance(points, i, centroids, labels[i]);
  return { labels, inertia, iterations };
}

describe("silhouette", () => {
  it("matches a hand-computed score", () => {
    // Clusters {0, 1} and {5}: a(0)=1, b(0)=5 -> 0.8; a(1)=1, b(1)=4 -> 0.75; the lone point scores
    // 0.
    const score = silhouetteScore(fromRows([[0], [1], [5]]), Int32Array.from([0, 0, 1]), 2);
    expect(score).toBeCloseTo((0.8 + 0.75 + 0) / 3, 12);
  });

  it("matches the definition computed pair by pair, exactly and on a seeded sample", () => {
    const generator = new SeededRandom(5);
    const rows = Array.from({ length: 300 }, () => [generator.next() * 4, generator.next() * 4]);
    const labels = Int32Array.from(rows, ([x, y]) => (x < 1.5 ? 0 : y < 2 ? 1 : 2));
    const reference = (indexes: number[]) => {
      let total = 0;
      for (const i of indexes) {
        const mean = (c: number) => {
          const others = indexes.filter((j) => j !== i && labels[j] === c);
          return (
            others.reduce(
              (s, j) => s + Math.hypot(rows[i][0] - rows[j][0], rows[i][1] - rows[j][1]),
              0,
            ) / others.length
          );
        };
        const a = mean(labels[i]);
        const b = Math.min(...[0, 1, 2].filter((c) => c !== labels[i]).map(mean));
        total += (b - a) / Math.max(a, b);
      }
      return total / indexes.length;
    };
    const points = fromRows(rows);
    expect(silhouetteScore(points, labels, 3, 1_000)).toBeCloseTo(
      reference(rows.map((_, i) => i)),
      12,
    );
    // A sample of 100: the first 100 of a seeded Fisher-Yates shuffle.
    const order = rows.map((_, i) => i);
    const random = new SeededRandom(4);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    expect(silhouetteScore(points, labels, 3, 100, 4)).toBeCloseTo(
      reference(order.slice(0, 100)),
      12,
    );
  });

  it("is near 1 for well separated clusters and 0 for one cluster", () => {
    const points = fromRows([
      [0, 0],
      [0, 0.1],
      [100, 100],
      [100, 100.1],
    ]);
    expect(silhouetteScore(points, Int32Array.from([0, 0, 1, 1]), 2)).toBeGreaterThan(0.99);
    expect(silhouetteScore(points, Int32Array.from([0, 0, 0, 0]), 1)).toBe(0);
  });
});

/** Rows of uniform features, every fourth one sharing a common part, and labels from a logistic model. */
function correlatedSet(n: number, p: number): { rows: number[][]; y: number[] } {
  const generator = new SeededRandom(8);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const base = generator.next() * 2 - 1;
    const row = Array.from({ length: p }, (_, j) =>
      j % 4 === 0 ? base + 0.1 * generator.next() : generator.next() * 2 - 1,
    );
    rows.push(row);
    const z = -0.5 + row.reduce((s, v, j) => s + (j % 3 === 0 ? 0.8 : -0.2) * v, 0);
    y.push(generator.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
  }
  return { rows, y };
}

describe("L-BFGS", () => {
  it("minimises the Rosenbrock function from the textbook start", () => {
    const rosenbrock = (x: Float64Array, gradient: Float64Array) => {
      const [a, b] = [x[0], x[1]];
      gradient[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      gradient[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const result = minimizeLbfgs(rosenbrock, [-1.2, 1], { gradientTolerance: 1e-10 });
    expect(result.stop).toBe("gradient");
    expect(result.x[0]).toBeCloseTo(1, 8);
    expect(result.x[1]).toBeCloseTo(1, 8);
    expect(result.iterations).toBeLessThan(100);
  });

  it("minimises a badly scaled quadratic exactly, and says when it ran out of iterations", () => {
    const scales = [1, 10, 100, 1_000, 10_000];
    const quadratic = (x: Float64Array, gradient: Float64Array) => {
      let value = 0;
      for (let j = 0; j < x.length; j++) {
        gradient[j] = scales[j] * (x[j] - j);
        value += 0.5 * scales[j] * (x[j] - j) ** 2;
      }
      return value;
    };
    const result = minimizeLbfgs(quadratic, new Float64Array(5), { gradientTolerance: 1e-9 });
    expect(result.stop).toBe("gradient");
    result.x.forEach((v, j) => expect(v).toBeCloseTo(j, 9));
    expect(result.gradientMax).toBeLessThanOrEqual(1e-9);
    const short = minimizeLbfgs(quadratic, new Float64Array(5), {
      gradientTolerance: 1e-9,
      maxIterations: 2,
    });
    expect([short.stop, short.iterations]).toEqual(["iterations", 2]);
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

  it.each(["newton", "lbfgs"] as const)(
    "reaches the penalised optimum with many correlated features (gradient zero) with %s",
    (solver) => {
      const { rows, y } = correlatedSet(3_000, 40);
      const x = fromRows(rows);
      const model = fitLogistic(x, y, { l2: 1, solver });
      expect(model.solver).toBe(solver);
      const prob = predictProbabilities(model, x);
      let largest = Math.abs(y.reduce((s, yi, i) => s + yi - prob[i], 0));
      for (let j = 0; j < rows[0].length; j++) {
        const g = y.reduce((s, yi, i) => s + (yi - prob[i]) * rows[i][j], 0) - model.weights[j];
        largest = Math.max(largest, Math.abs(g));
      }
      expect(largest).toBeLessThan(1e-6);
    },
  );

  it("gives the same model with L-BFGS as with Newton's method, and picks L-BFGS for many columns", () => {
    const { rows, y } = correlatedSet(2_000, 60);
    const x = fromRows(rows);
    const newton = fitLogistic(x, y, { l2: 1, solver: "newton" });
    const lbfgs = fitLogistic(x, y, { l2: 1, solver: "lbfgs" });
    expect(Math.abs(lbfgs.intercept - newton.intercept)).toBeLessThan(1e-7);
    for (let j = 0; j < x.cols; j++)
      expect(Math.abs(lbfgs.weights[j] - newton.weights[j])).toBeLessThan(1e-7);
    // The same objective at both, to rounding.
    const at = (m: typeof newton) =>
      logisticLoss(x, y, 1, Float64Array.from([m.intercept, ...m.weights]), new Float64Array(61));
    expect(at(lbfgs)).toBeCloseTo(at(newton), 8);
    expect(fitLogistic(x, y).solver).toBe("lbfgs");
    const narrow = fromRows(rows.map((row) => row.slice(0, LBFGS_FROM_FEATURES - 1)));
    expect(fitLogistic(narrow, y).solver).toBe("newton");
    expect(
      fitLogistic(fromRows(rows.map((row) => row.slice(0, LBFGS_FROM_FEATURES))), y).solver,
    ).toBe("lbfgs");
  });

  it("computes the penalised negative log-likelihood and its gradient", () => {
    const x = fromRows([
      [0.5, -1],
      [2, 0],
      [-1, 3],
    ]);
    const y = [1, 0, 1];
    const beta = Float64Array.from([0.2, -0.7, 0.4]);
    const gradient = new Float64Array(3);
    const loss = logisticLoss(x, y, 2, beta, gradient);
    // Directly from the definition.
    let expected = 0.5 * 2 * (0.7 ** 2 + 0.4 ** 2);
    const g = [0, 2 * -0.7, 2 * 0.4];
    for (let i = 0; i < 3; i++) {
      const z = 0.2 - 0.7 * x.data[2 * i] + 0.4 * x.data[2 * i + 1];
      const p = 1 / (1 + Math.exp(-z));
      expected -= y[i] ? Math.log(p) : Math.log(1 - p);
      g[0] += p - y[i];
      g[1] += (p - y[i]) * x.data[2 * i];
      g[2] += (p - y[i]) * x.data[2 * i + 1];
    }
    expect(loss).toBeCloseTo(expected, 12);
    for (let j = 0; j < 3; j++) expect(gradient[j]).toBeCloseTo(g[j], 12);
    // No overflow far from the optimum.
    expect(
      Number.isFinite(logisticLoss(x, y, 0, Float64Array.from([0, 800, -800]), gradient)),
    ).toBe(true);
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
    expect(classificationMetrics([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], 0.5)).toEqual({
      accuracy: 0.5,
      precision: 0.5,
      recall: 0.5,
    });
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
    const m = standardize(
      fromRows([
        [1, 10],
        [3, 10],
      ]),
    );
    expect(Array.from(m.data)).toEqual([-1, 0, 1, 0]);
    expect(Array.from(columnStats(fromRows([[1], [3]])).std)).toEqual([1]);
  });
});
