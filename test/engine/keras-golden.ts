/** Loads the golden values produced by real Keras (test/fixtures/keras/make_golden.py). */
import { readFileSync } from 'node:fs';
import type { ModelConfig, TrialConfig } from '../../src/models/config.js';
import type { ExpectStatic } from 'vitest';
import type { Engine, FoldData, ModelJob } from '../../src/engine/runtime.js';
import type { Activation, Loss, OptimizerName } from '../../src/spec/vocabulary.js';

export interface GoldenCase {
  kind: string;
  optimizer: OptimizerName;
  options: Record<string, number | boolean>;
  loss: Loss;
  hidden_activation: Activation;
  output_activation: Activation;
  l1?: number;
  l2?: number;
  max_norm?: number;
  batch_norm?: boolean;
  target?: 'regression' | 'binary';
  epochs: { loss: number; weights: number[][] }[];
  eval_loss: number;
  predict: number[];
}

export interface Golden {
  keras: string;
  X: number[];
  labels: number[];
  Yreg: number[];
  N: number;
  D: number;
  H: number;
  C: number;
  W1: number[];
  b1: number[];
  W2: number[];
  b2: number[];
  W2r: number[];
  b2r: number[];
  cases: GoldenCase[];
  early_stopping: { sequence: number[]; patience: number; min_delta: number; mode: 'min' | 'max'; monitor: string; start_from_epoch: number; stopped_epoch: number | null; best_epoch: number }[];
  schedules: Record<string, number[]>;
}

export const golden: Golden = JSON.parse(readFileSync(new URL('../fixtures/keras/golden.json', import.meta.url), 'utf8'));

const DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, rho: 0.9, initialAccumulator: 0.1 };

/** The nnsearch configuration of a golden case (batch 4, three epochs, no shuffle). */
export function goldenJob(c: GoldenCase): { job: ModelJob; initial: Float32Array[] } {
  const g = golden;
  const o = c.options;
  const outputDim = c.target ? 1 : g.C;
  const model: ModelConfig = {
    inputDim: g.D,
    outputDim,
    hidden: [{ units: g.H, dropout: 0 }],
    activation: c.hidden_activation,
    outputActivation: c.output_activation,
    init: 'zero',
    l1: c.l1 ?? 0,
    l2: c.l2 ?? 0,
    batchNorm: c.batch_norm ?? false,
    maxNorm: c.max_norm ?? null,
    loss: c.loss,
    optimizer: {
      name: c.optimizer,
      learningRate: o.learning_rate as number,
      momentum: (o.momentum as number) ?? 0,
      nesterov: (o.nesterov as boolean) ?? false,
      decay: (o.decay as number) ?? 0,
      beta1: (o.beta_1 as number) ?? DEFAULTS.beta1,
      beta2: (o.beta_2 as number) ?? DEFAULTS.beta2,
      epsilon: DEFAULTS.epsilon,
      rho: c.optimizer === 'adadelta' ? 0.95 : DEFAULTS.rho,
      centered: (o.centered as boolean) ?? false,
      initialAccumulator: DEFAULTS.initialAccumulator,
    },
  };
  const config: TrialConfig = { model, train: { epochs: 3, batchSize: 4, shuffle: false, validationSplit: 0, earlyStopping: null, lrSchedule: null } };
  const y = c.target === 'regression' ? Float32Array.from(g.Yreg) : c.target === 'binary' ? Float32Array.from(g.labels.map((l) => (l === 1 ? 1 : 0))) : Float32Array.from(g.labels);
  const all = Int32Array.from({ length: g.N }, (_, i) => i);
  const data: FoldData = {
    x: Float32Array.from(g.X),
    y,
    d: g.D,
    task: c.target === 'regression' ? 'regression' : 'classification',
    nClasses: c.target === 'regression' ? 0 : c.target === 'binary' ? 2 : g.C,
    fit: all,
    validation: new Int32Array(0),
    test: all,
    scaler: null,
  };
  const bn = c.batch_norm ? [new Float32Array(g.H).fill(1), new Float32Array(g.H), new Float32Array(g.H), new Float32Array(g.H).fill(1)] : [];
  const out = c.target ? [Float32Array.from(g.W2r), Float32Array.from(g.b2r)] : [Float32Array.from(g.W2), Float32Array.from(g.b2)];
  const initial = [Float32Array.from(g.W1), Float32Array.from(g.b1), ...bn, ...out];
  return { job: { config, data, seed: 1, metric: 'loss' }, initial };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Trains a golden case on an engine and checks every epoch's logged loss and weights against Keras. */
export async function checkGoldenCase(engine: Engine, c: GoldenCase, expect: ExpectStatic): Promise<void> {
  const { job, initial } = goldenJob(c);
  const stack = await engine.createStack([job]);
  stack.restore(0, initial);
  const order = Int32Array.from({ length: golden.N }, (_, i) => i);
  for (const [e, expected] of c.epochs.entries()) {
    const [r] = await stack.trainEpoch([order], [job.config.model.optimizer.learningRate], [true]);
    expect(Math.abs(r.loss - expected.loss), `epoch ${e} loss ${r.loss} vs Keras ${expected.loss}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(expected.loss)));
    const weights = await stack.snapshot(0);
    expect(weights.length).toBe(expected.weights.length);
    weights.forEach((w, i) => expect(maxAbsDiff(w, expected.weights[i]), `epoch ${e} weight ${i}`).toBeLessThan(2e-5));
  }
  const [ev] = await stack.evaluate('test', [true]);
  expect(Math.abs(ev.loss - c.eval_loss)).toBeLessThan(2e-5 * Math.max(1, Math.abs(c.eval_loss)));
  stack.dispose();
}

/**
 * Trains `jobs` as one stack on `stacked` and each alone on `single`, over the same batch orders for
 * `epochs` epochs, and checks that every model ends with the same weights (to `tol`).
 */
export async function checkStackMatchesSingles(stacked: Engine, single: Engine, jobs: ModelJob[], epochs: number, tol: number, expect: ExpectStatic): Promise<void> {
  const stack = await stacked.createStack(jobs);
  const singles = await Promise.all(jobs.map((j) => single.createStack([j])));
  for (let epoch = 0; epoch < epochs; epoch++) {
    const orders = jobs.map((j) => Int32Array.from({ length: j.data.fit.length }, (_, i) => (i * 7 + epoch) % j.data.fit.length));
    const a = await stack.trainEpoch(orders, jobs.map((j) => j.config.model.optimizer.learningRate), jobs.map(() => true));
    for (const [m, s] of singles.entries()) {
      const [b] = await s.trainEpoch([orders[m]], [jobs[m].config.model.optimizer.learningRate], [true]);
      expect(Math.abs(a[m].loss - b.loss), `model ${m} loss`).toBeLessThan(tol * 10);
    }
  }
  for (let m = 0; m < jobs.length; m++) {
    const a = await stack.snapshot(m);
    const b = await singles[m].snapshot(0);
    a.forEach((w, i) => expect(maxAbsDiff(w, b[i]), `model ${m} weight ${i}`).toBeLessThan(tol));
  }
  stack.dispose();
  for (const s of singles) s.dispose();
}
