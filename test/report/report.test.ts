import { describe, expect, it } from 'vitest';
import { cvResults, groupBy } from '../../src/report/summarize.js';
import { formatParams, renderClassic, renderCsv, renderGroups, renderJson, renderMarkdown, renderPivot } from '../../src/report/render.js';
import type { FoldRecord, TrialRecord } from '../../src/store/types.js';

function trial(number: number, params: TrialRecord['params'], value: number | null, state: TrialRecord['state'] = 'complete', failReason: TrialRecord['failReason'] = null): TrialRecord {
  return { id: number + 100, studyId: 1, number, sampler: 'grid', samplerIndex: number, state, params, value, std: value === null ? null : 0.01, failReason, error: null, engine: 'x', startedAt: null, completedAt: null, duration: 1, meanFitTime: 1, meanScoreTime: 0.1, attempts: 1, worker: null };
}
const folds = (scores: number[], fit = 2): FoldRecord[] => scores.map((score, fold) => ({ fold, score, trainScore: null, testLoss: 0.3, fitTime: fit + fold, scoreTime: 0.1, epochsRun: 5, stoppedEpoch: null, restoredEpoch: null, diverged: false, trainSize: 10, testSize: 5 }));

const trials = [
  trial(0, { init: 'uniform', lr: 0.01 }, 0.9),
  trial(1, { init: 'zero', lr: 0.01 }, 0.11),
  trial(2, { init: 'uniform', lr: 0.1 }, 0.95),
  trial(3, { init: 'zero', lr: 0.1 }, null, 'fail', 'diverged'),
  trial(4, { init: 'normal', lr: 0.1 }, 0.9),
  trial(5, { init: 'normal', lr: 0.5 }, null, 'running'),
];
const foldMap = new Map<number, FoldRecord[]>([
  [100, folds([0.89, 0.91])],
  [101, folds([0.1, 0.12])],
  [102, folds([0.94, 0.96])],
  [103, folds([NaN, 0.5])],
  [104, folds([0.9, 0.9])],
]);

