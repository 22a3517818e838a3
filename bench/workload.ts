/** The reference workload of the anchors: dense(784->64, relu) -> dense(64->10, softmax), Adam 1e-3, batch 100. */
import type { Dataset } from '../src/data/dataset.js';
import type { FoldData, ModelJob } from '../src/engine/runtime.js';
import { resolveTrial } from '../src/models/config.js';
import { Rng } from '../src/rng.js';
import { ModelSchema, TrainSchema } from '../src/spec/schema.js';

/** Random MNIST-shaped data, as the anchors use: uniform pixels, random labels. */
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
