/**
 * Dropout in a Sequential model uses nnsearch's counter-based masks (models/dropout.ts), keyed by the
 * model's seed, the update step and the layer's index in the list, as every engine must: one SGD
 * step of Flatten -> Dropout -> Dense(softmax) checked against the same step computed here by hand.
 */
import { describe, expect, it } from 'vitest';
import { TfjsEngine } from '../../src/engine/tfjs-engine.js';
import type { FoldData } from '../../src/engine/runtime.js';
import type { ModelConfig } from '../../src/models/config.js';
import { dropoutKey, dropoutMask } from '../../src/models/dropout.js';
import type { SequentialLayer } from '../../src/models/layers.js';
import { Rng } from '../../src/rng.js';

describe('dropout in conv-net models', () => {
  it('drops the units of the counter-based mask of (seed, step, layer index)', async () => {
    const engine = await TfjsEngine.create('wasm');
    const [h, w, c, classes, n, rate, lr, seed] = [3, 2, 2, 3, 5, 0.4, 0.1, 17];
    const d = h * w * c;
    const layers: SequentialLayer[] = [
      { kind: 'flatten' },
      { kind: 'dropout', rate },
      { kind: 'dense', units: classes, activation: 'softmax', init: 'glorot_uniform', l1: 0, l2: 0, maxNorm: null },
    ];
    const model = {
      inputDim: d, outputDim: classes, hidden: [], activation: 'relu', outputActivation: 'softmax', init: 'glorot_uniform', l1: 0, l2: 0,
      batchNorm: false, maxNorm: null, loss: 'categorical_crossentropy', layers, inputShape: [h, w, c],
      optimizer: { name: 'sgd', learningRate: lr, momentum: 0, nesterov: false, decay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, rho: 0.9, centered: false, initialAccumulator: 0.1 },
    } as ModelConfig;
    const rng = new Rng(4);
    const x = Float32Array.from({ length: n * d }, () => rng.uniform(0, 1));
    const labels = Float32Array.from({ length: n }, (_, i) => i % classes);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const data: FoldData = { x, y: labels, d, task: 'classification', nClasses: classes, fit: all, validation: new Int32Array(0), test: all, scaler: null };
    const stack = await engine.createStack([{ config: { model, train: { epochs: 1, batchSize: n, shuffle: false, validationSplit: 0, earlyStopping: null, lrSchedule: null } }, data, seed, metric: 'accuracy' }]);
    const [W0, b0] = await stack.snapshot(0);
    await stack.trainEpoch([all], [lr], [true]);
    const [W1] = await stack.snapshot(0);
    stack.dispose();

    // by hand: the mask of layer 1 at step 0, softmax cross-entropy, mean over the batch
    const mask = dropoutMask(new Float32Array(n * d), n, d, rate, dropoutKey(seed, 0, 1));
    expect(mask.some((m) => m === 0)).toBe(true);
    const grad = new Float64Array(d * classes);
    for (let r = 0; r < n; r++) {
      const xm = Array.from({ length: d }, (_, j) => x[r * d + j] * mask[r * d + j]);
      const z = Array.from({ length: classes }, (_, k) => b0[k] + xm.reduce((s, v, j) => s + v * W0[j * classes + k], 0));
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < classes; k++) {
        const delta = e[k] / sum - (labels[r] === k ? 1 : 0);
        for (let j = 0; j < d; j++) grad[j * classes + k] += (xm[j] * delta) / n;
      }
    }
    W0.forEach((w0, i) => expect(W1[i]).toBeCloseTo(w0 - lr * grad[i], 6));
  });
});
