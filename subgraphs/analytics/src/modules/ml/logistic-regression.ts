import { minimizeLbfgs } from "./lbfgs";
import type { Matrix } from "./matrix";

/** How the penalised log-likelihood is maximised (see {@link fitLogistic}). */
export type LogisticSolver = "newton" | "lbfgs";

export interface LogisticModel {
  intercept: number;
  /** One weight per column of the training matrix. */
  weights: Float64Array;
  /** Newton steps, or L-BFGS iterations. */
  iterations: number;
  solver: LogisticSolver;
}

export interface LogisticOptions {
  /** L2 penalty on the weights (not the intercept), as scikit-learn's 1 / C. @default 1 */
  l2?: number;
  /** @default 100 Newton steps, 2000 L-BFGS iterations */
  maxIterations?: number;
  /**
   * Newton: stop when the largest step is below this. L-BFGS: when the largest gradient component
   * of the penalised log-likelihood, divided by the rows, is below this. @default 1e-8 (Newton),
   * 1e-10 (L-BFGS)
   */
  tolerance?: number;
  /**
   * "auto" takes Newton's method up to {@link LBFGS_FROM_FEATURES} - 1 columns, L-BFGS from there
   * on. @default "auto"
   */
  solver?: LogisticSolver | "auto";
}

/**
 * From this many columns on, "auto" fits with L-BFGS: a Newton step costs n x p^2 / 2 operations
 * for the Hessian, an L-BFGS iteration about 2 n x p, and Newton's fewer steps no longer make up
 * for that (docs/MODEL-QUALITY.md times both at 100,000 x 30 and x 100).
 */
export const LBFGS_FROM_FEATURES = 40;

/**
 * L2-regularised logistic regression: maximises the penalised log-likelihood (the intercept
 * unpenalised), the objective of scikit-learn's `LogisticRegression(C=1/l2)`. `y` holds 0 or 1.
 * Newton's method (iteratively reweighted least squares) reaches the optimum in a few exact steps,
 * each O(n p^2); L-BFGS ({@link minimizeLbfgs}) takes more steps of O(n p) each, so it is the one
 * for many columns.
 */
export function fitLogistic(
  x: Matrix,
  y: ArrayLike<number>,
  options: LogisticOptions = {},
): LogisticModel {
  const solver =
    options.solver === undefined || options.solver === "auto"
      ? x.cols >= LBFGS_FROM_FEATURES
        ? "lbfgs"
        : "newton"
      : options.solver;
  return solver === "lbfgs" ? fitLbfgs(x, y, options) : fitNewton(x, y, options);
}

/**
 * The penalised negative log-likelihood at `beta` (intercept first) and its gradient (written into
 * `gradient`): one pass over the rows.
 */
export function logisticLoss(
  x: Matrix,
  y: ArrayLike<number>,
  l2: number,
  beta: Float64Array,
  gradient: Float64Array,
): number {
  const n = x.rows;
  const cols = x.cols;
  const data = x.data;
  const intercept = beta[0];
  let loss = 0;
  gradient.fill(0);
  let interceptGradient = 0;
  for (let i = 0; i < n; i++) {
    const offset = i * cols;
    let z = intercept;
    for (let j = 0; j < cols; j++) z += beta[j + 1] * data[offset + j];
    // log(1 + e^-|z|) once gives both the loss and the probability, without overflow.
    const e = Math.exp(-Math.abs(z));
    const mu = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    const softplus = Math.log1p(e);
    // -log P(y | z): log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0.
    loss += y[i] === 1 ? (z >= 0 ? softplus : softplus - z) : z >= 0 ? softplus + z : softplus;
    const r = mu - y[i];
    interceptGradient += r;
    for (let j = 0; j < cols; j++) gradient[j + 1] += r * data[offset + j];
  }
  gradient[0] = interceptGradient;
  for (let j = 1; j <= cols; j++) {
    loss += 0.5 * l2 * beta[j] * beta[j];
    gradient[j] += l2 * beta[j];
  }
  return loss;
}

function fitLbfgs(x: Matrix, y: ArrayLike<number>, options: LogisticOptions): LogisticModel {
  const l2 = options.l2 ?? 1;
  const result = minimizeLbfgs(
    (beta, gradient) => logisticLoss(x, y, l2, beta, gradient),
    new Float64Array(x.cols + 1),
    {
      gradientTolerance: (options.tolerance ?? 1e-10) * Math.max(1, x.rows),
      maxIterations: options.maxIterations ?? 2000,
    },
  );
  return {
    intercept: result.x[0],
    weights: result.x.slice(1),
    iterations: result.iterations,
    solver: "lbfgs",
  };
}

