/**
 * GridSearchCV's cv_results_ from the store's records. Pure: trials and folds in, rows out.
 * rank_test_score is sklearn's 'min' ranking by mean score in the study's direction; failed trials
 * rank after every complete one.
 */
import type { Params } from '../search/space.js';
import type { FoldRecord, TrialRecord } from '../store/types.js';

export interface CvRow {
  number: number;
  sampler: string;
  state: TrialRecord['state'];
  params: Params;
  splitScores: (number | null)[];
  mean: number | null;
  std: number | null;
  rank: number;
  meanFitTime: number | null;
  stdFitTime: number | null;
  meanScoreTime: number | null;
  stdScoreTime: number | null;
  epochs: number | null;
  failReason: string | null;
  error: string | null;
}

export interface CvResults {
  rows: CvRow[];
  paramNames: string[];
  folds: number;
  goal: 'maximize' | 'minimize';
  /** Index into rows of the best complete trial, or -1. */
  bestIndex: number;
}

function meanStd(xs: number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

/** Finished trials (complete or fail) in trial order, with their folds. */
export function cvResults(trials: readonly TrialRecord[], folds: ReadonlyMap<number, readonly FoldRecord[]>, nFolds: number, goal: 'maximize' | 'minimize'): CvResults {
  const finished = trials.filter((t) => t.state === 'complete' || t.state === 'fail');
  const paramNames = [...new Set(finished.flatMap((t) => Object.keys(t.params)))];
  const rows: CvRow[] = finished.map((t) => {
    const fs = folds.get(t.id) ?? [];
    const byFold = new Map(fs.map((f) => [f.fold, f]));
    const fit = meanStd(fs.map((f) => f.fitTime));
    const score = meanStd(fs.map((f) => f.scoreTime));
    return {
      number: t.number,
      sampler: t.sampler,
      state: t.state,
      params: t.params,
      splitScores: Array.from({ length: nFolds }, (_, k) => {
        const s = byFold.get(k)?.score;
        return s === undefined || Number.isNaN(s) ? null : s;
      }),
      mean: t.state === 'complete' ? t.value : null,
      std: t.state === 'complete' ? t.std : null,
      rank: 0,
      meanFitTime: fit.mean,
      stdFitTime: fit.std,
      meanScoreTime: score.mean,
      stdScoreTime: score.std,
      epochs: fs.length ? fs.reduce((a, f) => a + f.epochsRun, 0) / fs.length : null,
      failReason: t.failReason,
      error: t.error,
    };
  });
  const sign = goal === 'maximize' ? -1 : 1;
  const key = (r: CvRow) => (r.mean === null ? Infinity : sign * r.mean);
  const sorted = [...rows].sort((a, b) => key(a) - key(b));
  for (const r of rows) r.rank = 1 + sorted.filter((s) => key(s) < key(r)).length;
  const complete = rows.filter((r) => r.mean !== null);
  const best = complete.length ? complete.reduce((a, b) => (key(b) < key(a) ? b : a)) : null;
  return { rows, paramNames, folds: nFolds, goal, bestIndex: best ? rows.indexOf(best) : -1 };
}

export interface GroupRow {
  value: unknown;
  trials: number;
  complete: number;
  /** Mean of the complete trials' mean scores. */
  mean: number | null;
  best: number | null;
}

/** Marginal summary of one parameter: its values with the trials that used them. */
export function groupBy(results: CvResults, param: string): GroupRow[] {
  const groups = new Map<string, { value: unknown; rows: CvRow[] }>();
  for (const r of results.rows) {
    const k = JSON.stringify(r.params[param] ?? null);
    if (!groups.has(k)) groups.set(k, { value: r.params[param] ?? null, rows: [] });
    groups.get(k)!.rows.push(r);
  }
  const better = (a: number, b: number) => (results.goal === 'maximize' ? a > b : a < b);
  return [...groups.values()].map(({ value, rows }) => {
    const means = rows.map((r) => r.mean).filter((m): m is number => m !== null);
    return {
      value,
      trials: rows.length,
      complete: means.length,
      mean: means.length ? means.reduce((a, b) => a + b, 0) / means.length : null,
      best: means.length ? means.reduce((a, b) => (better(b, a) ? b : a)) : null,
    };
  });
}