describe('cv_results', () => {
  const r = cvResults(trials, foldMap, 2, 'maximize');

  it('holds finished trials only, in trial order', () => {
    expect(r.rows.map((x) => x.number)).toEqual([0, 1, 2, 3, 4]);
  });

  it("ranks like sklearn's rank_test_score (method 'min'), failed trials last", () => {
    expect(r.rows.map((x) => x.rank)).toEqual([2, 4, 1, 5, 2]);
    expect(r.bestIndex).toBe(2);
    const min = cvResults(trials, foldMap, 2, 'minimize');
    expect(min.rows.map((x) => x.rank)).toEqual([2, 1, 4, 5, 2]);
  });

  it('carries split scores and fit-time statistics', () => {
    expect(r.rows[0].splitScores).toEqual([0.89, 0.91]);
    expect(r.rows[3].splitScores).toEqual([null, 0.5]);
    expect(r.rows[0].meanFitTime).toBe(2.5);
    expect(r.rows[0].stdFitTime).toBe(0.5);
  });

  it('prints the classic GridSearchCV report', () => {
    const text = renderClassic(r);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Best: 0.9500 using {init: uniform, lr: 0.1}');
    expect(lines[1]).toBe('mean=0.9000 std=0.0100 {init: uniform, lr: 0.01}');
    expect(lines[4]).toBe('failed (diverged) {init: zero, lr: 0.1}');
    expect(renderClassic(r, { best: true })).toBe(lines[0]);
  });

  it('writes the cv_results_ columns to CSV and JSON', () => {
    const csv = renderCsv(r).split('\n');
    expect(csv[0]).toBe('trial,sampler,state,params,param_init,param_lr,split0_test_score,split1_test_score,mean_test_score,std_test_score,rank_test_score,mean_fit_time,std_fit_time,mean_score_time,std_score_time,fail_reason,pruned_value');
    expect(csv[1].startsWith('0,grid,complete,"{""init"":""uniform"",""lr"":0.01}",uniform,0.01,0.89,0.91,0.9,0.01,2,2.5,0.5,')).toBe(true);
    const json = JSON.parse(renderJson(r, { study: 's' }));
    expect(json.best_params).toEqual({ init: 'uniform', lr: 0.1 });
    expect(json.best_index).toBe(2);
    expect(json.cv_results.rank_test_score).toEqual([2, 4, 1, 5, 2]);
    expect(json.cv_results.param_init).toEqual(['uniform', 'zero', 'uniform', 'zero', 'normal']);
    expect(Object.keys(json.cv_results)).toContain('split1_test_score');
  });

  it('groups by a parameter', () => {
    const g = groupBy(r, 'init');
    expect(g.map((x) => [x.value, x.trials, x.complete, x.best])).toEqual([
      ['uniform', 2, 2, 0.95],
      ['zero', 2, 1, 0.11],
      ['normal', 1, 1, 0.9],
    ]);
    expect(g[0].mean).toBeCloseTo(0.925);
    expect(renderGroups('init', g).split('\n')[0]).toMatch(/^init\s+trials\s+complete\s+mean\s+best$/);
  });

  it('orders groups: categories as the spec lists them, numbers ascending', () => {
    const g = groupBy(r, 'init', { kind: 'categorical', choices: ['zero', 'normal', 'uniform'] });
    expect(g.map((x) => x.label)).toEqual(['zero', 'normal', 'uniform']);
    const lr = groupBy(cvResults([trial(0, { lr: 0.1 }, 0.5), trial(1, { lr: 0.01 }, 0.6), trial(2, { lr: 0.05 }, 0.7)], new Map(), 2, 'maximize'), 'lr');
    expect(lr.map((x) => x.value)).toEqual([0.01, 0.05, 0.1]);
  });

  it('bins a continuous parameter into ranges of its (log) scale', () => {
    const many = Array.from({ length: 20 }, (_, i) => trial(i, { lr: 10 ** (-4 + (3 * i) / 19), units: 4 + i }, 0.5 + i / 100));
    const res = cvResults(many, new Map(), 2, 'maximize');
    const g = groupBy(res, 'lr', { kind: 'float', low: 1e-4, high: 0.1, log: true, step: null });
    expect(g).toHaveLength(5);
    expect(g.map((x) => x.label)).toEqual(['[1e-4, 3.98e-4)', '[3.98e-4, 0.00158)', '[0.00158, 0.00631)', '[0.00631, 0.0251)', '[0.0251, 0.1]']);
    expect(g.reduce((a, x) => a + x.trials, 0)).toBe(20);
    expect(g.map((x) => x.trials)).toEqual([4, 4, 4, 4, 4]);
    const units = groupBy(res, 'units', { kind: 'int', low: 4, high: 23, log: false, step: 1 });
    expect(units.map((x) => x.label)).toEqual(['[4, 8)', '[8, 12)', '[12, 16)', '[16, 20)', '[20, 23]']);
    expect(renderGroups('lr', g).split('\n')[2]).toMatch(/^\[1e-4, 3\.98e-4\)\s+4\s+4\s+0\.5150\s+0\.5300$/);
  });

  it('sorts the rows and columns of a pivot table', () => {
    const rows = [trial(0, { a: 'y', lr: 0.1 }, 0.5), trial(1, { a: 'x', lr: 0.001 }, 0.6), trial(2, { a: 'y', lr: 0.01 }, 0.7), trial(3, { a: 'x', lr: 0.1 }, 0.8)];
    const text = renderPivot(cvResults(rows, new Map(), 2, 'maximize'), 'a', 'lr', { a: { kind: 'categorical', choices: ['x', 'y'] } });
    const lines = text.split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['a', '\\', 'lr', '0.001', '0.01', '0.1']);
    expect(lines[2].split(/\s+/)).toEqual(['x', '0.6000', '-', '0.8000']);
    expect(lines[3].split(/\s+/)).toEqual(['y', '-', '0.7000', '0.5000']);
  });

  it("adds scikit-learn's train_score columns when the study scored the training parts", () => {
    expect(Object.keys(JSON.parse(renderJson(r, {})).cv_results)).not.toContain('mean_train_score');
    const withTrain = new Map([...foldMap].map(([id, fs]) => [id, fs.map((f) => ({ ...f, trainScore: f.score + 0.05 }))]));
    const t = cvResults(trials, withTrain, 2, 'maximize');
    const csv = renderCsv(t).split('\n');
    const head = csv[0].split(',');
    expect(head.slice(head.indexOf('rank_test_score') + 1, head.indexOf('rank_test_score') + 5)).toEqual(['split0_train_score', 'split1_train_score', 'mean_train_score', 'std_train_score']);
    expect(t.rows[0].meanTrain).toBeCloseTo(0.95, 12);
    expect(t.rows[0].stdTrain).toBeCloseTo(0.01, 12);
    expect(t.rows[3].meanTrain).toBeNull(); // a failed trial has no mean
    expect(renderMarkdown(t).split('\n')[0]).toContain('| mean train |');
  });

  it('formats parameter values compactly', () => {
    expect(formatParams({ lr: 0.000123456, units: [64, 32], act: 'relu', d: 0.25 })).toBe('{lr: 1.235e-4, units: [64, 32], act: relu, d: 0.25}');
  });
});
