import { SeededRandom } from "#kit/random";
import { matrix, type Matrix } from "./matrix";

export interface KMeansOptions {
  k: number;
  /** Independent k-means++ starts; the one with the lowest inertia is kept. @default 10 */
  restarts?: number;
  /** @default 300 */
  maxIterations?: number;
  /**
   * Stop when the centroids' total squared shift is at most this times the mean variance of the
   * features (scikit-learn's relative `tol`), or when no row changes cluster. @default 1e-4
   */
  tolerance?: number;
  seed?: number;
  /** Called between restarts; awaiting it lets other work run (see {@link kmeans}). */
  onRestart?: (done: number, total: number) => Promise<void> | void;
}

export interface KMeansResult {
  centroids: Matrix;
  /** The cluster of each row. */
  labels: Int32Array;
  /** Sum of squared distances of rows to their centroid. */
  inertia: number;
  iterations: number;
}

/**
 * k-means (Lloyd's algorithm) with k-means++ initialisation and several restarts, keeping the
 * lowest inertia, as scikit-learn's `KMeans(n_init=...)` does. Deterministic for a seed. An empty
 * cluster is re-seeded with the row farthest from its centroid.
 *
 * Each Lloyd iteration is one pass over the rows that assigns them and sums the new centroids.
 * Hamerly's bounds (an upper bound on each row's distance to its centroid, a lower bound on its
 * distance to every other one) let that pass skip the distance computations of rows that cannot
 * have changed cluster. The bounds are kept with a relative safety margin far above rounding
 * error, so a row is skipped only when plain Lloyd would certainly keep it where it is: the
 * labels, centroids and inertia are those of plain Lloyd, only cheaper to get.
 */
export async function kmeans(points: Matrix, options: KMeansOptions): Promise<KMeansResult> {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new TypeError(`k must be a positive integer, got ${k}.`);
  if (points.rows < k)
    throw new TypeError(`k-means needs at least k=${k} rows, got ${points.rows}.`);
  const restarts = options.restarts ?? 10;
  const random = new SeededRandom(options.seed ?? 0);
  const tolerance = (options.tolerance ?? 1e-4) * meanVariance(points);
  const maxIterations = options.maxIterations ?? 300;
  const workspace = new Workspace(points.rows, k, points.cols);
  let best: KMeansResult | undefined;
  for (let r = 0; r < restarts; r++) {
    const result = lloyd(
      points,
      kmeansPlusPlus(points, k, random, workspace),
      maxIterations,
      tolerance,
      workspace,
    );
    if (!best || result.inertia < best.inertia) best = result;
    await options.onRestart?.(r + 1, restarts);
  }
  return best!;
}

/** Buffers shared by the restarts of one {@link kmeans} call, so the hot loops allocate nothing. */
class Workspace {
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly closest: Float64Array;
  readonly trial: Float64Array;
  readonly bestTrial: Float64Array;
  readonly previous: Float64Array;
  readonly sums: Float64Array;
  readonly counts: Int32Array;
  readonly moved: Float64Array;
  readonly upperDrift: Float64Array;
  readonly lowerDrift: Float64Array;
  readonly upperLoose: Float64Array;
  readonly lowerLoose: Float64Array;
  readonly half: Float64Array;

  constructor(rows: number, k: number, cols: number) {
    this.upper = new Float64Array(rows);
    this.lower = new Float64Array(rows);
    this.closest = new Float64Array(rows);
    this.trial = new Float64Array(rows);
    this.bestTrial = new Float64Array(rows);
    this.previous = new Float64Array(k * cols);
    this.sums = new Float64Array(k * cols);
    this.counts = new Int32Array(k);
    this.moved = new Float64Array(k);
    this.upperDrift = new Float64Array(k);
    this.lowerDrift = new Float64Array(k);
    this.upperLoose = new Float64Array(k);
    this.lowerLoose = new Float64Array(k);
    this.half = new Float64Array(k);
  }
}

/**
 * k-means++: each next centre is drawn with probability proportional to its squared distance to
 * the nearest chosen one, with 2 + log k local trials (the candidate that lowers the total most
 * wins), as scikit-learn does.
 */
