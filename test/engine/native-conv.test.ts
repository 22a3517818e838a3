/**
 * The native Sequential trainer (native/sequential.cc) against PyTorch goldens for Keras conv nets
 * (test/fixtures/conv/make_conv_golden.py): inference loss and accuracy, every weight's gradient of
 * one batch, the moving statistics after it, and several epochs of training. Then stacks and
 * threads: a stack of 3 models equals each model trained alone, and the numbers do not depend on the
 * thread count.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fitStack } from '../../src/engine/fit.js';
import { NativeEngine, loadNativeAddon, nativeSupports, nativeUnsupported } from '../../src/engine/native-engine.js';
import type { ModelJob } from '../../src/engine/runtime.js';
import { dropoutKey, dropoutMask } from '../../src/models/dropout.js';
import type { ModelConfig, OptimizerConfig } from '../../src/models/config.js';
import { initialWeights, sequentialInitialWeights } from '../../src/models/weights.js';
import { Rng } from '../../src/rng.js';
import { convGolden, convJob, goldenCaseTests, identity, initialOf, modelOf, optimizerConfig, stackOf, worst } from './conv-golden.js';
import { blobs } from '../fixtures/synthetic.js';
import { skipWithout } from '../helpers.js';

const addon = loadNativeAddon();
const noAddon = skipWithout('the native trainer', addon, 'npm ci builds it with node-gyp (needs a C++ compiler)');


describe.skipIf(noAddon)(`native Sequential trainer matches PyTorch ${convGolden.torch}`, () => {
  let engine: NativeEngine;
  beforeAll(() => {
    engine = NativeEngine.create(1)!;
  });

  for (const c of convGolden.cases) {
    describe(c.name, () => {
      it('is supported natively', () => {
        expect(nativeSupports(modelOf(c))).toBe(true);
      });

      goldenCaseTests(c, () => engine);
    });
  }
});

describe.skipIf(noAddon)('native Sequential stacks and threads', () => {
  const c = convGolden.cases[2];
  // three models of the same shapes, different hyperparameters and seeds (their own initial weights)
  const jobs = [0, 1, 2].map((k) => {
    const model = modelOf(c, { optimizer: optimizerConfig(k === 1 ? 'sgd' : 'adam', 0.003 * (k + 1), k === 1 ? 0.9 : 0) });
    return convJob(c, model, c.n, 11 + k, 6);
  });
  const initial = jobs.map((j) => sequentialInitialWeights(j.config.model.layers!, j.config.model.inputShape!, j.seed));
  const orders = [identity(c.n), identity(c.n).reverse(), identity(c.n).map((i) => (i * 5) % c.n)];

  async function train(engine: NativeEngine, js: ModelJob[], ws: Float32Array[][], os: Int32Array[]): Promise<{ losses: number[][]; weights: Float32Array[][]; test: number[] }> {
    const stack = await stackOf(engine, js, ws);
    const losses: number[][] = [];
    for (let e = 0; e < 3; e++) losses.push((await stack.trainEpoch(os, js.map((j) => j.config.model.optimizer.learningRate), js.map(() => true))).map((r) => r.loss));
    const weights = await Promise.all(js.map((_, m) => stack.snapshot(m)));
    const test = (await stack.evaluate('test', js.map(() => true))).map((r) => r.loss);
    stack.dispose();
    return { losses, weights, test };
  }

  it('trains a stack of 3 models to exactly what each model trained alone reaches (1 and 2 threads)', async () => {
    for (const threads of [1, 2]) {
      const engine = new NativeEngine(loadNativeAddon()!, threads);
      const together = await train(engine, jobs, initial, orders);
      for (let m = 0; m < 3; m++) {
        const alone = await train(engine, [jobs[m]], [initial[m]], [orders[m]]);
        expect(together.losses.map((l) => l[m])).toEqual(alone.losses.map((l) => l[0]));
        expect(together.weights[m]).toEqual(alone.weights[0]);
        expect(together.test[m]).toBe(alone.test[0]);
      }
    }
  });

  it('gives one model the same numbers on 1 and 2 threads (fixed chunks of each batch)', async () => {
    const big = convJob(c, jobs[0].config.model, c.n, 11, 24);
    const one = await train(new NativeEngine(loadNativeAddon()!, 1), [big], [initial[0]], [orders[0]]);
    const two = await train(new NativeEngine(loadNativeAddon()!, 2), [big], [initial[0]], [orders[0]]);
    expect(two.weights[0]).toEqual(one.weights[0]);
    expect(two.losses).toEqual(one.losses);
    expect(one.losses[2][0]).toBeLessThan(one.losses[0][0]);
  });

  it('declines a Sequential model whose output Dense is not flat (no Flatten or pooling before it), saying why', async () => {
    const spatial = modelOf(c, { layers: modelOf(c).layers!.filter((l) => l.kind !== 'flatten') });
    expect(nativeUnsupported(spatial)).toMatch(/Dense needs a flat input/);
    expect(nativeSupports(spatial)).toBe(false);
    await expect(NativeEngine.create(1)!.createStack([convJob(c, spatial)])).rejects.toThrow(/not implemented/);
  });

  it('stacks only models whose layer shapes agree', () => {
    const engine = NativeEngine.create(1)!;
    expect(engine.canStack(jobs[0], jobs[1])).toBe(true);
    const wider = modelOf(c);
    wider.layers = wider.layers!.map((l) => (l.kind === 'conv2d' ? { ...l, filters: l.filters + 1 } : l));
    expect(engine.canStack(jobs[0], { ...jobs[1], config: { ...jobs[1].config, model: wider } })).toBe(false);
  });
});

describe.skipIf(noAddon)('native Sequential dropout', () => {
  // dense(relu) -> dropout -> dense(softmax); one SGD step at learning rate 1 against the same
  // step computed here in float64 with the mask of src/models/dropout.ts (key: model seed, update
  // step 0, the Dropout layer's index in `layers`; counter: row * units + unit).
  it('drops the units of the shared counter-based mask and scales the kept ones by 1 / (1 - rate)', async () => {
    const c = convGolden.cases[0];
    const [d, H, U, R, rate, seed] = [c.shape[0] * c.shape[1] * c.shape[2], 12, c.classes, 8, 0.4, 77];
    const model = modelOf(c, {
      optimizer: optimizerConfig('sgd', 1),
      layers: [
        { kind: 'flatten' },
        { kind: 'dense', units: H, activation: 'relu', init: 'glorot_uniform', l1: 0, l2: 0, maxNorm: null },
        { kind: 'dropout', rate },
        { kind: 'dense', units: U, activation: 'softmax', init: 'glorot_uniform', l1: 0, l2: 0, maxNorm: null },
      ],
    });
    const job = convJob(c, model, R, seed, R);
    const w0 = sequentialInitialWeights(model.layers!, model.inputShape!, 5);
    const stack = await stackOf(NativeEngine.create(1)!, [job], [w0]);
    await stack.trainEpoch([identity(R)], [1], [true]);
    const w1 = await stack.snapshot(0);
    stack.dispose();

    const mask = dropoutMask(new Float32Array(R * H), R, H, rate, dropoutKey(seed, 0, 2));
    expect(mask.some((m) => m === 0) && mask.some((m) => m > 1)).toBe(true);
    const [W1, b1, W2, b2] = w0;
    const x = job.data.x;
    const dW1 = new Float64Array(d * H), db1 = new Float64Array(H), dW2 = new Float64Array(H * U), db2 = new Float64Array(U);
    for (let r = 0; r < R; r++) {
      const h = Array.from({ length: H }, (_, j) => {
        let s = b1[j];
        for (let i = 0; i < d; i++) s += x[r * d + i] * W1[i * H + j];
        return Math.max(s, 0);
      });
      const a = h.map((v, j) => v * mask[r * H + j]);
      const z = Array.from({ length: U }, (_, k) => a.reduce((s, v, j) => s + v * W2[j * U + k], b2[k]));
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const sum = e.reduce((s, v) => s + v, 0);
      const dz = e.map((v, k) => (v / sum - (k === job.data.y[r] ? 1 : 0)) / R);
      for (let k = 0; k < U; k++) {
        db2[k] += dz[k];
        for (let j = 0; j < H; j++) dW2[j * U + k] += a[j] * dz[k];
      }
      for (let j = 0; j < H; j++) {
        const dh = dz.reduce((s, v, k) => s + v * W2[j * U + k], 0) * mask[r * H + j] * (h[j] > 0 ? 1 : 0);
        db1[j] += dh;
        for (let i = 0; i < d; i++) dW1[i * H + j] += x[r * d + i] * dh;
      }
    }
    [dW1, db1, dW2, db2].forEach((g, i) => {
      const measured = Array.from(w0[i], (v, j) => v - w1[i][j]);
      expect(worst(measured, g, 2e-6, 1e-4), `weight ${i}`).toBeLessThanOrEqual(1);
    });
  });
});

describe.skipIf(noAddon)('native Sequential models through the fit loop', () => {
  // 8x8 gray images: a bright vertical or horizontal bar at a random place, on noise; a conv net
  // tells them apart, and the fit loop (shuffles, validation split, early stopping's bookkeeping,
  // the test fold's score) drives the native stack as it drives MLPs.
  const n = 300;
  const rng = new Rng(5);
  const x = new Float32Array(n * 64);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const vertical = i % 2;
    const at = rng.int(8);
    y[i] = vertical;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.3 * rng.next() + ((vertical ? p % 8 : Math.floor(p / 8)) === at ? 1 : 0);
  }
  const c = convGolden.cases[0];
  const bars = { ...c, shape: [8, 8, 1] as [number, number, number], classes: 2, n, x: Array.from(x), y: Array.from(y), epochs: 6 };
  const kernel = { init: 'glorot_uniform' as const, l1: 0, l2: 0, maxNorm: null };
  const model = modelOf(bars, {
    optimizer: optimizerConfig('adam', 0.01),
    layers: [
      { kind: 'conv2d', filters: 6, kernelSize: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', ...kernel },
      { kind: 'max_pooling2d', poolSize: [2, 2], strides: [2, 2], padding: 'valid' },
      { kind: 'batch_normalization', momentum: 0.9, epsilon: 1e-3 },
      { kind: 'global_average_pooling2d' },
      { kind: 'dropout', rate: 0.1 },
      { kind: 'dense', units: 2, activation: 'softmax', ...kernel },
    ],
  });

  it('learns to tell vertical from horizontal bars (held-out accuracy above 0.9), two folds stacked on 2 threads', async () => {
    const jobs = [1, 2].map((seed) => {
      const job = convJob(bars, model, 200, seed, 20);
      return { ...job, data: { ...job.data, fit: identity(180), validation: Int32Array.from({ length: 20 }, (_, i) => 180 + i), test: Int32Array.from({ length: 100 }, (_, i) => 200 + i) } };
    });
    const outcomes = await fitStack(new NativeEngine(loadNativeAddon()!, 2), jobs);
    for (const o of outcomes) {
      expect(o.epochsRun).toBe(6);
      expect(o.history[5].loss).toBeLessThan(o.history[0].loss);
      expect(o.history[5].valLoss).not.toBeNull();
      expect(o.score).toBeGreaterThan(0.9);
    }
  });
});

describe.skipIf(noAddon)('native Sequential on flat data matches the native MLP (itself checked against Keras)', () => {
  // dense(linear) -> BatchNormalization -> dense(softmax) is the MLP with batch_norm and a linear
  // hidden activation: same weights in the same order, so the same numbers, moving statistics
  // included (Keras's non-fused BN on 2-D inputs: the moving variance from the biased batch variance).
  it('trains to the same weights and losses with SGD + momentum, BN and L2', async () => {
    const ds = blobs(90, 5, 3, 3, 1.5);
    const kernel = { init: 'glorot_uniform' as const, l1: 0, l2: 0.01, maxNorm: 2 };
    const mlp: ModelConfig = {
      inputDim: 5, outputDim: 3, hidden: [{ units: 6, dropout: 0 }], activation: 'linear', outputActivation: 'softmax', init: 'glorot_uniform',
      l1: 0, l2: 0.01, batchNorm: true, maxNorm: 2, loss: 'categorical_crossentropy', optimizer: optimizerConfig('sgd', 0.05, 0.9),
    };
    const seq: ModelConfig = {
      ...mlp,
      hidden: [],
      layers: [
        { kind: 'dense', units: 6, activation: 'linear', ...kernel },
        { kind: 'batch_normalization', momentum: 0.99, epsilon: 1e-3 },
        { kind: 'dense', units: 3, activation: 'softmax', ...kernel },
      ],
      inputShape: [5],
    };
    const job = (model: ModelConfig): ModelJob => ({
      config: { model, train: { epochs: 2, batchSize: 16, shuffle: false, validationSplit: 0, earlyStopping: null, lrSchedule: null } },
      data: { x: ds.x, y: ds.y, d: 5, task: 'classification', nClasses: 3, fit: identity(60), validation: new Int32Array(0), test: Int32Array.from({ length: 30 }, (_, i) => 60 + i), scaler: null },
      seed: 4,
      metric: 'accuracy',
    });
    const w0 = initialWeights(mlp, 4);
    const engine = NativeEngine.create(1)!;
    const run = async (model: ModelConfig) => {
      const stack = await stackOf(engine, [job(model)], [w0]);
      const losses = [];
      for (let e = 0; e < 2; e++) losses.push((await stack.trainEpoch([identity(60)], [0.05], [true]))[0].loss);
      const test = (await stack.evaluate('test', [true]))[0];
      const weights = await stack.snapshot(0);
      stack.dispose();
      return { losses, test, weights };
    };
    const a = await run(mlp);
    const b = await run(seq);
    expect(b.weights.length).toBe(8);
    a.weights.forEach((w, i) => expect(worst(b.weights[i], w, 1e-6, 1e-5), `weight ${i}`).toBeLessThanOrEqual(1));
    expect(worst(b.losses, a.losses, 1e-7, 1e-6)).toBeLessThanOrEqual(1);
    expect(b.test.loss).toBeCloseTo(a.test.loss, 6);
  });

  // every optimizer of the MLP trainer, through the same optimizer code: dense(relu) -> dense(softmax)
  const optimizers: [string, OptimizerConfig][] = [
    ['sgd nesterov', { ...optimizerConfig('sgd', 0.05, 0.9), nesterov: true }],
    ['adagrad', optimizerConfig('adagrad', 0.05)],
    ['rmsprop centered with momentum', { ...optimizerConfig('rmsprop', 0.005, 0.5), centered: true }],
    ['adadelta', { ...optimizerConfig('adadelta', 1), rho: 0.95 }],
    ['adamax with decay', { ...optimizerConfig('adamax', 0.01), decay: 0.01 }],
  ];
  for (const [what, optimizer] of optimizers) {
    it(`trains dense(relu) -> dense(softmax) with ${what} to the MLP's weights`, async () => {
      const ds = blobs(60, 4, 3, 8, 1.2);
      const mlp: ModelConfig = {
        inputDim: 4, outputDim: 3, hidden: [{ units: 7, dropout: 0 }], activation: 'relu', outputActivation: 'softmax', init: 'glorot_uniform',
        l1: 0.001, l2: 0, batchNorm: false, maxNorm: null, loss: 'categorical_crossentropy', optimizer,
      };
      const kernel = { init: 'glorot_uniform' as const, l1: 0.001, l2: 0, maxNorm: null };
      const seq: ModelConfig = { ...mlp, hidden: [], inputShape: [4], layers: [{ kind: 'dense', units: 7, activation: 'relu', ...kernel }, { kind: 'dense', units: 3, activation: 'softmax', ...kernel }] };
      const engine = NativeEngine.create(1)!;
      const w0 = initialWeights(mlp, 2);
      const after = async (model: ModelConfig) => {
        const job: ModelJob = {
          config: { model, train: { epochs: 3, batchSize: 8, shuffle: false, validationSplit: 0, earlyStopping: null, lrSchedule: null } },
          data: { x: ds.x, y: ds.y, d: 4, task: 'classification', nClasses: 3, fit: identity(60), validation: new Int32Array(0), test: identity(60), scaler: null },
          seed: 2,
          metric: 'accuracy',
        };
        const stack = await stackOf(engine, [job], [w0]);
        for (let e = 0; e < 3; e++) await stack.trainEpoch([identity(60)], [optimizer.learningRate], [true]);
        const w = await stack.snapshot(0);
        stack.dispose();
        return w;
      };
      const a = await after(mlp);
      const b = await after(seq);
      expect(a[0].some((v, j) => Math.abs(v - w0[0][j]) > 1e-4)).toBe(true);
      a.forEach((w, i) => expect(worst(b[i], w, 1e-6, 1e-5), `weight ${i}`).toBeLessThanOrEqual(1));
    });
  }

  it('rejects weights of the wrong shape with an error, not a crash', async () => {
    const c = convGolden.cases[0];
    const stack = await NativeEngine.create(1)!.createStack([convJob(c, modelOf(c))]);
    expect(() => stack.restore(0, initialOf(c).slice(1))).toThrow(/setWeights/);
    stack.dispose();
  });
});
