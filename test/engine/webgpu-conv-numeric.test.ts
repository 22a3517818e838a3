/**
 * The WebGPU engine training Keras Sequential conv nets for real, on a GPU or on SwiftShader (a
 * conformant CPU Vulkan driver from Debian's chromium) where there is none:
 * - PyTorch goldens (test/fixtures/conv/golden.json): inference loss and accuracy, every weight's
 *   gradient of one batch and the moving statistics after it, 3 epochs of SGD/Adam (same and valid
 *   padding, strides 2, (1, 2) and (3, 1), max and average pooling, GAP, batch norm, L2, MaxNorm)
 * - the batch-normalized golden cases with their BatchNormalization layers removed, stacks of 3
 *   models with dropout, batch norm, ragged last batches and different optimizers, against the
 *   native Sequential trainer (itself checked against the same goldens)
 * - a whole fit through --backend webgpu, and what the GPU declines falling back to native.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitScaler } from '../../src/cv/scaling.js';
import { fitStack } from '../../src/engine/fit.js';
import { createEngine } from '../../src/engine/index.js';
import { NativeEngine } from '../../src/engine/native-engine.js';
import type { Engine, ModelJob } from '../../src/engine/runtime.js';
import { elementWorkgroups, wgradSplit } from '../../src/engine/webgpu/conv-kernels.js';
import { modelsPerGroup, scratchBytes } from '../../src/engine/webgpu/sequential-stack.js';
import { WebgpuEngine } from '../../src/engine/webgpu/webgpu-engine.js';
import type { SequentialLayer } from '../../src/models/layers.js';
import { sequentialInitialWeights } from '../../src/models/weights.js';
import { skipWithout } from '../helpers.js';
import { convGolden, convJob, goldenCaseTests, identity, modelOf, optimizerConfig, stackOf, worst, type ConvGoldenCase } from './conv-golden.js';

const gpu = await WebgpuEngine.create({ allowSoftware: true });
const noGpu = skipWithout('a WebGPU adapter (GPU or SwiftShader)', gpu, "apt-get install chromium libvulkan1 (SwiftShader's Vulkan driver and the Vulkan loader Dawn needs)");
// the same engine with the register-blocked 64 x 64 tiles and weight gradients split in 3 slices
// forced (auto picks them only for big stacks and long contractions)
const tiled = gpu ? await WebgpuEngine.create({ allowSoftware: true, tiles: 'large', splitK: 3 }) : null;
const native = NativeEngine.create(1);
const noNative = skipWithout('the native trainer', native, 'npm ci builds it with node-gyp (needs a C++ compiler)');


const withBatchNorm = (c: ConvGoldenCase) => c.layers.some((l) => l.kind === 'batch_normalization');

describe.skipIf(noGpu)(`WebGPU conv nets match PyTorch ${convGolden.torch}`, () => {
  for (const c of convGolden.cases) {
    for (const [tiles, engine] of [['auto', () => gpu!], ['64 x 64 split', () => tiled!]] as const) {
      describe(`${c.name} (${tiles} tiles)`, () => {
        it('is supported', () => {
          expect(engine().supports(convJob(c, modelOf(c)))).toBe(true);
        });

        goldenCaseTests(c, engine);
      });
    }
  }

  it('declines a softmax hidden activation (it trains on the CPU engines)', () => {
    const c = convGolden.cases[0];
    const layers = modelOf(c).layers!.map((l, i) => (l.kind === 'conv2d' && i === 0 ? { ...l, activation: 'softmax' as const } : l));
    expect(gpu!.supports(convJob(c, modelOf(c, { layers })))).toBe(false);
  });
});

/** Trains `jobs` as one stack for 3 epochs from `weights`; losses per epoch, final weights, test loss and metric. */
async function train(engine: WebgpuEngine | NativeEngine, jobs: ModelJob[], weights: Float32Array[][], orders: Int32Array[]) {
  const stack = await stackOf(engine, jobs, weights);
  const losses: number[][] = [];
  for (let e = 0; e < 3; e++) losses.push((await stack.trainEpoch(orders, jobs.map((j) => j.config.model.optimizer.learningRate), jobs.map(() => true))).map((r) => r.loss));
  const final = await Promise.all(jobs.map((_, m) => stack.snapshot(m)));
  const test = await stack.evaluate('test', jobs.map(() => true));
  stack.dispose();
  return { losses, final, test };
}