/** Newton's method; once the steps are small, the last Hessian is reused (see below). */
function fitNewton(x: Matrix, y: ArrayLike<number>, options: LogisticOptions): LogisticModel {
  const n = x.rows;
  const p = x.cols + 1; // intercept first
  const l2 = options.l2 ?? 1;
  const tolerance = options.tolerance ?? 1e-8;
  const beta = new Float64Array(p);
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  const row = new Float64Array(p);
  // The Hessian costs n p^2 / 2 multiply-adds, the gradient n p. Near the optimum the Hessian
  // barely changes, so once the steps are small it is kept (a simplified Newton step) for as long
  // as each step at least halves the previous one; otherwise it is computed afresh.
  let factor: Float64Array | undefined;
  let previousStep = Infinity;
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 100); iterations++) {
    const refresh = !factor || previousStep > 0.25;
    gradient.fill(0);
    if (refresh) hessian.fill(0);
    for (let i = 0; i < n; i++) {
      row[0] = 1;
      for (let j = 1; j < p; j++) row[j] = x.data[i * x.cols + j - 1];
      let z = 0;
      for (let j = 0; j < p; j++) z += beta[j] * row[j];
      const mu = sigmoid(z);
      const r = y[i] - mu;
      for (let a = 0; a < p; a++) gradient[a] += r * row[a];
      if (!refresh) continue;
      const w = Math.max(mu * (1 - mu), 1e-12);
      for (let a = 0; a < p; a++) {
        const wa = w * row[a];
        for (let b = 0; b <= a; b++) hessian[a * p + b] += wa * row[b];
      }
    }
    for (let j = 1; j < p; j++) gradient[j] -= l2 * beta[j];
    if (refresh) {
      for (let a = 0; a < p; a++)
        for (let b = 0; b < a; b++) hessian[b * p + a] = hessian[a * p + b];
      for (let j = 1; j < p; j++) hessian[j * p + j] += l2;
      factor = cholesky(hessian, p);
    }
    const step = solveCholesky(factor!, gradient, p);
    let largest = 0;
    for (let j = 0; j < p; j++) {
      beta[j] += step[j];
      largest = Math.max(largest, Math.abs(step[j]));
    }
    if (largest < tolerance) {
      iterations++;
      break;
    }
    // A kept Hessian that no longer halves the step is stale: refresh it next time.
    previousStep = !refresh && largest > previousStep / 2 ? Infinity : largest;
  }
  return { intercept: beta[0], weights: beta.slice(1), iterations, solver: "newton" };
}

/** The log-odds of y = 1 for each row: intercept + weights . row. */
export function predictLogOdds(model: LogisticModel, x: Matrix): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let z = model.intercept;
    for (let j = 0; j < x.cols; j++) z += model.weights[j] * x.data[i * x.cols + j];
    out[i] = z;
  }
  return out;
}

/** P(y = 1) for each row. */
export function predictProbabilities(model: LogisticModel, x: Matrix): Float64Array {
  return predictLogOdds(model, x).map(sigmoid);
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * The Cholesky factor L (A = L L') of a symmetric positive definite A, with a small ridge if
 * needed.
 */
function cholesky(a: Float64Array, p: number): Float64Array {
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-10 : ridge * 100) {
    const l = new Float64Array(p * p);
    let ok = true;
    for (let i = 0; i < p && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = a[i * p + j] + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) sum -= l[i * p + k] * l[j * p + k];
        if (i === j) {
          if (sum <= 0) {
            ok = false;
            break;
          }
          l[i * p + i] = Math.sqrt(sum);
        } else {
          l[i * p + j] = sum / l[j * p + j];
        }
      }
    }
    if (ok) return l;
    if (ridge > 1) throw new Error("The Hessian is not positive definite even with a ridge.");
  }
}

/** Solves L L' s = g. */
function solveCholesky(l: Float64Array, g: Float64Array, p: number): Float64Array {
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let sum = g[i];
    for (let k = 0; k < i; k++) sum -= l[i * p + k] * z[k];
    z[i] = sum / l[i * p + i];
  }
  const s = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let sum = z[i];
    for (let k = i + 1; k < p; k++) sum -= l[k * p + i] * s[k];
    s[i] = sum / l[i * p + i];
  }
  return s;
}
