/**
 * The TensorFlow.js engine's conv nets against PyTorch (test/fixtures/conv/make_tfjs_conv_golden.py, float64,
 * with TensorFlow's padding and Keras's layouts and update rules): forward, gradients of a batch, three
 * epochs of training (SGD with momentum, Adam; L1/L2, MaxNorm, BatchNormalization's moving statistics),
 * and inference-mode loss afterwards. Same padding with the odd pixel after, strides > 1, both
 * poolings with same and valid padding, Flatten, GlobalAveragePooling2D.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig, TrialConfig } from '../../src/models/config.js';
import type { SequentialLayer } from '../../src/models/layers.js';
import { liveTensors, TfjsEngine, tfjsLossAndGradients } from '../../src/engine/tfjs-engine.js';
import type { Engine, FoldData, ModelJob } from '../../src/engine/runtime.js';

interface Case {
  name: string;
  layers: SequentialLayer[];
  inputShape: number[];
  optimizer: { name: 'sgd' | 'adam'; learningRate: number; momentum: number; beta1: number; beta2: number; epsilon: number };
  n: number;
  batchSize: number;
  epochs: number;
  x: number[];
  labels: number[];
  weights0: number[][];
  first: { logits: number[]; loss: number; grads: (number[] | null)[] };
  epochLosses: number[];
  final: number[][];
  evalLogits: number[];
  evalLoss: number;
}

const golden = JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/conv/conv-golden.json'), 'utf8')) as { torch: string; cases: Case[] };

function config(c: Case): TrialConfig {
  const out = c.layers[c.layers.length - 1] as { units: number };
  const d = c.inputShape.reduce((a, b) => a * b, 1);
  const model: ModelConfig = {
    inputDim: d, outputDim: out.units, hidden: [], activation: 'relu', outputActivation: 'softmax', init: 'glorot_uniform',
    l1: 0, l2: 0, batchNorm: false, maxNorm: null, loss: 'categorical_crossentropy',
    optimizer: { ...c.optimizer, nesterov: false, decay: 0, rho: 0.9, centered: false, initialAccumulator: 0.1 },
    layers: c.layers, inputShape: c.inputShape,
  };
  return { model, train: { epochs: c.epochs, batchSize: c.batchSize, shuffle: false, validationSplit: 0, earlyStopping: null, lrSchedule: null } };
}

function oneHot(labels: number[], classes: number): Float32Array {
  const y = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (y[i * classes + l] = 1));
  return y;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (tol + Math.abs(expected[i]) * tol * 10));
  expect(worst, `${what}: worst error ${worst} tolerances`).toBeLessThanOrEqual(1);
}

let engine: Engine;
beforeAll(async () => {
  engine = await TfjsEngine.create('wasm');
});

describe(`tfjs conv nets match PyTorch ${golden.torch}`, () => {
  for (const c of golden.cases) {
    const cfg = config(c);
    const classes = cfg.model.outputDim;
    const x = Float32Array.from(c.x);
    const y = oneHot(c.labels, classes);
    const d = cfg.model.inputDim;

    it(`${c.name}: forward and gradients of one batch`, () => {
      const before = liveTensors();
      const rows = c.batchSize;
      const r = tfjsLossAndGradients(cfg.model, c.weights0.map((w) => Float32Array.from(w)), x.subarray(0, rows * d), y.subarray(0, rows * classes), rows);
      close(r.logits, c.first.logits, 1e-5, 'logits');
      expect(r.loss).toBeCloseTo(c.first.loss, 5);
      c.first.grads.forEach((g, i) => {
        if (g === null) expect(r.grads[i]).toBeNull();
        else close(r.grads[i]!, g, 1e-5, `gradient of weight ${i}`);
      });
      expect(liveTensors()).toBe(before);
    });

    it(`${c.name}: ${c.epochs} epochs of training, then inference`, async () => {
      const before = liveTensors();
      const data: FoldData = {
        x, y: Float32Array.from(c.labels), d, task: 'classification', nClasses: classes,
        fit: Int32Array.from({ length: c.n }, (_, i) => i), validation: new Int32Array(0), test: Int32Array.from({ length: c.n }, (_, i) => i), scaler: null,
      };
      const job: ModelJob = { config: cfg, data, seed: 1, metric: 'accuracy' };
      const stack = await engine.createStack([job]);
      try {
        stack.restore(0, c.weights0.map((w) => Float32Array.from(w)));
        const order = Int32Array.from({ length: c.n }, (_, i) => i);
        for (let e = 0; e < c.epochs; e++) {
          const [r] = await stack.trainEpoch([order], [c.optimizer.learningRate], [true]);
          expect(r.loss, `epoch ${e + 1} loss`).toBeCloseTo(c.epochLosses[e], 4);
        }
        const weights = await stack.snapshot(0);
        c.final.forEach((w, i) => close(weights[i], w, 5e-5, `weight ${i} after training`));
        const [test] = await stack.evaluate('test', [true]);
        expect(test.loss).toBeCloseTo(c.evalLoss, 4);
      } finally {
        stack.dispose();
      }
      expect(liveTensors()).toBe(before);
    });
  }
});