describe.skipIf(noGpu || noNative)('WebGPU conv nets against the native Sequential trainer', () => {
  let engine: WebgpuEngine;
  beforeAll(() => {
    engine = gpu!;
  });
  const stripped = convGolden.cases.filter(withBatchNorm);
  const withoutBn = (c: ConvGoldenCase, extra: (layers: SequentialLayer[]) => SequentialLayer[] = (l) => l) => extra(modelOf(c).layers!.filter((l) => l.kind !== 'batch_normalization'));

  for (const c of stripped) {
    it(`${c.name}, batch normalization removed: 3 epochs equal the native trainer's`, async () => {
      const layers = withoutBn(c);
      const job = convJob(c, modelOf(c, { layers }), c.n, 3, 5);
      const w = sequentialInitialWeights(layers, c.shape, 3);
      const order = [identity(c.n).map((i) => (i * 7) % c.n)];
      const a = await train(engine, [job], [w], order);
      const b = await train(native!, [job], [w], order);
      expect(worst(a.losses.flat(), b.losses.flat(), 1e-6, 1e-4)).toBeLessThanOrEqual(1);
      a.final[0].forEach((x, i) => expect(worst(x, b.final[0][i], 1e-5, 1e-3), `weight ${i}`).toBeLessThanOrEqual(1));
      expect(a.test[0].loss).toBeCloseTo(b.test[0].loss, 4);
      expect(a.test[0].metric).toBeCloseTo(b.test[0].metric, 10);
    }, 60_000);
  }

  it('a stack of 3 models (dropout, L2, different optimizers, seeds, batch orders and fold sizes) equals 3 native models, also run as groups of 2 + 1', async () => {
    const c = stripped[1];
    // dropout after the first pooling and before the dense layer; L2 on the last conv
    const layers = withoutBn(c, (ls) => {
      const out: SequentialLayer[] = [];
      ls.forEach((l, i) => {
        out.push(l.kind === 'conv2d' && i > 0 ? { ...l, l2: 0.01 } : l);
        if (l.kind === 'max_pooling2d' || l.kind === 'global_average_pooling2d') out.push({ kind: 'dropout', rate: 0.25 });
      });
      return out;
    });
    const jobs = [0, 1, 2].map((k) => {
      const layersK = layers.map((l) => (l.kind === 'dropout' ? { ...l, rate: 0.1 * (k + 1) } : l));
      const model = modelOf(c, { layers: layersK, optimizer: optimizerConfig(k === 1 ? 'sgd' : k === 2 ? 'rmsprop' : 'adam', 0.003 * (k + 1), k === 1 ? 0.9 : 0) });
      return convJob(c, model, c.n - 3 * k, 11 + k, 5);
    });
    const weights = jobs.map((j) => sequentialInitialWeights(j.config.model.layers!, c.shape, j.seed));
    const orders = jobs.map((j, k) => identity(j.data.fit.length).map((i) => (i * (k + 2) + k) % j.data.fit.length));
    expect(engine.canStack(jobs[0], jobs[2])).toBe(true);
    const together = await train(engine, jobs, weights, orders);
    // the same stack in groups of 2 and 1 models on shared scratch buffers (as when activations exceed the budget)
    const budget = 2 * scratchBytes(jobs[0].config.model, 5).total;
    expect(modelsPerGroup(jobs[0].config.model, 5, 2 ** 30, budget)).toBe(2);
    const grouped = await train((await WebgpuEngine.create({ allowSoftware: true, scratchBudget: budget }))!, jobs, weights, orders);
    expect(grouped.losses).toEqual(together.losses);
    expect(grouped.final).toEqual(together.final);
    expect(grouped.test).toEqual(together.test);
    for (let m = 0; m < 3; m++) {
      const alone = await train(native!, [jobs[m]], [weights[m]], [orders[m]]);
      expect(worst(together.losses.map((l) => l[m]), alone.losses.map((l) => l[0]), 1e-6, 1e-4), `model ${m} losses`).toBeLessThanOrEqual(1);
      together.final[m].forEach((x, i) => expect(worst(x, alone.final[0][i], 1e-5, 1e-3), `model ${m} weight ${i}`).toBeLessThanOrEqual(1));
      expect(together.test[m].loss).toBeCloseTo(alone.test[0].loss, 4);
    }
  }, 120_000);

  it('a stack of 3 models with batch normalization (last batches of 4 and 1 rows), dropout and different optimizers equals 3 native models', async () => {
    for (const c of stripped) {
      const layers = modelOf(c).layers!.flatMap((l): SequentialLayer[] => (l.kind === 'global_average_pooling2d' ? [l, { kind: 'dropout', rate: 0.2 }] : [l]));
      const jobs = [0, 1, 2].map((k) => {
        const model = modelOf(c, { layers, optimizer: optimizerConfig(k === 1 ? 'sgd' : k === 2 ? 'adagrad' : 'adam', 0.004 * (k + 1), k === 1 ? 0.9 : 0) });
        return convJob(c, model, c.n - [0, 3, 5][k], 31 + k, 5);
      });
      const weights = jobs.map((j) => sequentialInitialWeights(layers, c.shape, j.seed));
      const orders = jobs.map((j, k) => identity(j.data.fit.length).map((i) => (i * (k + 2) + 1) % j.data.fit.length));
      const together = await train(engine, jobs, weights, orders);
      for (let m = 0; m < 3; m++) {
        const alone = await train(native!, [jobs[m]], [weights[m]], [orders[m]]);
        expect(worst(together.losses.map((l) => l[m]), alone.losses.map((l) => l[0]), 1e-6, 1e-4), `${c.name}: model ${m} losses`).toBeLessThanOrEqual(1);
        together.final[m].forEach((x, i) => expect(worst(x, alone.final[0][i], 1e-5, 1e-3), `${c.name}: model ${m} weight ${i}`).toBeLessThanOrEqual(1));
        expect(together.test[m].loss).toBeCloseTo(alone.test[0].loss, 4);
      }
    }
  }, 180_000);

  it('unusual layer orders equal the native trainer: pooling, Flatten or GAP first, strides past the kernel, a 1x1 conv, dropout on images', async () => {
    const c = stripped[1]; // 9x11x3 images
    const k = { init: 'glorot_uniform' as const, l1: 0, l2: 0, maxNorm: null };
    const variants: SequentialLayer[][] = [
      [
        { kind: 'max_pooling2d', poolSize: [3, 3], strides: [2, 2], padding: 'same' },
        { kind: 'dropout', rate: 0.3 },
        { kind: 'conv2d', filters: 4, kernelSize: [2, 2], strides: [3, 2], padding: 'valid', activation: 'relu', ...k },
        // a Dense on images (Keras applies it per pixel) is refused by the spec's shape rules
        // (models/layers.ts: Flatten first); a 1x1 Conv2D is the same product
        { kind: 'conv2d', filters: 6, kernelSize: [1, 1], strides: [1, 1], padding: 'valid', activation: 'elu', ...k },
        { kind: 'average_pooling2d', poolSize: [1, 2], strides: [1, 3], padding: 'same' },
        { kind: 'flatten' },
        { kind: 'dense', units: 2, activation: 'softmax', ...k },
      ],
      [
        { kind: 'flatten' },
        { kind: 'dense', units: 12, activation: 'tanh', ...k },
        { kind: 'batch_normalization', momentum: 0.8, epsilon: 0.01 },
        { kind: 'dropout', rate: 0.2 },
        { kind: 'dense', units: 2, activation: 'softmax', ...k },
      ],
      [
        { kind: 'global_average_pooling2d' },
        { kind: 'dense', units: 2, activation: 'softmax', ...k },
      ],
    ];
    for (const [v, layers] of variants.entries()) {
      const job = convJob(c, modelOf(c, { layers }), c.n - 2, 41 + v, 5);
      expect(engine.supports(job), `variant ${v}`).toBe(true);
      const w = sequentialInitialWeights(layers, c.shape, 41 + v);
      const order = [identity(c.n - 2).reverse()];
      const a = await train(engine, [job], [w], order);
      const b = await train(native!, [job], [w], order);
      expect(worst(a.losses.flat(), b.losses.flat(), 1e-6, 1e-4), `variant ${v} losses`).toBeLessThanOrEqual(1);
      a.final[0].forEach((x, i) => expect(worst(x, b.final[0][i], 1e-5, 1e-3), `variant ${v} weight ${i}`).toBeLessThanOrEqual(1));
      expect(a.test[0].loss).toBeCloseTo(b.test[0].loss, 4);
    }
  }, 180_000);

  it('stacks only models whose layer shapes and activations agree', () => {
    const c = stripped[0];
    const a = convJob(c, modelOf(c, { layers: withoutBn(c) }));
    const tanh = convJob(c, modelOf(c, { layers: withoutBn(c, (ls) => ls.map((l) => (l.kind === 'conv2d' ? { ...l, activation: 'tanh' as const } : l))) }));
    const wider = convJob(c, modelOf(c, { layers: withoutBn(c, (ls) => ls.map((l) => (l.kind === 'conv2d' ? { ...l, filters: l.filters + 1 } : l))) }));
    const l2 = convJob(c, modelOf(c, { layers: withoutBn(c, (ls) => ls.map((l) => (l.kind === 'conv2d' ? { ...l, l2: 0.1 } : l))) }));
    expect(engine.canStack(a, l2)).toBe(true);
    expect(engine.canStack(a, tanh)).toBe(false);
    expect(engine.canStack(a, wider)).toBe(false);
  });
});

