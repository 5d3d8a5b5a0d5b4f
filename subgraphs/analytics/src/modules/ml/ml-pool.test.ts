import path from "node:path";
import { SeededRandom } from "#kit/random";
import { fitEncodedLogistic } from "./encoded-logistic";
import type { RawColumns } from "./feature-encoder";
import { searchKMeans } from "./kmeans-search";
import { fitLogistic } from "./logistic-regression";
import { fromRows, matrix, type Matrix } from "./matrix";
import { defaultPoolSize, mlWorkerEntry, MlWorkerPool } from "./ml-pool";
import { transferableBuffers } from "./ml-tasks";

const ROOT = path.resolve(__dirname, "../../../../..");

/** Overlapping seeded blobs, as segmentation would see them. */
function blobs(rows: number, seed: number): Matrix {
  const random = new SeededRandom(seed);
  return fromRows(
    Array.from({ length: rows }, (_, i) => [
      (i % 4) * 1.5 + random.next() * 3,
      (i % 3) * 2 + random.next() * 3,
      random.next(),
    ]),
  );
}

/** A seeded logistic data set: y = 1 with probability sigmoid(x . w). */
function logisticData(rows: number, seed: number): { x: Matrix; y: Uint8Array } {
  const random = new SeededRandom(seed);
  const x = matrix(rows, 5);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = -0.5;
    for (let j = 0; j < 5; j++) {
      x.data[i * 5 + j] = random.next() * 4 - 2;
      z += (j - 2) * 0.7 * x.data[i * 5 + j];
    }
    y[i] = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { x, y };
}

/**
 * `value` with its typed arrays as tagged plain arrays, to compare exactly: under jest the arrays a
 * worker sent are of another realm than the test's, which `toEqual` would tell apart.
 */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value))
    return [
      Object.prototype.toString.call(value),
      ...Array.from(value as unknown as ArrayLike<number>),
    ];
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, plain(v)]));
  return value;
}

let pool: MlWorkerPool;

beforeAll(() => {
  pool = new MlWorkerPool({ size: 1, idleMs: 200 });
});

afterAll(() => pool.close());

