import { describe, expect, it } from 'vitest';
import { holdOut, kfoldAssignment, makeFolds, stratifiedAssignment } from '../../src/cv/kfold.js';
import { DataError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';

const testSets = (labels: number[] | null, n: number, folds: number, shuffle = false, seed = 0, stratified = true) =>
  makeFolds(labels, n, { folds, shuffle, seed, stratified }).map((f) => [...f.test]);

describe('k-fold splits', () => {
  it('matches scikit-learn KFold(4) on 10 samples', () => {
    // sklearn.model_selection.KFold(4).split(np.zeros(10))
    expect(testSets(null, 10, 4)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]);
  });

  it('matches scikit-learn StratifiedKFold without shuffle', () => {
    // StratifiedKFold(3).split(X, [0,0,0,0,1,1,1,1,1,1]) and StratifiedKFold(4) on a 3-class y
    expect(testSets([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], 10, 3)).toEqual([[0, 1, 4, 5], [2, 6, 7], [3, 8, 9]]);
    expect(testSets([2, 0, 1, 1, 0, 2, 2, 1, 0, 0, 1, 2, 2, 2, 0], 15, 4)).toEqual([[0, 1, 2, 5], [3, 4, 6, 11], [7, 8, 9, 12], [10, 13, 14]]);
  });

  function checkPartition(labels: number[], folds: number, shuffle: boolean, seed: number) {
    const n = labels.length;
    const fs = makeFolds(labels, n, { folds, shuffle, seed, stratified: true });
    const seen = new Int32Array(n);
    for (const f of fs) {
      for (const i of f.test) seen[i]++;
      expect(f.train.length + f.test.length).toBe(n);
      const test = new Set(f.test);
      for (const i of f.train) expect(test.has(i)).toBe(false);
    }
    expect([...seen].every((c) => c === 1)).toBe(true); // every sample tested exactly once
    const sizes = fs.map((f) => f.test.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    // class proportions preserved: each class's count per fold differs by at most one
    const classes = [...new Set(labels)];
    for (const c of classes) {
      const perFold = fs.map((f) => [...f.test].filter((i) => labels[i] === c).length);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
  }

  it('partitions random imbalanced labels with stratification, with and without shuffle', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + rng.int(200);
      const labels = Array.from({ length: n }, () => (rng.next() < 0.7 ? 0 : rng.int(4) + 1));
      const folds = 2 + rng.int(4);
      const counts = new Map<number, number>();
      for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
      if (Math.min(...counts.values()) < folds) continue;
      checkPartition(labels, folds, trial % 2 === 0, trial);
    }
  });

  it('gives the same folds for the same seed and different folds for another', () => {
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const a = makeFolds(labels, 300, { folds: 5, shuffle: true, seed: 7, stratified: true });
    const b = makeFolds(labels, 300, { folds: 5, shuffle: true, seed: 7, stratified: true });
    const c = makeFolds(labels, 300, { folds: 5, shuffle: true, seed: 8, stratified: true });
    expect(a.map((f) => [...f.test])).toEqual(b.map((f) => [...f.test]));
    expect(a.map((f) => [...f.test])).not.toEqual(c.map((f) => [...f.test]));
    const k1 = kfoldAssignment(100, { folds: 3, shuffle: true, seed: 1 });
    expect([...kfoldAssignment(100, { folds: 3, shuffle: true, seed: 1 })]).toEqual([...k1]);
  });

  it('refuses a class with fewer samples than folds, naming the class', () => {
    expect(() => stratifiedAssignment([0, 0, 0, 0, 1, 1], { folds: 3, shuffle: false, seed: 0 })).toThrow(DataError);
    expect(() => stratifiedAssignment([0, 0, 0, 0, 1, 1], { folds: 3, shuffle: false, seed: 0 })).toThrow(/class 1 has 2/);
  });

  it('refuses fewer than two folds and more folds than samples', () => {
    expect(() => kfoldAssignment(10, { folds: 1, shuffle: false, seed: 0 })).toThrow(/cv\.folds/);
    expect(() => kfoldAssignment(3, { folds: 4, shuffle: false, seed: 0 })).toThrow(/cv\.folds/);
  });

  it('holds out the last fraction of a training fold, like Keras validation_split', () => {
    const train = Int32Array.from({ length: 10 }, (_, i) => i * 2);
    const { fit, validation } = holdOut(train, 0.2, null);
    expect([...fit]).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect([...validation]).toEqual([16, 18]);
    const shuffled = holdOut(train, 0.3, 5);
    expect(shuffled.fit.length).toBe(7);
    expect([...shuffled.fit, ...shuffled.validation].sort((a, b) => a - b)).toEqual([...train]);
  });
});
