/**
 * The WebGPU engine computing for real: on a GPU, or on SwiftShader (a conformant CPU Vulkan driver,
 * from Debian's chromium) where there is none. Skipped, not faked, when neither is present.
 * - the Keras golden cases (batch norm through the Sequential stack)
 * - stacks of M = 1 and M = 3 against the native trainer (same weights, masks, batches)
 * - a whole fit with validation split, dropout and early stopping, equal to the native engine's
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fitScaler } from '../../src/cv/scaling.js';
import { fitStack } from '../../src/engine/fit.js';
import { NativeEngine } from '../../src/engine/native-engine.js';
import type { Engine } from '../../src/engine/runtime.js';
import { TfjsEngine } from '../../src/engine/tfjs-engine.js';
import { WebgpuEngine } from '../../src/engine/webgpu/webgpu-engine.js';
import { blobs, jobFor } from '../fixtures/synthetic.js';
import { checkGoldenCase, checkStackMatchesSingles, golden } from './keras-golden.js';
import { skipWithout } from '../helpers.js';

// a real adapter (GPU, or SwiftShader's CPU Vulkan); without one every test here is skipped (a failure under CI=true)
const gpu = await WebgpuEngine.create({ allowSoftware: true });
const noGpu = skipWithout('a WebGPU adapter (GPU or SwiftShader)', gpu, "apt-get install chromium libvulkan1 (SwiftShader's Vulkan driver and the Vulkan loader Dawn needs)");
// the same engine with its register-blocked GEMM tiles forced (auto picks them only for big stacks)
const tiled = gpu ? await WebgpuEngine.create({ allowSoftware: true, tiles: 'large' }) : null;
let reference: Engine;
beforeAll(async () => {
  reference = NativeEngine.create() ?? (await TfjsEngine.create('wasm'));
}, 60_000);

describe.skipIf(noGpu)('WebGPU engine against Keras', () => {
  // batch norm too: the MLP then trains as Dense -> BatchNormalization -> activation on the Sequential stack
  for (const c of golden.cases) {
    it(`${c.kind}: ${c.optimizer} ${JSON.stringify(c.options)} ${c.hidden_activation}/${c.output_activation} ${c.loss}`, async () => {
      await checkGoldenCase(gpu!, c, expect);
    }, 60_000);
  }
});

describe.skipIf(noGpu)('WebGPU stacks against the native trainer', () => {
  const ds = blobs(200, 12, 3, 4, 0.8);
  // float32 sums in other orders: 1e-5 for SGD, 1e-4 for Adam (see native-keras.test.ts)
  const cases: [string, string, number][] = [
    ['sgd + momentum + dropout', 'model:\n  units: [24, 16]\n  dropout: [0.3, 0.1]\n  optimizer: sgd\n  momentum: 0.9\n  learning_rate: 0.05\ntrain:\n  epochs: 2\n  batch_size: 20\n', 1e-5],
    ['adam + dropout + l2 + max_norm', 'model:\n  units: [24, 16]\n  dropout: [0.3, 0.1]\n  l2: 0.001\n  max_norm: 1.5\n  optimizer: adam\n  learning_rate: 0.01\ntrain:\n  epochs: 2\n  batch_size: 20\n', 1e-4],
    // batch norm: the Sequential stack's Dense -> BatchNormalization -> activation, ragged last batches.
    // SGD, not Adam: the bias before a batch norm has a zero gradient up to rounding, which Adam's
    // normalization turns into steps of about the learning rate in a direction set by the rounding
    ['sgd + momentum + batch norm + dropout', 'model:\n  units: [24, 16]\n  batch_norm: true\n  dropout: [0.3, 0.1]\n  optimizer: sgd\n  momentum: 0.9\n  learning_rate: 0.05\ntrain:\n  epochs: 2\n  batch_size: 20\n', 1e-5],
  ];
  for (const [what, spec, tol] of cases) {
    for (const M of [1, 3]) {
      it(`M = ${M}: same weights after 2 epochs as M single native models (${what}, tolerance ${tol})`, async () => {
          // folds of different sizes: the last batch differs per model
        const jobs = Array.from({ length: M }, (_, k) => {
          const j = jobFor(ds, spec.replace(/learning_rate: ([0-9.]+)/, (_m, lr) => `learning_rate: ${Number(lr) * (k + 1)}`), {}, k + 1);
          return { ...j, data: { ...j.data, fit: j.data.fit.subarray(0, j.data.fit.length - 7 * k) } };
        });
        await checkStackMatchesSingles(gpu!, reference, jobs, 2, tol, expect);
        // and the evaluation agrees
        const [a] = await fitStack(gpu!, jobs.slice(0, 1));
        const [b] = await fitStack(reference, jobs.slice(0, 1));
        expect(a.score).toBeCloseTo(b.score, 6);
      }, 60_000);
    }
  }

  // wide enough for the register-blocked 64 x 64 GEMM tiles, with ragged edges:
  // 70 inputs, 60 and 50 units, batches of 52 rows and a last batch of 44
  const wide = blobs(300, 70, 4, 2, 0.8);
  for (const [what, spec, tol] of [
    ['sgd + momentum + dropout', 'model:\n  units: [60, 50]\n  dropout: [0.3, 0.1]\n  optimizer: sgd\n  momentum: 0.9\n  learning_rate: 0.02\ntrain:\n  epochs: 2\n  batch_size: 52\n', 2e-5],
    ['adam + l1', 'model:\n  units: [60, 50]\n  l1: 0.0001\n  optimizer: adam\n  learning_rate: 0.005\ntrain:\n  epochs: 2\n  batch_size: 52\n', 1e-4],
  ] as [string, string, number][]) {
    it(`M = 3, 64 x 64 tiles: same weights after 2 epochs as single native models (${what}, tolerance ${tol})`, async () => {
      const jobs = [1, 2, 3].map((k) => jobFor(wide, spec, {}, k));
      await checkStackMatchesSingles(tiled!, reference, jobs, 2, tol, expect);
    }, 60_000);
  }

  it('M = 3 with inputs standardized per fold (each model its own scaler, applied as the first layer reads X) and a validation evaluation', async () => {
    const spec = 'model:\n  units: [60]\n  optimizer: adam\n  learning_rate: 0.005\ntrain:\n  epochs: 2\n  batch_size: 52\n';
    const jobs = [1, 2, 3].map((k) => {
      const j = jobFor(wide, spec, {}, k, 40);
      const fit = j.data.fit.subarray(0, j.data.fit.length - 9 * k);
      return { ...j, data: { ...j.data, fit, scaler: fitScaler(k === 2 ? 'minmax' : 'standard', wide.x, wide.d, fit) } };
    });
    await checkStackMatchesSingles(tiled!, reference, jobs, 2, 1e-4, expect);
    const stacked = await fitStack(gpu!, jobs);
    const singles = await Promise.all(jobs.map((j) => fitStack(reference, [j])));
    stacked.forEach((r, m) => {
      expect(r.score).toBeCloseTo(singles[m][0].score, 6);
      r.history.forEach((h, e) => expect(h.valLoss!).toBeCloseTo(singles[m][0].history[e].valLoss!, 4));
    });
  }, 60_000);

  it('a whole fit (validation split, dropout, early stopping with restore) equals the native one', async () => {
    const yaml = 'model:\n  units: [16]\n  dropout: 0.2\n  learning_rate: 0.02\ntrain:\n  epochs: 12\n  batch_size: 16\n  validation_split: 0.2\n  early_stopping: {monitor: val_loss, patience: 2, restore_best: true}\n';
    const [a] = await fitStack(gpu!, [jobFor(ds, yaml, {}, 5, 30)]);
    const [b] = await fitStack(reference, [jobFor(ds, yaml, {}, 5, 30)]);
    expect(a.epochsRun).toBe(b.epochsRun);
    expect(a.restoredEpoch).toBe(b.restoredEpoch);
    expect(a.score).toBeCloseTo(b.score, 6);
    a.history.forEach((h, e) => expect(h.valLoss!).toBeCloseTo(b.history[e].valLoss!, 4));
  }, 60_000);
});