export function kmeansPlusPlus(
  points: Matrix,
  k: number,
  random: SeededRandom,
  workspace?: { closest: Float64Array; trial: Float64Array; bestTrial: Float64Array },
): Matrix {
  const { rows, cols } = points;
  const pd = points.data;
  const centroids = matrix(k, cols);
  // Three buffers that swap roles: the squared distance of each row to its nearest chosen centre,
  // the same if the current trial were chosen, and the same for the best trial so far.
  let closest = workspace?.closest ?? new Float64Array(rows);
  let trial = workspace?.trial ?? new Float64Array(rows);
  let bestTrial = workspace?.bestTrial ?? new Float64Array(rows);
  const first = Math.floor(random.next() * rows);
  centroids.data.set(pd.subarray(first * cols, (first + 1) * cols), 0);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const d = distanceToRow(pd, i, first, cols);
    closest[i] = d;
    total += d;
  }
  const trials = 2 + Math.floor(Math.log(k));
  for (let c = 1; c < k; c++) {
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const candidate = sampleRow(closest, random.next() * total);
      const potential = trialPotential(pd, cols, candidate, closest, trial);
      if (potential < bestPotential) {
        bestPotential = potential;
        bestCandidate = candidate;
        const swap = bestTrial;
        bestTrial = trial;
        trial = swap;
      }
    }
    centroids.data.set(pd.subarray(bestCandidate * cols, (bestCandidate + 1) * cols), c * cols);
    // The chosen trial's distances are the new nearest-centre distances, and its potential their
    // total.
    const swap = closest;
    closest = bestTrial;
    bestTrial = swap;
    total = bestPotential;
  }
  return centroids;
}

/**
 * The first row at which the running total of `weights` reaches `target` (the last row if none).
 */
function sampleRow(weights: Float64Array, target: number): number {
  const rows = weights.length;
  for (let i = 0; i < rows; i++) {
    target -= weights[i];
    if (target <= 0) return i;
  }
  return rows - 1;
}

/**
 * The k-means++ potential if row `candidate` became a centre: writes each row's squared distance
 * to its nearest centre then into `out`, and returns their sum.
 */
function trialPotential(
  pd: Float64Array,
  cols: number,
  candidate: number,
  closest: Float64Array,
  out: Float64Array,
): number {
  const rows = closest.length;
  const cb = candidate * cols;
  let potential = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let d = 0;
    for (let j = 0; j < cols; j++) {
      const u = pd[base + j] - pd[cb + j];
      d += u * u;
    }
    const m = d < closest[i] ? d : closest[i];
    out[i] = m;
    potential += m;
  }
  return potential;
}

/** Squared distance between rows `a` and `b` of the same row-major data. */
function distanceToRow(data: Float64Array, a: number, b: number, cols: number): number {
  let d = 0;
  for (let j = 0; j < cols; j++) {
    const t = data[a * cols + j] - data[b * cols + j];
    d += t * t;
  }
  return d;
}

/**
 * The relative margin the bounds keep: an upper bound is inflated and a lower bound deflated by
 * this much, so a row is only skipped when its nearest centroid wins by far more than rounding
 * error (about 1e-16 relative per operation) could ever account for.
 */
const MARGIN = 1e-9;

