/**
 * Export of conv nets: the trained golden models (and a Flatten-first model with a folded scaler)
 * written as a standard TensorFlow.js LayersModel, loaded back with tf.loadLayersModel, predict what
 * the float64 inference of the same weights (checked against PyTorch) predicts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { outputsOf, predictLogits } from '../../src/engine/forward.js';
import { buildLayersModel, ensureTfjsBackend, loadLayersModel, predictRows, saveLayersModel } from '../../src/engine/layers-model.js';
import type { ModelConfig } from '../../src/models/config.js';
import type { SequentialLayer } from '../../src/models/layers.js';
import { sequentialInitialWeights } from '../../src/models/weights.js';
import { Rng } from '../../src/rng.js';

const golden = JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/conv/conv-golden.json'), 'utf8')) as {
  cases: { name: string; layers: SequentialLayer[]; inputShape: number[]; n: number; x: number[]; final: number[][] }[];
};

beforeAll(async () => {
  await ensureTfjsBackend();
});

function modelOf(layers: SequentialLayer[], inputShape: number[]): ModelConfig {
  const d = inputShape.reduce((a, b) => a * b, 1);
  const outputDim = (layers[layers.length - 1] as { units: number }).units;
  return { inputDim: d, outputDim, outputActivation: 'softmax', layers, inputShape } as ModelConfig;
}

async function roundTrip(model: ModelConfig, weights: Float32Array[], x: Float32Array, n: number, scaler: { offset: Float32Array; factor: Float32Array } | null) {
  const dir = mkdtempSync(join(tmpdir(), 'nns-conv-export-'));
  const built = buildLayersModel(model, weights, scaler);
  await saveLayersModel(built, dir);
  built.dispose();
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const loaded = await loadLayersModel(dir);
  const { outputs, width } = predictRows(loaded, x, n, model.inputDim, true);
  loaded.dispose();
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const expected = outputsOf(predictLogits(model, weights, x, model.inputDim, rows, scaler), width, 'softmax');
  return { json, outputs, expected };
}

describe('exported conv nets load with tf.loadLayersModel and predict as the engine does', () => {
  for (const c of golden.cases) {
    it(c.name, async () => {
      const model = modelOf(c.layers, c.inputShape);
      const { json, outputs, expected } = await roundTrip(model, c.final.map((w) => Float32Array.from(w)), Float32Array.from(c.x), c.n, null);
      const classes = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
      const keras = { conv2d: 'Conv2D', max_pooling2d: 'MaxPooling2D', average_pooling2d: 'AveragePooling2D', flatten: 'Flatten', global_average_pooling2d: 'GlobalAveragePooling2D', dense: 'Dense', dropout: 'Dropout', batch_normalization: 'BatchNormalization' };
      expect(classes).toEqual(c.layers.map((l) => keras[l.kind]));
      expect(json.modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, ...c.inputShape]);
      expected.forEach((p, i) => expect(Math.abs(outputs[i] - p)).toBeLessThan(1e-5));
    });
  }

  it('folds a per-feature scaler into the first Dense after Flatten', async () => {
    const layers: SequentialLayer[] = [
      { kind: 'flatten' },
      { kind: 'dropout', rate: 0.3 },
      { kind: 'dense', units: 6, activation: 'leaky_relu', init: 'glorot_uniform', l1: 0, l2: 0, maxNorm: null },
      { kind: 'dense', units: 3, activation: 'softmax', init: 'glorot_uniform', l1: 0, l2: 0, maxNorm: null },
    ];
    const model = modelOf(layers, [4, 5, 1]);
    const weights = sequentialInitialWeights(layers, [20], 3);
    const rng = new Rng(5);
    const x = Float32Array.from({ length: 7 * 20 }, () => rng.uniform(-3, 3));
    const scaler = { offset: Float32Array.from({ length: 20 }, () => rng.uniform(-1, 1)), factor: Float32Array.from({ length: 20 }, () => rng.uniform(0.2, 2)) };
    const { json, outputs, expected } = await roundTrip({ ...model, inputShape: [20] }, weights, x, 7, scaler);
    expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual(['Dropout', 'Dense', 'LeakyReLU', 'Dense']);
    expected.forEach((p, i) => expect(Math.abs(outputs[i] - p)).toBeLessThan(1e-5));
  });
});
