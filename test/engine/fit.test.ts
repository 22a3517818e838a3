import { beforeAll, describe, expect, it } from 'vitest';
import { epochOrder, fitStack } from '../../src/engine/fit.js';
import type { Engine } from '../../src/engine/runtime.js';
import { TfjsEngine, liveTensors } from '../../src/engine/tfjs-engine.js';
import { blobs, jobFor } from '../fixtures/synthetic.js';

let engine: Engine;
beforeAll(async () => {
  engine = await TfjsEngine.create('wasm');
});

const ds = blobs(300, 6, 3, 7, 0.6);
const base = 'model:\n  units: [16]\ntrain:\n  epochs: 5\n  batch_size: 16\n';

describe('the fit loop on the tfjs engine', () => {
  it('learns separable blobs', async () => {
    const [o] = await fitStack(engine, [jobFor(ds, base, { learning_rate: 0.01 })]);
    expect(o.score).toBeGreaterThan(0.9);
    expect(o.history).toHaveLength(5);
    expect(o.history[4].loss).toBeLessThan(o.history[0].loss);
    expect(o.diverged).toBe(false);
  });

  it('is deterministic for a seed (weights, dropout, shuffle) and changes with it', async () => {
    const yaml = 'model:\n  units: [16]\n  dropout: 0.3\ntrain:\n  epochs: 3\n  batch_size: 16\n';
    const a = await fitStack(engine, [jobFor(ds, yaml, {}, 5)]);
    const b = await fitStack(engine, [jobFor(ds, yaml, {}, 5)]);
    const c = await fitStack(engine, [jobFor(ds, yaml, {}, 6)]);
    expect(a[0].history.map((h) => h.loss)).toEqual(b[0].history.map((h) => h.loss));
    expect(a[0].score).toBe(b[0].score);
    expect(c[0].history.map((h) => h.loss)).not.toEqual(a[0].history.map((h) => h.loss));
  });

  it('leaves no tensors behind', async () => {
    const before = liveTensors();
    await fitStack(engine, [jobFor(ds, 'model:\n  units: [8, 8]\n  batch_norm: true\n  dropout: 0.2\n  l2: 0.01\n  max_norm: 2\n  optimizer: rmsprop\n  momentum: 0.5\ntrain:\n  epochs: 2\n  batch_size: 32\n')]);
    expect(liveTensors()).toBe(before);
  });

  it('ends a diverging model with diverged = true and no score', async () => {
    const [o] = await fitStack(engine, [jobFor(ds, 'model:\n  units: [16]\n  optimizer: sgd\n  learning_rate: 1.0e+12\n  init: normal\ntrain:\n  epochs: 4\n  batch_size: 16\n')]);
    expect(o.diverged).toBe(true);
    expect(Number.isNaN(o.score)).toBe(true);
    expect(o.epochsRun).toBeLessThan(4);
  });

  it('stops early and restores the best weights (Keras 3: at the end of training)', async () => {
    const yaml = 'model:\n  units: [32]\n  learning_rate: 0.05\ntrain:\n  epochs: 30\n  batch_size: 8\n  validation_split: 0.2\n  early_stopping: {monitor: val_loss, patience: 2, restore_best: true}\n';
    const [o] = await fitStack(engine, [jobFor(ds, yaml, {}, 3, 40)]);
    expect(o.stoppedEpoch).not.toBeNull();
    expect(o.epochsRun).toBe(o.stoppedEpoch! + 1);
    const valLosses = o.history.map((h) => h.valLoss!);
    const best = valLosses.indexOf(Math.min(...valLosses));
    expect(o.restoredEpoch).toBe(best);
    // the score is the test metric of the restored epoch's weights
    expect(o.score).toBeCloseTo(o.history[best].testMetric, 6);
  });

  it('follows the learning-rate schedule per epoch', async () => {
    const [o] = await fitStack(engine, [jobFor(ds, 'model:\n  units: [8]\n  learning_rate: 0.1\n  optimizer: sgd\ntrain:\n  epochs: 4\n  lr_schedule: {type: step, drop: 0.5, every: 2}\n')]);
    expect(o.history.map((h) => h.lr)).toEqual([0.1, 0.05, 0.05, 0.025]);
  });

  it('shuffles every epoch with a seeded order', () => {
    expect([...epochOrder(10, 1, 0, true)]).toEqual([...epochOrder(10, 1, 0, true)]);
    expect([...epochOrder(10, 1, 0, true)]).not.toEqual([...epochOrder(10, 1, 1, true)]);
    expect([...epochOrder(5, 1, 3, false)]).toEqual([0, 1, 2, 3, 4]);
  });
});
