/**
 * Evaluates a smooth function at `x`: returns its value and writes its gradient into `gradient`
 * (same length as `x`).
 */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Stop when the largest gradient component is at most this (in the objective's units). */
  gradientTolerance: number;
  /** Correction pairs kept (the memory of the quasi-Newton approximation). @default 10 */
  memory?: number;
  /** @default 1000 */
  maxIterations?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  /** The largest gradient component at `x`. */
  gradientMax: number;
  iterations: number;
  /** Objective evaluations (each one pass over the data for a sum of per-row losses). */
  evaluations: number;
  /**
   * Why it stopped: the gradient test passed; no step along the search direction lowered the
   * objective beyond rounding error (the precision floor of the objective's arithmetic); or the
   * iteration limit.
   */
  stop: "gradient" | "no-progress" | "iterations";
}

/** Armijo's sufficient-decrease constant. */
const ARMIJO = 1e-4;
/**
 * Relative change of the objective below which two values are taken as equal up to rounding (then
 * a step is judged by the directional derivative instead: Hager and Zhang's approximate Wolfe
 * condition).
 */
const ROUNDING = 1e-12;
/** Step trials per line search before giving up. */
const MAX_TRIALS = 40;

/**
 * Minimises a smooth function with limited-memory BFGS (Nocedal and Wright, Algorithm 7.4: the
 * two-loop recursion over the last `memory` steps, the initial inverse Hessian scaled by s'y / y'y)
 * and a backtracking line search from the unit step (Armijo, or near the optimum, where objective
 * values differ by less than rounding, the approximate Wolfe test on the directional derivative).
 * Each iteration costs O(memory x dimension) besides the evaluations, so a fit whose evaluation is
 * one pass over n rows of p features costs O(n p) per step, not the O(n p^2) of a Hessian.
 * Deterministic: the same start and objective give the same iterates.
 */
export function minimizeLbfgs(
  objective: Objective,
  start: ArrayLike<number>,
  options: LbfgsOptions,
): LbfgsResult {
  const p = start.length;
  const memory = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 1000;
  let x = Float64Array.from(start);
  let gradient = new Float64Array(p);
  let value = objective(x, gradient);
  let evaluations = 1;
  let candidate = new Float64Array(p);
  let candidateGradient = new Float64Array(p);
  const direction = new Float64Array(p);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(memory);
  let iterations = 0;
  let stop: LbfgsResult["stop"] = "iterations";
  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(gradient) <= options.gradientTolerance) {
      stop = "gradient";
      break;
    }
    // direction = -H gradient, by the two-loop recursion.
    for (let j = 0; j < p; j++) direction[j] = -gradient[j];
    for (let k = steps.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(steps[k], direction);
      axpy(-alpha[k], changes[k], direction);
    }
    if (steps.length) {
      const last = steps.length - 1;
      const scale = 1 / (rho[last] * dot(changes[last], changes[last]));
      for (let j = 0; j < p; j++) direction[j] *= scale;
    }
    for (let k = 0; k < steps.length; k++) {
      const beta = rho[k] * dot(changes[k], direction);
      axpy(alpha[k] - beta, steps[k], direction);
    }
    let slope = dot(direction, gradient);
    if (!(slope < 0)) {
      // Not a descent direction (only rounding can do that to a positive definite update): start
      // the memory afresh from steepest descent.
      steps.length = changes.length = rho.length = 0;
      for (let j = 0; j < p; j++) direction[j] = -gradient[j];
      slope = -dot(gradient, gradient);
    }
    // The first step has no curvature to scale it: a unit-length move along -gradient.
    let step = steps.length ? 1 : 1 / Math.sqrt(-slope);
    let accepted = false;
    let candidateValue = value;
    for (let trial = 0; trial < MAX_TRIALS; trial++) {
      for (let j = 0; j < p; j++) candidate[j] = x[j] + step * direction[j];
      candidateValue = objective(candidate, candidateGradient);
      evaluations++;
      const candidateSlope = dot(candidateGradient, direction);
      if (
        candidateValue <= value + ARMIJO * step * slope ||
        (candidateValue <= value + ROUNDING * Math.abs(value) &&
          candidateSlope <= (2 * 0.1 - 1) * slope)
      ) {
        accepted = true;
        break;
      }
      // Past the minimum along the line: where the directional derivative's secant crosses 0,
      // kept within [0.1, 0.5] of the step; otherwise halve.
      step *=
        candidateSlope > 0 && Number.isFinite(candidateSlope)
          ? Math.min(0.5, Math.max(0.1, -slope / (candidateSlope - slope)))
          : 0.5;
    }
    if (!accepted) {
      stop = "no-progress";
      break;
    }
    const s = steps.length === memory ? steps.shift()! : new Float64Array(p);
    const y = changes.length === memory ? changes.shift()! : new Float64Array(p);
    if (rho.length === memory) rho.shift();
    for (let j = 0; j < p; j++) {
      s[j] = candidate[j] - x[j];
      y[j] = candidateGradient[j] - gradient[j];
    }
    const sy = dot(s, y);
    // A pair without positive curvature would make the update indefinite: skip it.
    if (sy > 1e-300 && Number.isFinite(sy)) {
      steps.push(s);
      changes.push(y);
      rho.push(1 / sy);
    }
    [x, candidate] = [candidate, x];
    [gradient, candidateGradient] = [candidateGradient, gradient];
    value = candidateValue;
  }
  if (iterations === maxIterations && maxAbs(gradient) <= options.gradientTolerance)
    stop = "gradient";
  return { x, value, gradientMax: maxAbs(gradient), iterations, evaluations, stop };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += a[j] * b[j];
  return sum;
}

/** y += a x */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let j = 0; j < y.length; j++) y[j] += a * x[j];
}

function maxAbs(a: Float64Array): number {
  let largest = 0;
  for (let j = 0; j < a.length; j++) largest = Math.max(largest, Math.abs(a[j]));
  return largest;
}