describe("the ML worker pool", () => {
  it("gives exactly the in-thread result for a seed, with the same progress reports", async () => {
    for (const k of [4, null]) {
      const points = blobs(1_000, 11);
      const inThread: number[] = [];
      const expected = await searchKMeans(points, { k, seed: 5 }, (f) => void inThread.push(f));
      const inWorker: number[] = [];
      const actual = await pool.run(
        "kmeansSearch",
        { points, options: { k, seed: 5 } },
        { onProgress: (f) => void inWorker.push(f) },
      );
      expect(plain(actual)).toEqual(plain(expected));
      expect(actual.result.labels).toHaveLength(1_000);
      expect(inWorker).toEqual(inThread);
      expect(inWorker.length).toBe(k ? 10 : 38);
    }
    const { x, y } = logisticData(2_000, 3);
    const expected = fitLogistic(x, y, { l2: 0.5 });
    const actual = await pool.run("fitLogistic", { x, y, options: { l2: 0.5 } });
    expect(plain(actual)).toEqual(plain(expected));
    expect(plain(actual.weights)).toEqual(["[object Float64Array]", ...expected.weights]);
  });

  it("fits a churn model (encoder, encoded rows, logistic model) as the calling thread does", async () => {
    const random = new SeededRandom(5);
    const size = 600;
    const columns: RawColumns = {
      size,
      numeric: new Map([
        ["recency", Array.from({ length: size }, () => random.next() * 100)],
        ["age", Array.from({ length: size }, (_, i) => (i % 7 ? 20 + random.next() * 50 : null))],
      ]),
      categorical: new Map([
        ["gender", Array.from({ length: size }, (_, i) => (i % 3 ? "f" : i % 5 ? "m" : null))],
      ]),
    };
    const train = Array.from({ length: 480 }, (_, i) => i);
    const labels = Uint8Array.from(train, (i) =>
      (columns.numeric.get("recency")![i] as number) > 40 + random.next() * 30 ? 1 : 0,
    );
    const expected = fitEncodedLogistic({ columns, train, labels, l2: 1 });
    const actual = await pool.run("fitEncodedLogistic", { columns, train, labels, l2: 1 });
    expect(actual.encoder).toEqual(expected.encoder);
    expect(actual.encoder.map((f) => f.name)).toEqual(
      expect.arrayContaining(["recency", "age", "age missing"]),
    );
    expect(plain(actual.all)).toEqual(plain(expected.all));
    expect(actual.all.rows).toBe(size);
    expect(plain(actual.model)).toEqual(plain(expected.model));
    expect(actual.model.weights).toHaveLength(expected.all.cols);
  });

  it("moves the buffers it is told to, copies the rest, and moves the output back", async () => {
    const { x, y } = logisticData(500, 4);
    const expected = fitLogistic(x, y);
    const copied = await pool.run("fitLogistic", { x, y });
    expect(plain(copied)).toEqual(plain(expected));
    expect(x.data.length).toBe(500 * 5);
    const moved = await pool.run("fitLogistic", { x, y }, { transfer: transferableBuffers(x) });
    expect(plain(moved)).toEqual(plain(expected));
    expect(x.data.length).toBe(0); // detached: the data is in the worker now
    expect(y.length).toBe(500);
    // A view into a larger buffer is not moved (the rest of the buffer would go with it).
    const big = new Float64Array(10);
    expect(transferableBuffers({ a: big.subarray(2, 4), b: [big] })).toEqual([big.buffer]);
  });

  it("rejects with the computation's own error class and message", async () => {
    const points = fromRows([[1], [2]]);
    const inThread = await searchKMeans(points, { k: 3, seed: 0 }).catch((e: Error) => e);
    expect(inThread).toBeInstanceOf(TypeError);
    const inWorker = await pool
      .run("kmeansSearch", { points, options: { k: 3, seed: 0 } })
      .catch((e: Error) => e);
    expect(inWorker).toBeInstanceOf(TypeError);
    expect((inWorker as Error).message).toBe((inThread as Error).message);
    expect((inWorker as Error).message).toMatch(/at least k=3 rows, got 2/);
    // The worker survives a failed task.
    const { x, y } = logisticData(100, 1);
    expect(plain(await pool.run("fitLogistic", { x, y }))).toEqual(plain(fitLogistic(x, y)));
  });

  it("rejects an unknown task, an input that cannot be sent, and a failing progress report", async () => {
    await expect(pool.run("nothing" as "fitLogistic", {} as never)).rejects.toThrow(
      "Unknown ML task 'nothing'; known: kmeansSearch, fitEncodedLogistic, fitLogistic.",
    );
    const { x, y } = logisticData(100, 2);
    await expect(
      pool.run("fitLogistic", { x, y, options: { l2: 1, extra: () => 1 } as never }),
    ).rejects.toThrow(/could not be cloned/);
    await expect(
      pool.run(
        "kmeansSearch",
        { points: blobs(300, 1), options: { k: 3, seed: 0 } },
        {
          onProgress: async () => {
            throw new Error("the progress write failed");
          },
        },
      ),
    ).rejects.toThrow("the progress write failed");
  });

  it("runs tasks one at a time on one reused worker, and stops it when idle", async () => {
    const order: string[] = [];
    const { x, y } = logisticData(3_000, 6);
    await Promise.all([
      pool
        .run("kmeansSearch", { points: blobs(3_000, 2), options: { k: null, seed: 1 } })
        .then(() => order.push("kmeans")),
      pool.run("fitLogistic", { x, y }).then(() => order.push("fit")),
    ]);
    expect(order).toEqual(["kmeans", "fit"]);
    expect(pool.workers).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pool.workers).toBe(0);
    expect(plain(await pool.run("fitLogistic", { x, y }))).toEqual(plain(fitLogistic(x, y)));
  });

  it("rejects the running and waiting tasks when closed", async () => {
    const closing = new MlWorkerPool({ size: 1 });
    const running = closing
      .run("kmeansSearch", { points: blobs(20_000, 3), options: { k: null, seed: 1 } })
      .catch((error: Error) => error);
    const waiting = closing.run("fitLogistic", logisticData(100, 1)).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await closing.close();
    expect(String(await running)).toBe(
      "TypeError: The ML worker pool was closed before 'kmeansSearch' finished.",
    );
    expect(String(await waiting)).toBe("TypeError: The ML worker pool is closed.");
    await expect(closing.run("fitLogistic", logisticData(100, 1))).rejects.toThrow(
      "The ML worker pool is closed.",
    );
  });

  it("loads the compiled worker, and says to build when it is missing", async () => {
    expect(mlWorkerEntry()).toBe(
      path.join(ROOT, "dist", "subgraphs", "analytics", "src", "modules", "ml", "ml-worker.js"),
    );
    expect(mlWorkerEntry("/app/dist/x/ml", "/app/dist/x/ml/ml-pool.js")).toBe(
      "/app/dist/x/ml/ml-worker.js",
    );
    const missing = new MlWorkerPool({ entry: "/nowhere/ml-worker.js" });
    await expect(missing.run("fitLogistic", logisticData(50, 1))).rejects.toThrow(
      /ml-worker\.js is missing: run `npm run build`/,
    );
    await missing.close();
  });

  it("keeps one core for the event loop on small machines, and at most two workers", () => {
    expect([1, 2, 3, 4, 16].map((cores) => defaultPoolSize(cores))).toEqual([1, 1, 2, 2, 2]);
  });
});
