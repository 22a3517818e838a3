/**
 * GridSearchCV's cv_results_ from the store's records. Pure: trials and folds in, rows out.
 * rank_test_score is sklearn's 'min' ranking by mean score in the study's direction; pruned trials
 * rank after every complete one, by the value they reached; failed trials after those.
 */
import type { Distribution, Params } from '../search/space.js';
import { grouper, orderedGroups } from './groups.js';
import type { FoldRecord, TrialRecord } from '../store/types.js';

export interface CvRow {
  number: number;
  sampler: string;
  state: TrialRecord['state'];
  params: Params;
  splitScores: (number | null)[];
  mean: number | null;
  std: number | null;
  /** A pruned trial's value where it was stopped (its last intermediate value), else null. */
  reached: number | null;
  rank: number;
  /** Per-fold scores on the training parts (cv.return_train_score), null where none was recorded. */
  splitTrainScores: (number | null)[];
  meanTrain: number | null;
  stdTrain: number | null;
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
  /** Whether any fold has a training-part score (the study asked for them): sklearn's *_train_score columns. */
  trainScores: boolean;
}

function meanStd(xs: number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

/** Finished trials (complete, pruned or fail) in trial order, with their folds. */
export function cvResults(trials: readonly TrialRecord[], folds: ReadonlyMap<number, readonly FoldRecord[]>, nFolds: number, goal: 'maximize' | 'minimize'): CvResults {
  const finished = trials.filter((t) => t.state === 'complete' || t.state === 'fail' || t.state === 'pruned');
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
      reached: t.state === 'pruned' ? t.value : null,
      rank: 0,
      ...trainScores(fs, nFolds, t.state === 'complete'),
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
  // complete by mean, then pruned by what they reached, then failed (ties share a rank, as sklearn's 'min')
  const rankKey = (r: CvRow): [number, number] =>
    r.mean !== null ? [0, sign * r.mean] : r.reached !== null && !Number.isNaN(r.reached) ? [1, sign * r.reached] : r.state === 'pruned' ? [2, 0] : [3, 0];
  const before = (a: CvRow, b: CvRow) => {
    const [x, y] = [rankKey(a), rankKey(b)];
    return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
  };
  for (const r of rows) r.rank = 1 + rows.filter((s) => before(s, r)).length;
  const complete = rows.filter((r) => r.mean !== null);
  const best = complete.length ? complete.reduce((a, b) => (key(b) < key(a) ? b : a)) : null;
  return { rows, paramNames, folds: nFolds, goal, bestIndex: best ? rows.indexOf(best) : -1, trainScores: rows.some((r) => r.splitTrainScores.some((v) => v !== null)) };
}

/** A trial's training-part scores per fold, and their mean and std over the folds of a complete trial. */
function trainScores(folds: readonly FoldRecord[], nFolds: number, complete: boolean): Pick<CvRow, 'splitTrainScores' | 'meanTrain' | 'stdTrain'> {
  const split = Array.from({ length: nFolds }, (_, k) => {
    const s = folds.find((f) => f.fold === k)?.trainScore;
    return s === undefined || s === null || Number.isNaN(s) ? null : s;
  });
  const all = split.filter((v): v is number => v !== null);
  const { mean, std } = complete && all.length === nFolds ? meanStd(all) : { mean: null, std: null };
  return { splitTrainScores: split, meanTrain: mean, stdTrain: std };
}

export interface GroupRow {
  /** The parameter's value, or a bin's lower edge. */
  value: unknown;
  /** The value as a table shows it: the value, or the bin as `[lo, hi)`. */
  label: string;
  trials: number;
  complete: number;
  /** Mean of the complete trials' mean scores. */
  mean: number | null;
  best: number | null;
}

/**
 * Marginal summary of one parameter: its values (categories in the spec's order when `dist` is
 * given, numbers ascending; a continuous parameter in bins) with the trials that used them.
 */
export function groupBy(results: CvResults, param: string, dist?: Distribution): GroupRow[] {
  const group = grouper(results.rows.map((r) => r.params[param]), dist);
  const better = (a: number, b: number) => (results.goal === 'maximize' ? a > b : a < b);
  return orderedGroups(results.rows.map((r) => r.params[param]), group).map((g) => {
    const rows = results.rows.filter((r) => group(r.params[param]).key === g.key);
    const means = rows.map((r) => r.mean).filter((m): m is number => m !== null);
    return {
      value: g.value,
      label: g.label,
      trials: rows.length,
      complete: means.length,
      mean: means.length ? means.reduce((a, b) => a + b, 0) / means.length : null,
      best: means.length ? means.reduce((a, b) => (better(b, a) ? b : a)) : null,
    };
  });
}
