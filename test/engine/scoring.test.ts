/**
 * Scoring a trained model from its outputs (src/engine/forward.ts, scoring.ts): on the test fold it
 * must give the engines' own accuracy, loss (with the L1/L2 penalty), mse and mae, for every kind of
 * model (batch norm, selu/elu/softplus, a sigmoid output, regression); then the fit loop's scoring
 * with the metrics only outputs give, the training-part score, and fit time shared out per model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fitStack } from '../../src/engine/fit.js';
import { loadNativeAddon, NativeEngine } from '../../src/engine/native-engine.js';
import type { Engine, ModelJob } from '../../src/engine/runtime.js';
import { scoreRows } from '../../src/engine/scoring.js';
import { TfjsEngine } from '../../src/engine/tfjs-engine.js';
import type { Dataset } from '../../src/data/dataset.js';
import { EPOCH_METRICS } from '../../src/spec/vocabulary.js';
import { blobs, jobFor } from '../fixtures/synthetic.js';
import { skipWithout } from '../helpers.js';

const multi = blobs(240, 5, 3, 11, 1.6);
const binary = blobs(200, 4, 2, 12, 1.8);
/** y = a linear function of x plus noise. */
function regression(n: number, d: number): Dataset {
  const base = blobs(n, d, 2, 13, 1);
  const y = Float32Array.from({ length: n }, (_, i) => base.x[i * d] * 0.5 - base.x[i * d + 1] * 0.25 + 0.1 * Math.sin(i));
  return { ...base, task: 'regression', y, nClasses: 0 };
}
const reg = regression(180, 4);

const MODELS: { name: string; ds: Dataset; yaml: string }[] = [
  { name: 'softmax, relu, l1/l2', ds: multi, yaml: 'model:\n  units: [12]\n  l1: 0.001\n  l2: 0.01\n  learning_rate: 0.01\ntrain:\n  epochs: 3\n  batch_size: 16\n' },
  { name: 'batch norm, dropout, selu', ds: multi, yaml: 'model:\n  units: [10, 6]\n  batch_norm: true\n  dropout: 0.2\n  activation: selu\n  learning_rate: 0.01\ntrain:\n  epochs: 3\n  batch_size: 16\n' },
  { name: 'elu, sigmoid output, binary_crossentropy', ds: binary, yaml: 'model:\n  units: [8]\n  activation: elu\n  loss: binary_crossentropy\n  learning_rate: 0.01\ntrain:\n  epochs: 3\n  batch_size: 16\n' },
  { name: 'softplus, regression mse', ds: reg, yaml: 'model:\n  units: [8]\n  activation: softplus\n  loss: mse\n  learning_rate: 0.01\ntrain:\n  epochs: 3\n  batch_size: 16\n' },
  { name: 'tanh, regression mae, max_norm', ds: reg, yaml: 'model:\n  units: [8]\n  activation: tanh\n  loss: mae\n  max_norm: 1\n  learning_rate: 0.01\ntrain:\n  epochs: 3\n  batch_size: 16\n' },
];

/** The engine's test-fold value of every metric, and the same metrics from the model's outputs. */
async function compare(engine: Engine, ds: Dataset, yaml: string) {
  const metrics = EPOCH_METRICS.filter((m) => ds.task === 'classification' || m !== 'accuracy');
  const jobs: ModelJob[] = metrics.map((metric) => ({ ...jobFor(ds, yaml, {}, 3), metric }));
  const stack = await engine.createStack(jobs);
  try {
    for (let epoch = 0; epoch < 3; epoch++) {
      await stack.trainEpoch(
        jobs.map((j) => Int32Array.from(j.data.fit.keys())),
        jobs.map((j) => j.config.model.optimizer.learningRate),
        jobs.map(() => true),
      );
    }
    const engineValues = await stack.evaluate('test', jobs.map(() => true));
    const out = [];
    for (const [m, job] of jobs.entries()) {
      const weights = await stack.snapshot(m);
      out.push({ metric: job.metric, engine: engineValues[m].metric, outputs: scoreRows(job.metric, undefined, job.config.model, weights, job.data, job.data.test), n: job.data.test.length });
    }
    return out;
  } finally {
    stack.dispose();
  }
}

