/**
 * K-fold splits with scikit-learn's semantics. Pure: labels in, index arrays out.
 * - KFold: the first n % k folds hold one sample more; shuffle permutes samples first.
 * - StratifiedKFold (sklearn >= 0.22): samples of each class dealt to folds so that every fold holds
 *   each class's share and fold sizes differ by at most one.
 */
import { DataError } from '../errors.js';
import { Rng } from '../rng.js';

export interface Fold {
  /** Sorted training indices. */
  train: Int32Array;
  /** Sorted test indices. */
  test: Int32Array;
}

export interface KFoldOptions {
  folds: number;
  shuffle: boolean;
  seed: number;
}

/** Which test fold each sample belongs to, for plain k-fold. */
export function kfoldAssignment(n: number, { folds, shuffle, seed }: KFoldOptions): Int32Array {
  checkFolds(n, folds);
  const order = shuffle ? new Rng(seed).permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  const out = new Int32Array(n);
  const base = Math.floor(n / folds);
  const extra = n % folds;
  let pos = 0;
  for (let f = 0; f < folds; f++) {
    const size = base + (f < extra ? 1 : 0);
    for (let j = 0; j < size; j++) out[order[pos++]] = f;
  }
  return out;
}

/** Which test fold each sample belongs to, stratified by `labels` (0..nClasses-1). */
export function stratifiedAssignment(labels: ArrayLike<number>, { folds, shuffle, seed }: KFoldOptions): Int32Array {
  const n = labels.length;
  checkFolds(n, folds);
  // sklearn encodes classes in order of first appearance (this decides the round-robin deal)
  const classes = [...new Set(Array.from(labels))];
  const encoded = new Int32Array(n);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) encoded[i] = classIndex.get(labels[i]) as number;
  const counts = new Int32Array(classes.length);
  for (let i = 0; i < n; i++) counts[encoded[i]]++;
  const smallest = Math.min(...counts);
  if (smallest < folds) {
    const cls = classes[counts.indexOf(smallest)];
    throw new DataError(`cv.folds: ${folds} folds need at least ${folds} samples of every class, but class ${cls} has ${smallest}`);
  }
  // sklearn: sort the encoded labels and deal them round-robin to folds; allocation[f][c] = how many
  // samples of class c fold f receives.
  const sorted = Array.from(encoded).sort((a, b) => a - b);
  const allocation = Array.from({ length: folds }, () => new Int32Array(classes.length));
  for (let i = 0; i < n; i++) allocation[i % folds][sorted[i]]++;
  const rng = new Rng(seed);
  const out = new Int32Array(n);
  for (let c = 0; c < classes.length; c++) {
    const foldsForClass: number[] = [];
    for (let f = 0; f < folds; f++) for (let j = 0; j < allocation[f][c]; j++) foldsForClass.push(f);
    if (shuffle) rng.shuffle(foldsForClass);
    let k = 0;
    for (let i = 0; i < n; i++) if (encoded[i] === c) out[i] = foldsForClass[k++];
  }
  return out;
}

/** Turns an assignment (sample -> test fold) into train/test index arrays. */
export function foldsFromAssignment(assignment: Int32Array, folds: number): Fold[] {
  const out: Fold[] = [];
  for (let f = 0; f < folds; f++) {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < assignment.length; i++) (assignment[i] === f ? test : train).push(i);
    out.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return out;
}

export function makeFolds(labels: ArrayLike<number> | null, n: number, opts: KFoldOptions & { stratified: boolean }): Fold[] {
  const assignment = opts.stratified && labels ? stratifiedAssignment(labels, opts) : kfoldAssignment(n, opts);
  return foldsFromAssignment(assignment, opts.folds);
}

/**
 * Keras's validation_split applied to a training fold: the last `fraction` of the fold's samples
 * (in `order`), floor(n * (1 - fraction)) kept for training.
 */
export function holdOut(train: Int32Array, fraction: number, seed: number | null): { fit: Int32Array; validation: Int32Array } {
  if (fraction <= 0) return { fit: train, validation: new Int32Array(0) };
  const order = Int32Array.from(train);
  if (seed !== null) new Rng(seed).shuffle(order);
  const splitAt = Math.floor(order.length * (1 - fraction));
  if (splitAt < 1 || splitAt >= order.length) {
    throw new DataError(`train.validation_split: ${fraction} of a ${order.length}-sample training fold leaves an empty part`);
  }
  return { fit: order.slice(0, splitAt).sort(), validation: order.slice(splitAt).sort() };
}

function checkFolds(n: number, folds: number): void {
  if (!Number.isInteger(folds) || folds < 2) throw new DataError(`cv.folds: must be an integer >= 2, got ${folds}`);
  if (folds > n) throw new DataError(`cv.folds: ${folds} folds need at least ${folds} samples, the data has ${n}`);
}
