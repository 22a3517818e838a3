/**
 * Loads the dataset a spec names. Relative paths are resolved against the spec file's directory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { DataError } from '../errors.js';
import { Rng } from '../rng.js';
import type { DataSpec } from '../spec/schema.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../spec/vocabulary.js';
import { firstRow, parseCsv } from './csv.js';
import { subset, type Dataset, type DatasetWithTest } from './dataset.js';
import { findIdx, readIdxFile } from './idx.js';
import { labelsToClasses } from './labels.js';
import { loadEmbeddedMnist } from './mnist.js';

/** Stream id for the `limit` subset draw. */
const LIMIT_STREAM = 0x4c494d49; // 'LIMI'

export function loadDataset(spec: DataSpec, baseDir: string, seed: number): DatasetWithTest {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  let loaded: DatasetWithTest;
  switch (spec.dataset) {
    case 'mnist':
      loaded = { train: loadEmbeddedMnist(), test: null };
      break;
    case 'fashion-mnist':
      loaded = loadIdxDir(spec.path ? at(spec.path) : DEFAULT_FASHION_MNIST_DIR, spec.classes ?? 10, 'fashion-mnist', 'install it with: apt-get install dataset-fashion-mnist');
      break;
    case 'idx':
      loaded = spec.images && spec.labels
        ? { train: loadIdxPair(at(spec.images), at(spec.labels), spec.classes), test: null }
        : loadIdxDir(at(spec.path as string), spec.classes, 'idx', '');
      break;
    case 'csv': {
      const file = at(spec.file as string);
      if (!existsSync(file)) throw new DataError(`${file}: file not found (data.file)`);
      if (statSync(file).isDirectory()) throw new DataError(`${file}: is a directory (data.file)`);
      loaded = { train: parseCsv(readFileSync(file, 'utf8'), { file, header: spec.header, target: spec.target, task: spec.task, classes: spec.classes }), test: null };
      break;
    }
  }
  if (spec.classes !== undefined && loaded.train.task === 'classification' && spec.dataset === 'mnist' && spec.classes !== 10) {
    throw new DataError(`data.classes: mnist has 10 classes, not ${spec.classes}`);
  }
  if (spec.shape) loaded = withShape(loaded, spec.shape);
  if (spec.limit !== undefined && spec.limit < loaded.train.n) {
    const rows = new Rng(seed ^ LIMIT_STREAM).permutation(loaded.train.n).slice(0, spec.limit).sort();
    loaded = { ...loaded, train: subset(loaded.train, rows, `${loaded.train.source}, limit ${spec.limit}`) };
  }
  return loaded;
}

/** The data's samples read as images of `shape` ([h, w] is one channel). */
function withShape(loaded: DatasetWithTest, given: number[]): DatasetWithTest {
  const shape = given.length === 2 ? [...given, 1] : [...given];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== loaded.train.d) throw new DataError(`data.shape: ${shape.join('x')} holds ${size} values, but each sample of ${loaded.train.source} has ${loaded.train.d}`);
  return { train: { ...loaded.train, shape }, test: loaded.test ? { ...loaded.test, shape } : null };
}

function loadIdxDir(dir: string, classes: number | undefined, what: string, hint: string): DatasetWithTest {
  if (!existsSync(dir)) throw new DataError(`${dir}: ${what} directory not found${hint ? ` (${hint})` : ''}`);
  const pick = (name: string) => findIdx(dir, name);
  const trainImages = pick('train-images-idx3-ubyte');
  const trainLabels = pick('train-labels-idx1-ubyte');
  if (!trainImages || !trainLabels) {
    throw new DataError(`${dir}: expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]${hint ? ` (${hint})` : ''}`);
  }
  const train = loadIdxPair(trainImages, trainLabels, classes);
  const testImages = pick('t10k-images-idx3-ubyte');
  const testLabels = pick('t10k-labels-idx1-ubyte');
  const test = testImages && testLabels ? loadIdxPair(testImages, testLabels, train.nClasses) : null;
  return { train, test };
}