describe.skipIf(noGpu || noNative)('--backend webgpu with conv nets', () => {
  let engine: Engine;
  const saved = process.env.NNSEARCH_WEBGPU_SOFTWARE;
  beforeAll(async () => {
    process.env.NNSEARCH_WEBGPU_SOFTWARE = '1';
    engine = await createEngine('webgpu');
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.NNSEARCH_WEBGPU_SOFTWARE;
    else process.env.NNSEARCH_WEBGPU_SOFTWARE = saved;
    await engine.dispose();
  });

  /** A job of case c with a validation part, per-fold standardization and early stopping with restore. */
  function fitJob(c: ConvGoldenCase, layers: SequentialLayer[]): ModelJob {
    const j = convJob(c, modelOf(c, { layers }), c.n, 7, 6);
    const fit = identity(18);
    const scaler = fitScaler('standard', j.data.x, j.data.d, fit);
    return {
      ...j,
      config: { ...j.config, train: { ...j.config.train, epochs: 8, shuffle: true, earlyStopping: { monitor: 'val_loss', patience: 1, min_delta: 0, mode: 'auto', restore_best: true, start_from_epoch: 0 } } },
      data: { ...j.data, fit, validation: Int32Array.from([18, 19, 20, 21, 22, 23]), scaler },
    };
  }

  it('a whole fit of a conv net with batch norm (validation, scaler, shuffling, early stopping with restore) equals the native one', async () => {
    const c = convGolden.cases.find(withBatchNorm)!;
    const job = fitJob(c, modelOf(c).layers!);
    expect(engine.name).toMatch(/^webgpu/);
    const [a] = await fitStack(engine, [job]);
    const [b] = await fitStack(native!, [job]);
    expect(a.restoredEpoch).not.toBeNull(); // early stopping did stop and restore
    expect(a.epochsRun).toBe(b.epochsRun);
    expect(a.restoredEpoch).toBe(b.restoredEpoch);
    expect(a.score).toBeCloseTo(b.score, 6);
    a.history.forEach((h, e) => expect(h.valLoss!).toBeCloseTo(b.history[e].valLoss!, 4));
  }, 60_000);

  it('a conv net the GPU declines (softmax hidden activation) falls back to the native trainer (the same numbers exactly)', async () => {
    const c = convGolden.cases[0];
    const job = fitJob(c, modelOf(c).layers!.map((l, i) => (l.kind === 'conv2d' && i === 0 ? { ...l, activation: 'softmax' as const } : l)));
    const [a] = await fitStack(engine, [job]);
    const [b] = await fitStack(native!, [job]);
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
    expect(a.score).toBe(b.score);
  }, 60_000);
});

