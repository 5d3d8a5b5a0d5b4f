import { SeededRandom } from "#kit/random";

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative (ties count half), from ranks. NaN when a class is missing.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => scores[a] - scores[b],
  );
  const ranks = new Float64Array(labels.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]] = rank;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      positives++;
      rankSum += ranks[i];
    }
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Accuracy, precision and recall of `score >= threshold` as the positive prediction. */
export function classificationMetrics(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
) {
  let tp = 0,
    fp = 0,
    tn = 0,
    fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold;
    if (predicted && labels[i] === 1) tp++;
    else if (predicted) fp++;
    else if (labels[i] === 1) fn++;
    else tn++;
  }
  return {
    accuracy: labels.length ? (tp + tn) / labels.length : 0,
    precision: tp + fp ? tp / (tp + fp) : 0,
    recall: tp + fn ? tp / (tp + fn) : 0,
  };
}

/** The threshold that maximises Youden's J (recall + specificity - 1) on these scores. */
export function bestThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => scores[b] - scores[a],
  );
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  const negatives = labels.length - positives;
  let tp = 0,
    fp = 0,
    bestJ = -Infinity,
    best = 0.5;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) tp++;
    else fp++;
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    const j = (positives ? tp / positives : 0) - (negatives ? fp / negatives : 0);
    if (j > bestJ) {
      bestJ = j;
      best = scores[order[i]];
    }
  }
  return best;
}

/**
 * A stratified, seeded split: `testShare` of each class goes to the test set. Returns row indexes.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testShare: number,
  seed: number,
): { train: number[]; test: number[] } {
  const random = new SeededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const members = Array.from({ length: labels.length }, (_, i) => i).filter(
      (i) => labels[i] === cls,
    );
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    const cut = Math.round(members.length * testShare);
    test.push(...members.slice(0, cut));
    train.push(...members.slice(cut));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}
