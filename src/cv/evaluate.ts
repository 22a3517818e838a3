/**
 * Cross-validating one trial: the study's folds (derived once from its seed, the same for every
 * trial), each fold's scaler fitted on its training part, one model job per fold, and the
 * GridSearchCV summary of the fold scores.
 */
import type { Dataset } from '../data/dataset.js';
import type { FoldData, ModelJob } from '../engine/runtime.js';
import type { TrialConfig } from '../models/config.js';
import { mixSeed } from '../rng.js';
import type { CvSpec, DataSpec, MetricSpec } from '../spec/schema.js';
import { epochMetric } from '../spec/vocabulary.js';
import { holdOut, makeFolds } from './kfold.js';
import { fitScaler } from './scaling.js';

const FOLDS_STREAM = 0x464f4c44; // 'FOLD'
const WEIGHTS_STREAM = 0x57454947; // 'WEIG'
const VALIDATION_STREAM = 0x56414c49; // 'VALI'

/** The study's folds: fixed by (cv, seed), shared by every trial. */
export interface StudyFolds {
  /** Training indices of fold f (fit + validation), test indices, and the scaler fitted on training. */
  folds: { train: Int32Array; test: Int32Array; scaler: ReturnType<typeof fitScaler> }[];
  /** Seeds of each fold's model (weights, dropout, shuffle): the same for every trial. */
  seeds: number[];
  cvSeed: number;
}

export function studyFolds(data: Dataset, cv: CvSpec, dataSpec: DataSpec, seed: number): StudyFolds {
  const cvSeed = cv.seed ?? mixSeed(seed, FOLDS_STREAM);
  const stratified = cv.stratified ?? data.task === 'classification';
  const folds = makeFolds(data.task === 'classification' ? data.y : null, data.n, { folds: cv.folds, shuffle: cv.shuffle, seed: cvSeed, stratified });
  return {
    folds: folds.map((f) => ({ ...f, scaler: fitScaler(dataSpec.scaling, data.x, data.d, f.train) })),
    seeds: folds.map((_, i) => mixSeed(seed, WEIGHTS_STREAM, i)),
    cvSeed,
  };
}

/**
 * The model job of fold `fold` for a trial's configuration, scored with the study's metric (and on
 * its training part too with cv.return_train_score).
 */
export function foldJob(data: Dataset, sf: StudyFolds, fold: number, config: TrialConfig, metric: Pick<MetricSpec, 'name' | 'k'>, cv: Pick<CvSpec, 'shuffle' | 'return_train_score'>): ModelJob {
  const f = sf.folds[fold];
  const { fit, validation } = holdOut(f.train, config.train.validationSplit, cv.shuffle ? mixSeed(sf.cvSeed, VALIDATION_STREAM, fold) : null);
  const foldData: FoldData = { x: data.x, y: data.y, d: data.d, task: data.task, nClasses: data.nClasses, fit, validation, test: f.test, scaler: f.scaler };
  const scoring = { metric: metric.name, ...(metric.k !== undefined ? { k: metric.k } : {}), trainScore: cv.return_train_score ?? false };
  return { config, data: foldData, seed: sf.seeds[fold], metric: epochMetric(metric.name), scoring };
}

/** GridSearchCV's summary of one candidate: mean and population std of the fold scores. */
export function summarizeScores(scores: number[]): { mean: number; std: number } {
  const n = scores.length;
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const variance = scores.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { mean, std: Math.sqrt(variance) };
}