/** An images file (n x ...) and a labels file (n) into a classification Dataset; ubyte pixels / 255. */
export function loadIdxPair(imagesPath: string, labelsPath: string, classes: number | undefined): Dataset {
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  const n = images.dims[0];
  if (labels.dims.length !== 1) throw new DataError(`${labelsPath}: labels must be one-dimensional, got ${labels.dims.join('x')}`);
  if (labels.dims[0] !== n) throw new DataError(`${labelsPath}: ${labels.dims[0]} labels for ${n} images in ${imagesPath}`);
  if (n < 1) throw new DataError(`${imagesPath}: no images`);
  const d = images.dims.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * d);
  const pixelScale = images.data instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] * pixelScale;
  const { y, nClasses, classNames } = labelsToClasses(Array.from(labels.data), classes, (i) => `${labelsPath}: label #${i}`);
  // [n, rows, cols] images are one channel; [n, rows, cols, channels] as they are (channels_last)
  const shape = images.dims.length === 3 ? [images.dims[1], images.dims[2], 1] : images.dims.length === 4 ? images.dims.slice(1) : undefined;
  return { source: `${imagesPath} (${n} samples)`, task: 'classification', x, y, n, d, nClasses, classNames, ...(shape ? { shape } : {}) };
}

/** What a trained model takes, for reading data to predict on. */
export interface ModelInput {
  inputDim: number;
  task: 'classification' | 'regression';
  /** Number of classes (0 for regression). */
  classes: number;
  /** The class names, when the training labels were not 0..C-1 integers. */
  classNames?: readonly string[];
  /** The training data's CSV settings: a file with the target column is labelled. */
  csv: { header: boolean; target?: string | number };
}

/**
 * Data to predict on: 'mnist' (embedded), 'fashion-mnist' or 'fashion-mnist:train' (the t10k test
 * split by default), an IDX directory (its t10k files when present), or a CSV file: labelled when
 * it has the model's target column, else features only.
 */
export function loadPredictionData(source: string, model: ModelInput, baseDir: string): { data: Dataset; labelled: boolean } {
  if (source === 'mnist') return { data: loadEmbeddedMnist(), labelled: true };
  const [name, part] = source.split(':');
  const path = name === 'fashion-mnist' ? DEFAULT_FASHION_MNIST_DIR : resolve(baseDir, name);
  if (!existsSync(path)) throw new DataError(`${path}: not found`);
  if (statSync(path).isDirectory()) {
    const prefix = part === 'train' ? 'train' : findIdx(path, 't10k-images-idx3-ubyte') ? 't10k' : 'train';
    const images = findIdx(path, `${prefix}-images-idx3-ubyte`);
    const labels = findIdx(path, `${prefix}-labels-idx1-ubyte`);
    if (!images || !labels) throw new DataError(`${path}: no ${prefix}-images-idx3-ubyte[.gz] / ${prefix}-labels-idx1-ubyte[.gz]`);
    return { data: loadIdxPair(images, labels, model.classes || undefined), labelled: true };
  }
  const text = readFileSync(path, 'utf8');
  const header = firstRow(text);
  const target = model.csv.target ?? (header.length === model.inputDim + 1 ? header.length - 1 : undefined);
  const hasTarget = typeof target === 'number' ? header.length === model.inputDim + 1 : target !== undefined && header.includes(target);
  const classes = model.task === 'classification' ? model.classes : undefined;
  const data = parseCsv(text, { file: path, header: model.csv.header, target: hasTarget ? target : null, task: model.task, classes: model.classNames ? undefined : classes, classNames: model.classNames });
  if (data.d !== model.inputDim) throw new DataError(`${path}: ${data.d} feature columns, the model takes ${model.inputDim}`);
  return { data, labelled: hasTarget };
}

/**
 * Whether prediction data is the very data a model was trained on (then its score is a training
 * score): the embedded MNIST, a Fashion-MNIST or IDX training split, or the same CSV file.
 */
export function isTrainingData(source: string, trained: DataSpec, baseDir: string): boolean {
  const [name, part] = source.split(':');
  if (name === 'mnist') return trained.dataset === 'mnist';
  if (name === 'fashion-mnist') return trained.dataset === 'fashion-mnist' && part === 'train' && (trained.path ?? DEFAULT_FASHION_MNIST_DIR) === DEFAULT_FASHION_MNIST_DIR;
  const path = resolve(baseDir, name);
  if (trained.dataset === 'csv') return trained.file !== undefined && resolve(baseDir, trained.file) === path;
  if (trained.dataset === 'idx' || trained.dataset === 'fashion-mnist') {
    const dir = trained.path ?? (trained.dataset === 'fashion-mnist' ? DEFAULT_FASHION_MNIST_DIR : undefined);
    return dir !== undefined && resolve(baseDir, dir) === path && (part === 'train' || !findIdx(path, 't10k-images-idx3-ubyte'));
  }
  return false;
}
