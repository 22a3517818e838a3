/**
 * Classification metrics exactly as scikit-learn defines them, on true labels, predicted labels and
 * class scores (n x classes, row-major). Pure; test/engine/metrics.test.ts checks every function
 * against scikit-learn's own numbers (test/fixtures/metrics/make_metrics.py).
 *
 * - precision / recall / F1 with average='macro': the unweighted mean over the labels that occur in
 *   y_true or y_pred (sklearn's unique_labels), a 0/0 counting as 0 (sklearn's zero_division default).
 * - ROC AUC: binary (the positive class's score), or one-vs-rest with the macro average over classes
 *   (multi_class='ovr'); NaN where sklearn refuses (a class missing from y_true).
 * - top-k accuracy: the true class among the k highest scores, ties going to the higher class index
 *   (sklearn's stable argsort, reversed); for two classes a score above 0.5 predicts the positive one.
 */

export interface ClassScores {
  /** Number of classes (columns of `p`). */
  classes: number;
  /** Row-major n x classes: each row's class probabilities. */
  p: Float64Array;
}

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

interface LabelCounts {
  tp: number;
  /** Samples predicted as the label. */
  predicted: number;
  /** Samples whose true class is the label. */
  actual: number;
}

/** Per label present in y_true or y_pred: true positives, predicted and actual counts. */
function labelCounts(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): LabelCounts[] {
  const counts = new Map<number, LabelCounts>();
  const at = (label: number) => {
    let c = counts.get(label);
    if (!c) counts.set(label, (c = { tp: 0, predicted: 0, actual: 0 }));
    return c;
  };
  for (let i = 0; i < yTrue.length; i++) {
    at(yTrue[i]).actual++;
    at(yPred[i]).predicted++;
    if (yTrue[i] === yPred[i]) at(yTrue[i]).tp++;
  }
  return [...counts.values()];
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function precisionMacro(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return mean(labelCounts(yTrue, yPred).map((c) => ratio(c.tp, c.predicted)));
}

export function recallMacro(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return mean(labelCounts(yTrue, yPred).map((c) => ratio(c.tp, c.actual)));
}

/** F1 per label from its precision and recall (sklearn's formula), 0 where both are 0. */
export function f1Macro(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return mean(
    labelCounts(yTrue, yPred).map((c) => {
      const p = ratio(c.tp, c.predicted);
      const r = ratio(c.tp, c.actual);
      return p + r === 0 ? 0 : (2 * p * r) / (p + r);
    }),
  );
}

/**
 * Area under the ROC curve of one binary problem: the probability that a random positive scores
 * above a random negative, ties counting one half (what sklearn's trapezoids over roc_curve add up
 * to). NaN when y holds one class only.
 */
export function binaryRocAuc(positive: ArrayLike<boolean>, score: ArrayLike<number>): number {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let nPos = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && score[order[end + 1]] === score[order[start]]) end++;
    const midRank = (start + end) / 2 + 1; // average 1-based rank of a run of ties
    for (let i = start; i <= end; i++) {
      if (positive[order[i]]) {
        nPos++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** roc_auc_score: binary on the positive class's column, else one-vs-rest averaged over the classes. */
export function rocAuc(yTrue: ArrayLike<number>, s: ClassScores): number {
  const column = (c: number) => Float64Array.from({ length: yTrue.length }, (_, i) => s.p[i * s.classes + c]);
  const isClass = (c: number) => Array.from({ length: yTrue.length }, (_, i) => yTrue[i] === c);
  if (s.classes === 2) return binaryRocAuc(isClass(1), column(1));
  const per = Array.from({ length: s.classes }, (_, c) => binaryRocAuc(isClass(c), column(c)));
  return per.some(Number.isNaN) ? NaN : mean(per);
}

/** top_k_accuracy_score with labels 0..classes-1. */
export function topKAccuracy(yTrue: ArrayLike<number>, s: ClassScores, k: number): number {
  const C = s.classes;
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    if (C === 2) {
      hits += k >= 2 || (s.p[i * C + 1] > 0.5 ? 1 : 0) === t ? 1 : 0;
      continue;
    }
    // the classes ranked above t: a higher score, or an equal score and a higher index
    const st = s.p[i * C + t];
    let above = 0;
    for (let c = 0; c < C; c++) {
      const sc = s.p[i * C + c];
      if (sc > st || (sc === st && c > t)) above++;
    }
    if (above < k) hits++;
  }
  return hits / yTrue.length;
}
