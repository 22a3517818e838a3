/**
 * The PyTorch goldens for Keras Sequential conv nets (test/fixtures/conv/make_conv_golden.py) and
 * the model jobs that reproduce each case on an engine: hand-built ModelConfigs with `layers`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig, OptimizerConfig } from '../../src/models/config.js';
import type { SequentialLayer } from '../../src/models/layers.js';
import type { Engine, FoldData, ModelJob, StackRuntime } from '../../src/engine/runtime.js';
import { expect, it } from 'vitest';
import type { Activation, OptimizerName } from '../../src/spec/vocabulary.js';

interface GoldenLayer {
  kind: SequentialLayer['kind'];
  filters?: number;
  units?: number;
  kernelSize?: [number, number];
  poolSize?: [number, number];
  strides?: [number, number];
  padding?: 'valid' | 'same';
  activation?: Activation;
  l2?: number;
  maxNorm?: number | null;
  momentum?: number;
  epsilon?: number;
}

export interface ConvGoldenCase {
  name: string;
  shape: [number, number, number];
  classes: number;
  layers: GoldenLayer[];
  optimizer: { name: OptimizerName; learningRate: number; momentum?: number };
  n: number;
  batch: number;
  epochs: number;
  x: number[];
  y: number[];
  initial: number[][];
  forward: { loss: number; accuracy: number };
  gradients: (number[] | null)[];
  movingAfterStep: (number[] | null)[];
  epochLosses: number[];
  final: number[][];
}

export const convGolden: { torch: string; cases: ConvGoldenCase[] } = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/conv/golden.json'), 'utf8'),
);

function layerOf(l: GoldenLayer): SequentialLayer {
  const kernel = { init: 'glorot_uniform' as const, l1: 0, l2: l.l2 ?? 0, maxNorm: l.maxNorm ?? null };
  switch (l.kind) {
    case 'conv2d':
      return { kind: 'conv2d', filters: l.filters!, kernelSize: l.kernelSize!, strides: l.strides!, padding: l.padding!, activation: l.activation!, ...kernel };
    case 'max_pooling2d':
    case 'average_pooling2d':
      return { kind: l.kind, poolSize: l.poolSize!, strides: l.strides!, padding: l.padding! };
    case 'dense':
      return { kind: 'dense', units: l.units!, activation: l.activation!, ...kernel };
    case 'batch_normalization':
      return { kind: 'batch_normalization', momentum: l.momentum!, epsilon: l.epsilon! };
    case 'dropout':
      return { kind: 'dropout', rate: 0 };
    default:
      return { kind: l.kind };
  }
}

export function optimizerConfig(name: OptimizerName, learningRate: number, momentum = 0): OptimizerConfig {
  return { name, learningRate, momentum, nesterov: false, decay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, rho: 0.9, centered: false, initialAccumulator: 0.1 };
}

/** The case's Keras model as a ModelConfig (output Dense last, softmax + sparse categorical crossentropy). */
export function modelOf(c: ConvGoldenCase, overrides: { optimizer?: OptimizerConfig; noMaxNorm?: boolean; layers?: SequentialLayer[] } = {}): ModelConfig {
  let layers = overrides.layers ?? c.layers.map(layerOf);
  if (overrides.noMaxNorm) layers = layers.map((l) => (l.kind === 'conv2d' || l.kind === 'dense' ? { ...l, maxNorm: null } : l));
  const [h, w, ch] = c.shape;
  return {
    inputDim: h * w * ch,
    outputDim: c.classes,
    hidden: [],
    activation: 'relu',
    outputActivation: 'softmax',
    init: 'glorot_uniform',
    l1: 0,
    l2: 0,
    batchNorm: false,
    maxNorm: null,
    loss: 'sparse_categorical_crossentropy',
    optimizer: overrides.optimizer ?? optimizerConfig(c.optimizer.name, c.optimizer.learningRate, c.optimizer.momentum ?? 0),
    layers,
    inputShape: [...c.shape],
  };
}

const samples = new Map<ConvGoldenCase, { x: Float32Array; y: Float32Array }>();

/** A job on the case's samples (one copy shared by every job of the case): fit on the first `fit` rows, test on all of them. */
export function convJob(c: ConvGoldenCase, model: ModelConfig, fit = c.n, seed = 1, batch = c.batch): ModelJob {
  if (!samples.has(c)) samples.set(c, { x: Float32Array.from(c.x), y: Float32Array.from(c.y) });
  const data: FoldData = {
    ...samples.get(c)!,
    d: model.inputDim,
    task: 'classification',
    nClasses: c.classes,
    fit: Int32Array.from({ length: fit }, (_, i) => i),
    validation: new Int32Array(0),
    test: Int32Array.from({ length: c.n }, (_, i) => i),
    scaler: null,
  };
  return {
    config: { model, train: { epochs: c.epochs, batchSize: batch, shuffle: false, validationSplit: 0, earlyStopping: null, lrSchedule: null } },
    data,
    seed,
    metric: 'accuracy',
  };
}

/** Largest |a - b| / (atol + rtol |b|) over two arrays: <= 1 passes. */
export function worst(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  if (a.length !== b.length) return Infinity;
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return Number.isNaN(w) ? Infinity : w;
}

export const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
export const initialOf = (c: ConvGoldenCase) => c.initial.map((a) => Float32Array.from(a));

/** A stack of `jobs` on `engine`, each model starting from its given weights. */
export async function stackOf(engine: Pick<Engine, 'createStack'>, jobs: ModelJob[], weights: Float32Array[][]): Promise<StackRuntime> {
  const stack = await engine.createStack(jobs);
  weights.forEach((w, m) => stack.restore(m, w));
  return stack;
}

/**
 * One golden case as tests of an engine's stacks (every engine runs the same ones): the inference
 * loss and accuracy of the initial weights, every weight's gradient of one SGD step at learning
 * rate 1 with the moving statistics, and the case's epochs of its optimizer.
 */
export function goldenCaseTests(c: ConvGoldenCase, engine: () => Pick<Engine, 'createStack'>): void {
  it('computes the inference loss and accuracy of the initial weights', async () => {
    const stack = await stackOf(engine(), [convJob(c, modelOf(c))], [initialOf(c)]);
    const [r] = await stack.evaluate('test', [true]);
    stack.dispose();
    expect(worst([r.loss], [c.forward.loss], 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    expect(r.metric).toBeCloseTo(c.forward.accuracy, 10);
  });

  it('computes the gradient of every weight for one batch (SGD at learning rate 1), and the moving statistics', async () => {
    const model = modelOf(c, { optimizer: optimizerConfig('sgd', 1), noMaxNorm: true });
    const stack = await stackOf(engine(), [convJob(c, model, c.batch)], [initialOf(c)]);
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
    const stack = await stackOf(engine(), [convJob(c, modelOf(c))], [initialOf(c)]);
    const losses: number[] = [];
    for (let e = 0; e < c.epochs; e++) losses.push((await stack.trainEpoch([identity(c.n)], [c.optimizer.learningRate], [true]))[0].loss);
    const final = await stack.snapshot(0);
    stack.dispose();
    expect(worst(losses, c.epochLosses, 1e-6, 1e-4)).toBeLessThanOrEqual(1);
    c.final.forEach((w, i) => expect(worst(final[i], w, 1e-4, 1e-3), `weight ${i}`).toBeLessThanOrEqual(1));
  });
}
