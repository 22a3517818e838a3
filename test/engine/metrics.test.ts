/**
 * The classification metrics against scikit-learn's own numbers (test/fixtures/metrics/metrics.json,
 * made by make_metrics.py with Debian's python3-sklearn): macro precision / recall / F1 with the
 * zero_division default, ROC AUC binary and one-vs-rest, top-k accuracy with sklearn's tie order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accuracy, binaryRocAuc, f1Macro, precisionMacro, recallMacro, rocAuc, topKAccuracy } from '../../src/engine/metrics.js';

interface Case {
  name: string;
  classes: number;
  y_true: number[];
  y_pred: number[];
  scores: number[][];
  accuracy: number;
  f1_macro: number;
  precision_macro: number;
  recall_macro: number;
  roc_auc: number | null;
  top_k_accuracy: Record<string, number>;
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/metrics/metrics.json'), 'utf8')) as { sklearn: string; cases: Case[] };

describe(`classification metrics against scikit-learn ${fixture.sklearn}`, () => {
  it('has the cases the fixture script makes', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual(['multiclass-5', 'multiclass-5-ties', 'never-predicted-never-true', 'absent-class', 'binary', 'binary-ties', 'binary-all-negative']);
  });

  for (const c of fixture.cases) {
    describe(c.name, () => {
      const scores = { classes: c.classes, p: Float64Array.from(c.scores.flat()) };
      it('accuracy, macro precision, recall and F1', () => {
        expect(accuracy(c.y_true, c.y_pred)).toBeCloseTo(c.accuracy, 12);
        expect(precisionMacro(c.y_true, c.y_pred)).toBeCloseTo(c.precision_macro, 12);
        expect(recallMacro(c.y_true, c.y_pred)).toBeCloseTo(c.recall_macro, 12);
        expect(f1Macro(c.y_true, c.y_pred)).toBeCloseTo(c.f1_macro, 12);
      });
      it('ROC AUC (NaN where sklearn refuses)', () => {
        const auc = rocAuc(c.y_true, scores);
        if (c.roc_auc === null) expect(auc).toBeNaN();
        else expect(auc).toBeCloseTo(c.roc_auc, 12);
      });
      it('top-k accuracy for every k', () => {
        for (const [k, v] of Object.entries(c.top_k_accuracy)) expect(topKAccuracy(c.y_true, scores, Number(k)), `k=${k}`).toBeCloseTo(v, 12);
      });
    });
  }

  it('binary AUC: 1 when every positive scores higher, 0.5 for all ties, NaN for one class', () => {
    expect(binaryRocAuc([false, false, true, true], [0.1, 0.2, 0.3, 0.9])).toBe(1);
    expect(binaryRocAuc([false, true, false, true], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(binaryRocAuc([true, true], [0.1, 0.2])).toBeNaN();
  });
});