function expectSame(rows: Awaited<ReturnType<typeof compare>>) {
  for (const r of rows) {
    if (r.metric === 'accuracy') expect(Math.abs(r.outputs - r.engine), r.metric).toBeLessThanOrEqual(1 / r.n + 1e-9);
    else expect(r.outputs, r.metric).toBeCloseTo(r.engine, 4);
  }
}

describe('scores from outputs match the tfjs engine', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await TfjsEngine.create('wasm');
  });
  for (const c of MODELS) it(c.name, async () => expectSame(await compare(engine, c.ds, c.yaml)));
});

const noAddon = skipWithout('the native trainer', loadNativeAddon(), 'npm ci builds it with node-gyp (needs a C++ compiler)');

describe.skipIf(noAddon)('scores from outputs match the native engine', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = NativeEngine.create()!;
  });
  for (const c of MODELS) it(c.name, async () => expectSame(await compare(engine, c.ds, c.yaml)));

  const yaml = 'model:\n  units: [12]\n  learning_rate: 0.02\ntrain:\n  epochs: 4\n  batch_size: 16\n';

  it('scores the metrics only outputs give, logs accuracy per epoch, and scores the training part on request', async () => {
    const job = (metric: 'accuracy' | 'f1_macro' | 'roc_auc' | 'top_k_accuracy', trainScore: boolean): ModelJob => ({ ...jobFor(multi, yaml, {}, 4), scoring: { metric, k: 2, trainScore } });
    const jobs = [job('accuracy', true), job('f1_macro', false), job('roc_auc', true), job('top_k_accuracy', false)];
    const [acc, f1, auc, top2] = await fitStack(engine, jobs, { keepWeights: true });
    // the same model four times: the engine's accuracy, and the others from its outputs
    expect(f1.history.map((h) => h.testMetric)).toEqual(acc.history.map((h) => h.testMetric));
    expect(acc.score).toBe(acc.history[3].testMetric);
    expect(f1.score).not.toBe(acc.score);
    expect(Math.abs(f1.score - acc.score)).toBeLessThan(0.1);
    expect(auc.score).toBeGreaterThan(acc.score);
    expect(top2.score).toBeGreaterThanOrEqual(acc.score);
    expect(auc.score).toBeLessThanOrEqual(1);
    expect(f1.trainScore).toBeNull();
    expect(acc.trainScore).toBeGreaterThan(0.5);
    expect(auc.trainScore).toBeGreaterThan(0.5);
    // the training part: every row the model trained on
    const { data, config } = jobs[0];
    expect(acc.trainScore).toBe(scoreRows('accuracy', undefined, config.model, acc.weights!, data, data.fit));
    expect(acc.trainScore).not.toBe(scoreRows('accuracy', undefined, config.model, acc.weights!, data, data.test));
  });

  it('times each model of a stack on its own (trainEpochTimed) with the same numbers as one call for all', async () => {
    const jobs = [0, 1, 2].map((seed) => jobFor(multi, yaml.replace('units: [12]', 'units: [12]\n  dropout: 0.2'), {}, seed));
    const untimed = new NativeEngine(Object.create(loadNativeAddon()!, { trainEpochTimed: { value: undefined } }), 2);
    const timed = new NativeEngine(loadNativeAddon()!, 2);
    const a = await fitStack(untimed, jobs);
    const b = await fitStack(timed, jobs);
    for (const m of [0, 1, 2]) {
      expect(b[m].history.map((h) => [h.loss, h.metric, h.testLoss, h.testMetric])).toEqual(a[m].history.map((h) => [h.loss, h.metric, h.testLoss, h.testMetric]));
      expect(b[m].score).toBe(a[m].score);
      expect(b[m].fitTime).toBeGreaterThan(0);
    }
  });

  it('gives a model stopped early less of the stack time than one that trains on', async () => {
    const short = jobFor(multi, yaml.replace('epochs: 4', 'epochs: 1'), {}, 5);
    const long = jobFor(multi, yaml.replace('epochs: 4', 'epochs: 6'), {}, 6);
    const [a, b] = await fitStack(engine, [short, long]);
    expect(a.epochsRun).toBe(1);
    expect(b.epochsRun).toBe(6);
    expect(a.fitTime).toBeGreaterThan(0);
    expect(b.fitTime).toBeGreaterThan(a.fitTime);
    // a model's fit time is the sum of its epochs' shares
    expect(b.fitTime).toBeCloseTo(b.history.reduce((s, h) => s + h.seconds!, 0), 9);
  });
});
