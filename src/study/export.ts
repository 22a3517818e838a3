/**
 * Exporting a study's best configuration: refit it on all of the study's training data, score the
 * dataset's own test split when it has one (Fashion-MNIST's t10k), save a TensorFlow.js LayersModel,
 * load it back and check that it predicts the same.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { holdOut } from '../cv/kfold.js';
import { fitScaler } from '../cv/scaling.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { parseCsv } from '../data/csv.js';
import { loadEmbeddedMnist } from '../data/mnist.js';
import { loadIdxPair } from '../data/load.js';
import { findIdx } from '../data/idx.js';
import { DataError, NotFoundError, TrainingError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { fitStack } from '../engine/fit.js';
import { createEngine, type BackendName } from '../engine/index.js';
import type { FoldData } from '../engine/runtime.js';
import { resolveTrial } from '../models/config.js';
import { mixSeed, Rng } from '../rng.js';
import type { Spec } from '../spec/schema.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../spec/vocabulary.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { StudyRecord, TrialRecord } from '../store/types.js';
import { storedSpec } from './prepare.js';

const EXPORT_STREAM = 0x45585054; // 'EXPT'
/** Rows of the training data watched per epoch when the dataset has no test split. */
const MONITOR_ROWS = 2000;

export interface ExportMeta {
  study: string;
  trial: number;
  params: Record<string, unknown>;
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

export function bestTrial(store: SqliteStore, study: StudyRecord, number?: number): TrialRecord {
  const trials = store.listTrials(study.id);
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

export async function exportModel(store: SqliteStore, study: StudyRecord, opts: { dir: string; backend: BackendName; trial?: number }): Promise<ExportMeta> {
  const spec = storedSpec(study.specJson);
  const trial = bestTrial(store, study, opts.trial);
  const { train, test } = loadDataset(spec.data, '/', spec.seed);
  if (test && test.d !== train.d) throw new DataError(`the test split has ${test.d} features, the training data ${train.d}`);
  const config = resolveTrial(spec, trial.params, { d: train.d, task: train.task, nClasses: train.nClasses });
  const seed = mixSeed(spec.seed, EXPORT_STREAM);
  const all = joined(train, test);
  const trainRows = Int32Array.from({ length: train.n }, (_, i) => i);
  const { fit, validation } = holdOut(trainRows, config.train.validationSplit, spec.cv.shuffle ? seed : null);
  const monitor = test
    ? Int32Array.from({ length: all.testCount }, (_, i) => all.testStart + i)
    : new Rng(seed).permutation(train.n).slice(0, Math.min(MONITOR_ROWS, train.n)).sort();
  const scaler = fitScaler(spec.data.scaling, all.x, train.d, trainRows);
  const data: FoldData = { x: all.x, y: all.y, d: train.d, task: train.task, nClasses: train.nClasses, fit, validation, test: monitor, scaler };
  const engine = await createEngine(opts.backend, { threads: 1 });
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
    data: spec.data,
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

/**
 * Data to predict on: 'mnist' (embedded), 'fashion-mnist' or 'fashion-mnist:train' (the t10k test
 * split by default), an IDX directory (its t10k files when present), or a CSV file (its target
 * column, when present, gives the labels).
 */
export function predictionData(source: string, meta: ExportMeta, baseDir: string): { data: Dataset; labelled: boolean } {
  if (source === 'mnist') return { data: loadEmbeddedMnist(), labelled: true };
  const [name, part] = source.split(':');
  const path = name === 'fashion-mnist' ? DEFAULT_FASHION_MNIST_DIR : resolve(baseDir, name);
  if (!existsSync(path)) throw new DataError(`${path}: not found (--data)`);
  if (statSync(path).isDirectory()) {
    const prefix = part === 'train' ? 'train' : findIdx(path, 't10k-images-idx3-ubyte') ? 't10k' : 'train';
    const images = findIdx(path, `${prefix}-images-idx3-ubyte`);
    const labels = findIdx(path, `${prefix}-labels-idx1-ubyte`);
    if (!images || !labels) throw new DataError(`${path}: no ${prefix}-images-idx3-ubyte[.gz] / ${prefix}-labels-idx1-ubyte[.gz] (--data)`);
    return { data: loadIdxPair(images, labels, meta.classes || undefined), labelled: true };
  }
  const file = path;
  const text = readFileSync(file, 'utf8');
  const header = text.split(/\r?\n/, 1)[0].split(/[,;\t]/).map((s) => s.trim());
  const target = meta.data.target ?? (header.length === meta.inputDim + 1 ? header.length - 1 : undefined);
  const hasTarget = typeof target === 'number' ? header.length === meta.inputDim + 1 : target !== undefined && header.includes(target);
  if (hasTarget) return { data: parseCsv(text, { file, header: meta.data.header, target, task: meta.task, classes: meta.task === 'classification' ? meta.classes : undefined }), labelled: true };
  // features only: add a dummy target column to reuse the parser
  const withDummy = text.split(/\r?\n/).map((l, i) => (l.trim() === '' ? l : `${l},${i === 0 && meta.data.header ? '__target' : '0'}`)).join('\n');
  const data = parseCsv(withDummy, { file, header: meta.data.header, task: 'regression' });
  if (data.d !== meta.inputDim) throw new DataError(`${file}: ${data.d} feature columns, the model takes ${meta.inputDim}`);
  return { data, labelled: false };
}
