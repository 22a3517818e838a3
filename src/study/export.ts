/**
 * Exporting a study's best configuration: refit it on all of the study's training data, score the
 * dataset's own test split when it has one (Fashion-MNIST's t10k), save a TensorFlow.js LayersModel,
 * load it back and check that it predicts the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { holdOut } from '../cv/kfold.js';
import { fitScaler } from '../cv/scaling.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { DataError, NotFoundError, TrainingError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { fitStack } from '../engine/fit.js';
import { createEngine, type BackendName } from '../engine/index.js';
import type { FoldData } from '../engine/runtime.js';
import { resolveTrial } from '../models/config.js';
import { mixSeed, Rng } from '../rng.js';
import type { Params } from '../search/space.js';
import type { Spec } from '../spec/schema.js';
import type { Storage } from '../store/storage.js';
import type { StudyRecord, TrialRecord } from '../store/types.js';
import { storedSpec } from './prepare.js';

const EXPORT_STREAM = 0x45585054; // 'EXPT'
/** Rows of the training data watched per epoch when the dataset has no test split. */
const MONITOR_ROWS = 2000;

export interface ExportMeta {
  study: string;
  trial: number;
  params: Params;
  metric: string;
  task: 'classification' | 'regression';
  inputDim: number;
  classes: number;
  classNames?: string[];
  data: Spec['data'];
  trainedOn: string;
  engine: string;
  epochs: number;
  /** Score on the dataset's test split, by the training engine and by the reloaded LayersModel. */
  test: { source: string; samples: number; metric: string; engine: number; reloaded: number } | null;
}

export async function bestTrial(store: Storage, study: StudyRecord, number?: number): Promise<TrialRecord> {
  const trials = await store.listTrials(study.id);
  if (number !== undefined) {
    const t = trials.find((x) => x.number === number);
    if (!t) throw new NotFoundError(`study '${study.name}' has no trial ${number}`);
    if (t.state !== 'complete') throw new NotFoundError(`trial ${number} of study '${study.name}' is ${t.state}, not complete`);
    return t;
  }
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null);
  if (complete.length === 0) throw new NotFoundError(`study '${study.name}' has no complete trial to export`);
  const sign = study.goal === 'maximize' ? 1 : -1;
  return complete.reduce((a, b) => (sign * b.value! > sign * a.value! ? b : a));
}

/** Train and test rows side by side in one matrix, as the engines index into one dataset. */
function joined(train: Dataset, test: Dataset | null): { x: Float32Array; y: Float32Array; testStart: number; testCount: number } {
  if (!test) return { x: train.x, y: train.y, testStart: 0, testCount: 0 };
  const x = new Float32Array(train.x.length + test.x.length);
  x.set(train.x);
  x.set(test.x, train.x.length);
  const y = new Float32Array(train.n + test.n);
  y.set(train.y);
  y.set(test.y, train.n);
  return { x, y, testStart: train.n, testCount: test.n };
}

/** Accuracy, or mean squared error for regression. */
export function scorePredictions(predictions: Float32Array, y: Float32Array, classification: boolean): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += classification ? (predictions[i] === y[i] ? 1 : 0) : (predictions[i] - y[i]) ** 2;
  return s / y.length;
}

export async function exportModel(store: Storage, study: StudyRecord, opts: { dir: string; backend: BackendName; trial?: number; full?: boolean }): Promise<ExportMeta> {
  const spec = storedSpec(study.specJson);
  const trial = await bestTrial(store, study, opts.trial);
  const { limit: _limit, ...unlimited } = spec.data;
  const { train, test } = loadDataset(opts.full ? unlimited : spec.data, '/', spec.seed);
  if (test && test.d !== train.d) throw new DataError(`the test split has ${test.d} features, the training data ${train.d}`);
  const config = resolveTrial(spec, trial.params, { d: train.d, task: train.task, nClasses: train.nClasses, ...(train.shape ? { shape: train.shape } : {}) });
  const seed = mixSeed(spec.seed, EXPORT_STREAM);
  const all = joined(train, test);
  const trainRows = Int32Array.from({ length: train.n }, (_, i) => i);
  const { fit, validation } = holdOut(trainRows, config.train.validationSplit, spec.cv.shuffle ? seed : null);
  const monitor = test
    ? Int32Array.from({ length: all.testCount }, (_, i) => all.testStart + i)
    : new Rng(seed).permutation(train.n).slice(0, Math.min(MONITOR_ROWS, train.n)).sort();
  const scaler = fitScaler(spec.data.scaling, all.x, train.d, trainRows);
  const data: FoldData = { x: all.x, y: all.y, d: train.d, task: train.task, nClasses: train.nClasses, fit, validation, test: monitor, scaler };
  // one model: the native trainer splits its batches over every core, with the same numbers as on one
  const engine = await createEngine(opts.backend, { threads: availableParallelism() });
  const metric = train.task === 'classification' ? 'accuracy' : 'mse';
  let outcome;
  try {
    [outcome] = await fitStack(engine, [{ config, data, seed, metric }], { keepWeights: true });
  } finally {
    await engine.dispose();
  }
  if (outcome.diverged) throw new TrainingError(`the refit of trial ${trial.number} diverged (loss became NaN); nothing exported`);
  const { buildLayersModel, saveLayersModel, loadLayersModel, predictRows, ensureTfjsBackend } = await import('../engine/layers-model.js');
  await ensureTfjsBackend();
  const model = buildLayersModel(config.model, outcome.weights!, scaler);
  await saveLayersModel(model, opts.dir);
  model.dispose();
  let testScore: ExportMeta['test'] = null;
  if (test) {
    const reloaded = await loadLayersModel(opts.dir);
    const { predictions } = predictRows(reloaded, test.x, test.n, test.d, test.task === 'classification');
    reloaded.dispose();
    testScore = { source: test.source, samples: test.n, metric, engine: outcome.score, reloaded: scorePredictions(predictions, test.y, test.task === 'classification') };
  }
  const meta: ExportMeta = {
    study: study.name,
    trial: trial.number,
    params: trial.params,
    metric,
    task: train.task,
    inputDim: train.d,
    classes: train.nClasses,
    ...(train.classNames ? { classNames: train.classNames } : {}),
    data: opts.full ? unlimited : spec.data,
    trainedOn: `${train.source}: ${fit.length} samples${validation.length ? ` (+${validation.length} for validation)` : ''}`,
    engine: engine.name,
    epochs: outcome.epochsRun,
    test: testScore,
  };
  writeFileAtomic(join(opts.dir, 'nnsearch.json'), JSON.stringify(meta, null, 2));
  return meta;
}

export function readExportMeta(dir: string): ExportMeta {
  const path = join(dir, 'nnsearch.json');
  if (!existsSync(path)) throw new DataError(`${path}: not found (is ${dir} a directory written by nnsearch export?)`);
  return JSON.parse(readFileSync(path, 'utf8')) as ExportMeta;
}