function lloyd(
  points: Matrix,
  initial: Matrix,
  maxIterations: number,
  tolerance: number,
  workspace: Workspace,
): KMeansResult {
  const { rows, cols } = points;
  const pd = points.data;
  const k = initial.rows;
  const centroids = matrix(k, cols, initial.data);
  const cd = centroids.data;
  const labels = new Int32Array(rows).fill(-1);
  const { previous, sums, counts } = workspace;
  sums.fill(0);
  counts.fill(0);
  workspace.upperDrift.fill(0);
  workspace.lowerDrift.fill(0);
  let iterations = 0;
  // The first pass, and the one after an empty cluster was re-seeded, compute every distance.
  let exact = true;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    const changed = assignmentPass(points, centroids, labels, workspace, exact, true);
    if (changed === 0) {
      iterations++;
      converged = true;
      break;
    }
    previous.set(cd);
    let shift = 0;
    let distances: Float64Array | undefined;
    exact = false;
    for (let c = 0; c < k; c++) {
      // shift: the centroids' total squared movement this iteration.
      if (counts[c] === 0) {
        // Re-seed an empty cluster with the row farthest from its centroid (as it was in this
        // pass).
        distances ??= distancesToOwnCentroid(pd, previous, labels, rows, cols);
        let far = 0;
        for (let i = 1; i < rows; i++) if (distances[i] > distances[far]) far = i;
        cd.set(pd.subarray(far * cols, (far + 1) * cols), c * cols);
        sums.fill(0, c * cols, (c + 1) * cols);
        distances[far] = 0;
        shift = Infinity;
        exact = true;
        continue;
      }
      for (let j = 0; j < cols; j++) {
        const next = sums[c * cols + j] / counts[c];
        shift += (next - cd[c * cols + j]) ** 2;
        cd[c * cols + j] = next;
      }
    }
    addDrift(cd, previous, k, cols, workspace);
    if (shift <= tolerance) {
      iterations++;
      break;
    }
  }
  // The final labels for the final centroids, as a last plain assignment would give them (when no
  // row moved in the last pass, the centroids did not move either and the labels are final).
  if (!converged) assignmentPass(points, centroids, labels, workspace, exact, false);
  return { centroids, labels, inertia: inertiaOf(points, centroids, labels), iterations };
}

/**
 * Adds how far each centroid moved (from `previous` to `cd`) to the bounds' drift: a row's
 * distance to its centroid c can have grown by at most `upperDrift[c]` since it was measured, and
 * its distance to every other centroid shrunk by at most `lowerDrift[c]`.
 */
function addDrift(
  cd: Float64Array,
  previous: Float64Array,
  k: number,
  cols: number,
  workspace: Workspace,
): void {
  const { moved, upperDrift, lowerDrift } = workspace;
  let largest = 0;
  let second = 0;
  let largestMover = -1;
  for (let c = 0; c < k; c++) {
    let d = 0;
    for (let j = 0; j < cols; j++) {
      const t = cd[c * cols + j] - previous[c * cols + j];
      d += t * t;
    }
    const m = Math.sqrt(d) * (1 + MARGIN);
    moved[c] = m;
    if (m > largest) {
      second = largest;
      largest = m;
      largestMover = c;
    } else if (m > second) second = m;
  }
  for (let c = 0; c < k; c++) {
    upperDrift[c] += moved[c];
    lowerDrift[c] += c === largestMover ? second : largest;
  }
}

/** Sum of squared distances of rows to their cluster's centroid. */
function inertiaOf(points: Matrix, centroids: Matrix, labels: Int32Array): number {
  const { rows, cols } = points;
  const pd = points.data;
  const cd = centroids.data;
  let inertia = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    const cb = labels[i] * cols;
    let d = 0;
    for (let j = 0; j < cols; j++) {
      const t = pd[base + j] - cd[cb + j];
      d += t * t;
    }
    inertia += d;
  }
  return inertia;
}

/**
 * One Lloyd assignment: labels each row with its nearest centroid (the first one on ties) and
 * returns how many rows changed cluster; with `accumulate`, moves the rows that changed between
 * the clusters' coordinate sums and counts. Unless `exact`, a row is skipped when its bounds
 * (Hamerly's: an upper bound on the distance to its centroid, a lower bound on the distance to
 * every other one, both loosened by how far the centroids drifted since they were measured)
 * show that its centroid is still the nearest. The bounds are stored net of the drift at the
 * time they were measured, so skipping a row writes nothing.
 */