describe.skipIf(noGpu || noNative)('WebGPU conv nets at a LeNet shape', () => {
  // conv 32 3x3 - maxpool 2 - conv 16 3x3 - maxpool 2 - flatten - dense 128 - dense 10 on 28x28x1
  // images at batch 50 (the bench's LeNet, narrowed for SwiftShader's speed): weight gradients split
  // in 96 and 11 slices and element kernels striding over more than their 4096 workgroups, all
  // chosen automatically
  const n = 60;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const x = Float32Array.from({ length: n * 784 }, () => rand());
  const y = Float32Array.from({ length: n }, (_, i) => (i * 7) % 10);
  const kernel = { init: 'glorot_uniform' as const, l1: 0, l2: 0, maxNorm: null };
  const layers: SequentialLayer[] = [
    { kind: 'conv2d', filters: 32, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', ...kernel },
    { kind: 'max_pooling2d', poolSize: [2, 2], strides: [2, 2], padding: 'valid' },
    { kind: 'conv2d', filters: 16, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', ...kernel },
    { kind: 'max_pooling2d', poolSize: [2, 2], strides: [2, 2], padding: 'valid' },
    { kind: 'flatten' },
    { kind: 'dense', units: 128, activation: 'relu', ...kernel },
    { kind: 'dense', units: 10, activation: 'softmax', ...kernel },
  ];
  const c = { ...convGolden.cases[0], shape: [28, 28, 1] as [number, number, number], classes: 10, n, x: [] as number[], y: [] as number[] };
  const jobs = [0].map((k) => {
    const j = convJob(c, modelOf(c, { layers, optimizer: optimizerConfig('adam', 0.001 * (k + 1)) }), n, 21 + k, 50);
    return { ...j, data: { ...j.data, x, y } };
  });

  it('trains an epoch of 60 images (2 batches, the last ragged) as the native trainer does', async () => {
    const conv1 = 50 * 26 * 26 * 32;
    expect(elementWorkgroups(conv1)).toBeLessThan(conv1 / 256); // the element kernels stride
    expect(wgradSplit(2, 1, 50 * 26 * 26)).toBe(96);
    expect(wgradSplit(19, 1, 50 * 11 * 11)).toBe(11);
    const weights = jobs.map((j) => sequentialInitialWeights(layers, [28, 28, 1], j.seed));
    const orders = jobs.map((j) => identity(j.data.fit.length));
    const stack = await stackOf(gpu!, jobs, weights);
    const trained = await stack.trainEpoch(orders, [0.001], [true]);
    const wa = [await stack.snapshot(0)];
    const ta = await stack.evaluate('test', [true]);
    stack.dispose();
    for (let m = 0; m < jobs.length; m++) {
      const ref = await stackOf(native!, [jobs[m]], [weights[m]]);
      const [b] = await ref.trainEpoch([orders[m]], [jobs[m].config.model.optimizer.learningRate], [true]);
      const wb = await ref.snapshot(0);
      const [tb] = await ref.evaluate('test', [true]);
      ref.dispose();
      expect(worst([trained[m].loss], [b.loss], 1e-6, 1e-4)).toBeLessThanOrEqual(1);
      wa[m].forEach((w, i) => expect(worst(w, wb[i], 1e-5, 1e-3), `model ${m} weight ${i}`).toBeLessThanOrEqual(1));
      expect(worst([ta[m].loss], [tb.loss], 1e-6, 1e-4)).toBeLessThanOrEqual(1);
    }
  }, 300_000);
});
