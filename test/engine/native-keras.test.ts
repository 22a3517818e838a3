/**
 * The native engine against real Keras (the same golden cases as the tfjs engine), and against the
 * tfjs engine itself where Keras's randomness cannot be reproduced (dropout): same initial weights,
 * same masks, same batches -> same weights.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fitStack } from '../../src/engine/fit.js';
import { NativeEngine, loadNativeAddon } from '../../src/engine/native-engine.js';
import type { Engine } from '../../src/engine/runtime.js';
import { TfjsEngine } from '../../src/engine/tfjs-engine.js';
import { hash32 } from '../../src/rng.js';
import { blobs, jobFor } from '../fixtures/synthetic.js';
import { checkGoldenCase, checkStackMatchesSingles, golden } from './keras-golden.js';
import { skipWithout } from '../helpers.js';

const addon = loadNativeAddon();
const noAddon = skipWithout('the native trainer', addon, 'npm ci builds it with node-gyp (needs a C++ compiler)');

describe.skipIf(noAddon)(`native engine matches Keras ${golden.keras}`, () => {
  let engine: Engine;
  beforeAll(() => {
    engine = NativeEngine.create()!;
  });

  it('computes the same counter-based hash as TypeScript', () => {
    for (const [k, c] of [[0, 0], [1, 2], [0xffffffff, 7], [123456789, 987654321]]) expect(addon!.hash32(k, c)).toBe(hash32(k, c));
  });

  for (const c of golden.cases) {
    it(`${c.kind}: ${c.optimizer} ${JSON.stringify(c.options)} ${c.hidden_activation}/${c.output_activation} ${c.loss}${c.batch_norm ? ' batch_norm' : ''}${c.max_norm ? ' max_norm' : ''}${c.l1 || c.l2 ? ' l1/l2' : ''}`, async () => {
      await checkGoldenCase(engine, c, expect);
    });
  }
});

describe.skipIf(noAddon)('native engine matches the tfjs engine', () => {
  let native: Engine;
  let tfjs: Engine;
  beforeAll(async () => {
    native = NativeEngine.create()!;
    tfjs = await TfjsEngine.create('wasm');
  });
  const ds = blobs(240, 12, 3, 4, 0.8);
  const yaml = 'model:\n  units: [24, 16]\n  dropout: [0.3, 0.1]\n  batch_norm: true\n  l2: 0.001\n  optimizer: adam\n  learning_rate: 0.01\ntrain:\n  epochs: 3\n  batch_size: 20\n';

  it('gives the same history and score with dropout and batch norm (seeded masks)', async () => {
    const [a] = await fitStack(native, [jobFor(ds, yaml, {}, 9)]);
    const [b] = await fitStack(tfjs, [jobFor(ds, yaml, {}, 9)]);
    for (let e = 0; e < 3; e++) {
      expect(a.history[e].loss).toBeCloseTo(b.history[e].loss, 4);
      expect(a.history[e].testLoss).toBeCloseTo(b.history[e].testLoss, 4);
    }
    expect(a.score).toBeCloseTo(b.score, 6);
  });

  // Same initial weights and batch order -> same weights after N steps, for M = 1 and M = 3.
  // float32 sums run in a different order in C++ and in tfjs, so the weights agree to a tolerance:
  // 1e-5 for SGD (with momentum, batch norm); 1e-4 for Adam, which divides gradients by their own
  // running scale and so magnifies rounding in near-zero gradients. (A bias feeding batch norm has an
  // exactly-zero gradient, which Adam turns into noise-driven steps in any framework: not compared.)
  const cases: [string, string, number][] = [
    ['sgd + momentum + batch norm', 'model:\n  units: [24, 16]\n  batch_norm: true\n  optimizer: sgd\n  momentum: 0.9\n  learning_rate: 0.05\ntrain:\n  epochs: 2\n  batch_size: 20\n', 1e-5],
    ['adam + dropout + l2', 'model:\n  units: [24, 16]\n  dropout: [0.3, 0.1]\n  l2: 0.001\n  optimizer: adam\n  learning_rate: 0.01\ntrain:\n  epochs: 2\n  batch_size: 20\n', 1e-4],
  ];
  for (const [what, spec, tol] of cases) {
    for (const M of [1, 3]) {
      it(`stack of M = ${M} equals ${M} single tfjs models after 16 steps (${what}, tolerance ${tol})`, async () => {
        const jobs = Array.from({ length: M }, (_, k) => jobFor(ds, spec.replace(/learning_rate: ([0-9.]+)/, (_m, lr) => `learning_rate: ${Number(lr) * (k + 1)}`), {}, k + 1));
        await checkStackMatchesSingles(native, tfjs, jobs, 2, tol, expect);
      });
    }
  }
});
