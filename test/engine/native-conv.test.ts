/**
 * The native Sequential trainer (native/sequential.cc) against PyTorch goldens for Keras conv nets
 * (test/fixtures/conv/make_conv_golden.py): inference loss and accuracy, every weight's gradient of
 * one batch, the moving statistics after it, and several epochs of training. Then stacks and
 * threads: a stack of 3 models equals each model trained alone, and the numbers do not depend on the
 * thread count.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { NativeEngine, loadNativeAddon, nativeSupports } from '../../src/engine/native-engine.js';
import type { ModelJob, StackRuntime } from '../../src/engine/runtime.js';
import { sequentialInitialWeights } from '../../src/models/weights.js';
import { convGolden, convJob, modelOf, optimizerConfig, worst, type ConvGoldenCase } from './conv-golden.js';
import { skipWithout } from '../helpers.js';

const addon = loadNativeAddon();
const noAddon = skipWithout('the native trainer', addon, 'npm ci builds it with node-gyp (needs a C++ compiler)');

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

async function stackOf(engine: NativeEngine, jobs: ModelJob[], weights: Float32Array[][]): Promise<StackRuntime> {
  const stack = await engine.createStack(jobs);
  weights.forEach((w, m) => stack.restore(m, w));
  return stack;
}

const initialOf = (c: ConvGoldenCase) => c.initial.map((a) => Float32Array.from(a));

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

      it('computes the inference loss and accuracy of the initial weights', async () => {
        const stack = await stackOf(engine, [convJob(c, modelOf(c))], [initialOf(c)]);
        const [r] = await stack.evaluate('test', [true]);
        stack.dispose();
        expect(worst([r.loss], [c.forward.loss], 1e-6, 1e-5)).toBeLessThanOrEqual(1);
        expect(r.metric).toBeCloseTo(c.forward.accuracy, 10);
      });

      it('computes the gradient of every weight for one batch (SGD at learning rate 1), and the moving statistics', async () => {
        const model = modelOf(c, { optimizer: optimizerConfig('sgd', 1), noMaxNorm: true });
        const stack = await stackOf(engine, [convJob(c, model, c.batch)], [initialOf(c)]);
        await stack.trainEpoch([identity(c.batch)], [1], [true]);
        const after = await stack.snapshot(0);
        stack.dispose();
        expect(after.length).toBe(c.initial.length);
        c.gradients.forEach((g, i) => {
          if (g) {
            const measured = c.initial[i].map((w0, j) => w0 - after[i][j]);
            expect(worst(measured, g, 2e-6, 1e-4), `weight ${i}`).toBeLessThanOrEqual(1);
          } else {
            expect(worst(after[i], c.movingAfterStep[i]!, 1e-6, 1e-5), `moving statistic ${i}`).toBeLessThanOrEqual(1);
          }
        });
      });

      it(`trains ${c.epochs} epochs with ${c.optimizer.name} to the same losses and weights`, async () => {
        const stack = await stackOf(engine, [convJob(c, modelOf(c))], [initialOf(c)]);
        const losses: number[] = [];
        for (let e = 0; e < c.epochs; e++) losses.push((await stack.trainEpoch([identity(c.n)], [c.optimizer.learningRate], [true]))[0].loss);
        const final = await stack.snapshot(0);
        stack.dispose();
        expect(worst(losses, c.epochLosses, 1e-6, 1e-4)).toBeLessThanOrEqual(1);
        c.final.forEach((w, i) => expect(worst(final[i], w, 1e-4, 1e-3), `weight ${i}`).toBeLessThanOrEqual(1));
      });
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

  it('stacks only models whose layer shapes agree', () => {
    const engine = NativeEngine.create(1)!;
    expect(engine.canStack(jobs[0], jobs[1])).toBe(true);
    const wider = modelOf(c);
    wider.layers = wider.layers!.map((l) => (l.kind === 'conv2d' ? { ...l, filters: l.filters + 1 } : l));
    expect(engine.canStack(jobs[0], { ...jobs[1], config: { ...jobs[1].config, model: wider } })).toBe(false);
  });
});
