/** Loads the golden values produced by real Keras (test/fixtures/keras/make_golden.py). */
import { readFileSync } from 'node:fs';
import type { ModelConfig, TrialConfig } from '../../src/models/config.js';
import type { FoldData, ModelJob } from '../../src/engine/runtime.js';
import type { Activation, Loss, OptimizerName } from '../../src/search/vocabulary.js';

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
