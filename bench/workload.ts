/** The benchmark workloads: dense(784->H, relu) -> dense(H->10, softmax), Adam 1e-3, batch B. */
import { subset, type Dataset } from '../src/data/dataset.js';
import { loadEmbeddedMnist } from '../src/data/mnist.js';
import type { FoldData, ModelJob } from '../src/engine/runtime.js';
import { resolveTrial } from '../src/models/config.js';
import { Rng } from '../src/rng.js';
import { ModelSchema, TrainSchema } from '../src/spec/schema.js';

/** Random MNIST-shaped data (uniform pixels, random labels): the GPU benchmark's stacks. */
export function randomMnistLike(n: number, seed = 0): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const y = Float32Array.from({ length: n }, () => rng.int(10));
  return { source: `random(${n})`, task: 'classification', x, y, n, d: 784, nClasses: 10 };
}

export function referenceJob(ds: Dataset, seed: number, hidden = 64, batch = 100): ModelJob {
  const model = ModelSchema.parse({ units: [hidden], activation: 'relu', optimizer: 'adam', learning_rate: 1e-3, init: 'normal' });
  const train = TrainSchema.parse({ epochs: 1, batch_size: batch });
  const config = resolveTrial({ model, train }, {}, { d: ds.d, task: ds.task, nClasses: ds.nClasses });
  const all = Int32Array.from({ length: ds.n }, (_, i) => i);
  const data: FoldData = { x: ds.x, y: ds.y, d: ds.d, task: ds.task, nClasses: ds.nClasses, fit: all, validation: new Int32Array(0), test: all.subarray(0, 1000), scaler: null };
  return { config, data, seed, metric: 'accuracy' };
}

/**
 * The embedded MNIST digits (stored by class) in a seeded random order, the first `train` rows for
 * training and `held` after them for accuracy: what the CPU benchmark and its anchors all train on.
 */
export interface MnistSplit {
  ds: Dataset;
  train: number;
  held: number;
}

export function mnistSplit(train: number, held: number, seed = 0): MnistSplit {
  const all = loadEmbeddedMnist();
  if (train + held > all.n) throw new Error(`mnistSplit: ${train} + ${held} rows asked, ${all.n} embedded`);
  const rows = new Rng(seed).permutation(all.n).subarray(0, train + held);
  return { ds: subset(all, rows, `mnist (${train} + ${held} held out)`), train, held };
}

/** One model on a split: Keras's default glorot-uniform kernels, as the anchors initialize theirs. */
export function mnistJob(split: MnistSplit, seed: number, hidden: number, batch: number): ModelJob {
  const { ds } = split;
  const model = ModelSchema.parse({ units: [hidden], activation: 'relu', optimizer: 'adam', learning_rate: 1e-3, init: 'glorot_uniform' });
  const config = resolveTrial({ model, train: TrainSchema.parse({ epochs: 1, batch_size: batch }) }, {}, { d: ds.d, task: ds.task, nClasses: ds.nClasses });
  return { config, data: splitFold(split), seed, metric: 'accuracy' };
}

/** A split as one fold: its first `train` rows fit, the `held` rows after them test, no validation, no scaling. */
export function splitFold(split: MnistSplit): FoldData {
  const { ds, train, held } = split;
  return {
    x: ds.x,
    y: ds.y,
    d: ds.d,
    task: ds.task,
    nClasses: ds.nClasses,
    fit: Int32Array.from({ length: train }, (_, i) => i),
    validation: new Int32Array(0),
    test: Int32Array.from({ length: held }, (_, i) => train + i),
    scaler: null,
  };
}

/** Multiply-adds x 2 of one training sample: forward and weight gradients of both layers, and the hidden layer's gradient. */
export function flopsPerSample(hidden: number, inputs = 784, classes = 10): number {
  return 4 * (inputs * hidden + hidden * classes) + 2 * hidden * classes;
}