function assignmentPass(
  points: Matrix,
  centroids: Matrix,
  labels: Int32Array,
  workspace: Workspace,
  exact: boolean,
  accumulate: boolean,
): number {
  const { rows, cols } = points;
  const pd = points.data;
  const cd = centroids.data;
  const k = centroids.rows;
  const { upper, lower, sums, counts, upperDrift, lowerDrift, upperLoose, lowerLoose, half } =
    workspace;
  if (!exact) {
    halfGaps(cd, k, cols, half);
    for (let c = 0; c < k; c++) {
      // The drifts are sums of many terms: loosen them by far more than their rounding error.
      const slack = 1e-10 * (upperDrift[c] + lowerDrift[c]);
      upperLoose[c] = upperDrift[c] + slack;
      lowerLoose[c] = lowerDrift[c] + slack;
    }
  }
  let changed = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let label = labels[i];
    if (!exact) {
      const l = lower[i] - lowerLoose[label];
      const bound = l > half[label] ? l : half[label];
      if (upper[i] + upperLoose[label] < bound) continue;
      // Tighten the upper bound to the exact distance, and test again.
      const cb = label * cols;
      let d = 0;
      for (let j = 0; j < cols; j++) {
        const t = pd[base + j] - cd[cb + j];
        d += t * t;
      }
      const u = Math.sqrt(d) * (1 + MARGIN);
      upper[i] = u - upperDrift[label];
      if (u < bound) continue;
    }
    // Plain Lloyd for this row.
    let best = 0;
    let bestDistance = Infinity;
    let second = Infinity;
    for (let c = 0; c < k; c++) {
      const cb = c * cols;
      let d = 0;
      for (let j = 0; j < cols; j++) {
        const t = pd[base + j] - cd[cb + j];
        d += t * t;
      }
      if (d < bestDistance) {
        second = bestDistance;
        bestDistance = d;
        best = c;
      } else if (d < second) second = d;
    }
    if (label !== best) {
      changed++;
      if (accumulate) {
        // Move the row's coordinates from its old cluster's sums to its new one's.
        const nb = best * cols;
        if (label >= 0) {
          const ob = label * cols;
          counts[label]--;
          for (let j = 0; j < cols; j++) {
            sums[ob + j] -= pd[base + j];
            sums[nb + j] += pd[base + j];
          }
        } else for (let j = 0; j < cols; j++) sums[nb + j] += pd[base + j];
        counts[best]++;
      }
      label = best;
      labels[i] = best;
    }
    upper[i] = Math.sqrt(bestDistance) * (1 + MARGIN) - upperDrift[label];
    lower[i] = Math.sqrt(second) * (1 - MARGIN) + lowerDrift[label];
  }
  return changed;
}

/** Half the distance from each centroid to its nearest other centroid (deflated by the margin). */
function halfGaps(cd: Float64Array, k: number, cols: number, half: Float64Array): void {
  for (let c = 0; c < k; c++) {
    let nearest = Infinity;
    for (let o = 0; o < k; o++) {
      if (o === c) continue;
      let d = 0;
      for (let j = 0; j < cols; j++) {
        const t = cd[c * cols + j] - cd[o * cols + j];
        d += t * t;
      }
      if (d < nearest) nearest = d;
    }
    half[c] = 0.5 * Math.sqrt(nearest) * (1 - MARGIN);
  }
}

function distancesToOwnCentroid(
  pd: Float64Array,
  cd: Float64Array,
  labels: Int32Array,
  rows: number,
  cols: number,
): Float64Array {
  const distances = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    const cb = labels[i] * cols;
    let d = 0;
    for (let j = 0; j < cols; j++) {
      const t = pd[base + j] - cd[cb + j];
      d += t * t;
    }
    distances[i] = d;
  }
  return distances;
}

/**
 * Assigns each row to its nearest centroid; returns the inertia and how many rows changed cluster.
 */
export function assign(
  points: Matrix,
  centroids: Matrix,
  labels: Int32Array,
  distances: Float64Array,
): { inertia: number; changed: number } {
  // One plain assignment pass over every row and every centroid: plain typed-array reads, no calls.
  const pd = points.data;
  const cd = centroids.data;
  const cols = points.cols;
  const k = centroids.rows;
  let inertia = 0;
  let changed = 0;
  for (let i = 0; i < points.rows; i++) {
    const base = i * cols;
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < k; c++) {
      const cb = c * cols;
      let d = 0;
      for (let j = 0; j < cols; j++) {
        const t = pd[base + j] - cd[cb + j];
        d += t * t;
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    if (labels[i] !== best) changed++;
    labels[i] = best;
    distances[i] = bestDistance;
    inertia += bestDistance;
  }
  return { inertia, changed };
}

/** The mean over features of each feature's variance (scikit-learn scales `tol` by it). */
function meanVariance(points: Matrix): number {
  const { rows, cols, data } = points;
  let total = 0;
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += data[i * cols + j];
    mean /= rows;
    let variance = 0;
    for (let i = 0; i < rows; i++) variance += (data[i * cols + j] - mean) ** 2;
    total += variance / rows;
  }
  return total / Math.max(1, cols);
}
