/**
 * NAB's windowed Gaussian baseline, written from its description: a row's score is one minus the
 * two-sided tail probability of its value under a normal distribution fitted to a window of
 * earlier values (the first 6400 values, then moved on 100 values at a time). Scored by
 * nab-scoring.ts, it should land on NAB's published 39.6 (standard), which checks the harness.
 */
export function windowedGaussianScores(values: number[]): number[] {
  const windowSize = 6400;
  const stepSize = 100;
  let window: number[] = [];
  let step: number[] = [];
  let mean = 0;
  let std = 1;
  const update = () => {
    mean = window.reduce((sum, x) => sum + x, 0) / window.length;
    std = Math.sqrt(window.reduce((sum, x) => sum + (x - mean) ** 2, 0) / window.length);
    if (std === 0) std = 0.000001;
  };
  return values.map((value) => {
    const score = window.length > 0 ? 1 - upperTail(value, mean, std) : 0;
    if (window.length < windowSize) {
      window.push(value);
      update();
    } else {
      step.push(value);
      if (step.length === stepSize) {
        window = window.slice(stepSize).concat(step);
        step = [];
        update();
      }
    }
    return score;
  });
}

/** P(X > x) for X ~ N(mean, std), mirrored below the mean. */
function upperTail(x: number, mean: number, std: number): number {
  const mirrored = x < mean ? 2 * mean - x : x;
  return 0.5 * erfc((mirrored - mean) / std / Math.SQRT2);
}

/**
 * The complementary error function, to about 1e-15 relative error (W. J. Cody's rational
 * approximations as in Numerical Recipes' erfc via the incomplete gamma continued fraction would
 * also do; this uses the continued fraction for x ≥ 2 and the series otherwise).
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf by its Taylor series: 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)).
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Lentz's continued fraction: erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
