import { describe, expect, it } from 'vitest';
import { convOutputSize, paddingBeforeAfter, sequentialShapes, type SequentialLayer } from '../../src/models/layers.js';

const kernel = { init: 'glorot_uniform' as const, l1: 0, l2: 0, maxNorm: null };
const conv = (filters: number, k: number, s = 1, padding: 'valid' | 'same' = 'valid'): SequentialLayer =>
  ({ kind: 'conv2d', filters, kernelSize: [k, k], strides: [s, s], padding, activation: 'relu', ...kernel });
const maxPool = (p: number, padding: 'valid' | 'same' = 'valid'): SequentialLayer =>
  ({ kind: 'max_pooling2d', poolSize: [p, p], strides: [p, p], padding });

describe('Keras shape rules', () => {
  it('valid and same output sizes as TensorFlow computes them', () => {
    // tf.keras.layers.Conv2D(1, 3, strides=2, padding=...)(zeros((1, 28, 28, 1))).shape
    expect(convOutputSize(28, 3, 2, 'valid')).toBe(13);
    expect(convOutputSize(28, 3, 2, 'same')).toBe(14);
    expect(convOutputSize(5, 5, 1, 'valid')).toBe(1);
    expect(convOutputSize(7, 2, 2, 'valid')).toBe(3);
    expect(convOutputSize(7, 2, 2, 'same')).toBe(4);
  });

  it("same padding puts the odd pixel after, as TensorFlow does", () => {
    expect(paddingBeforeAfter(28, 3, 1, 'same')).toEqual([1, 1]);
    expect(paddingBeforeAfter(28, 4, 1, 'same')).toEqual([1, 2]);
    expect(paddingBeforeAfter(28, 3, 2, 'same')).toEqual([0, 1]);
    expect(paddingBeforeAfter(7, 2, 2, 'same')).toEqual([0, 1]);
    expect(paddingBeforeAfter(28, 3, 1, 'valid')).toEqual([0, 0]);
  });

  it('LeNet on 28x28x1: conv 32 3x3, pool 2, conv 64 3x3, pool 2, flatten, dense 128, dense 10', () => {
    const layers: SequentialLayer[] = [conv(32, 3), maxPool(2), conv(64, 3), maxPool(2), { kind: 'flatten' },
      { kind: 'dense', units: 128, activation: 'relu', ...kernel }, { kind: 'dense', units: 10, activation: 'softmax', ...kernel }];
    const r = sequentialShapes(layers, [28, 28, 1]);
    expect(r).toEqual({ ok: true, shapes: [[26, 26, 32], [13, 13, 32], [11, 11, 64], [5, 5, 64], [1600], [128], [10]] });
  });

  it('names the layer whose kernel is larger than its input, and the one whose output vanishes', () => {
    const big = sequentialShapes([conv(8, 3), maxPool(2), conv(8, 15)], [28, 28, 1]);
    expect(big).toMatchObject({ ok: false, index: 2, field: 'kernel_size' });
    const gone = sequentialShapes([conv(8, 3, 1, 'same'), maxPool(2), maxPool(2), maxPool(2), maxPool(2), maxPool(2)], [28, 28, 1]);
    expect(gone).toMatchObject({ ok: false, index: 5, field: 'pool_size' });
    expect(sequentialShapes([maxPool(2, 'same'), maxPool(2, 'same'), maxPool(2, 'same'), maxPool(2, 'same'), maxPool(2, 'same'), maxPool(2, 'same')], [28, 28, 1]))
      .toMatchObject({ ok: true, shapes: [[14, 14, 1], [7, 7, 1], [4, 4, 1], [2, 2, 1], [1, 1, 1], [1, 1, 1]] });
  });

  it('a conv on tabular data is refused at its index', () => {
    expect(sequentialShapes([{ kind: 'dense', units: 4, activation: 'relu', ...kernel }, conv(4, 3)], [20]))
      .toMatchObject({ ok: false, index: 1, field: 'kind' });
  });
});

describe('Sequential initial weights', () => {
  it('Keras shapes and receptive-field fans: glorot_uniform on a 3x3x1x32 kernel is bounded by sqrt(6 / (9 + 288))', async () => {
    const { sequentialInitialWeights, sequentialWeightShapes } = await import('../../src/models/weights.js');
    const layers: SequentialLayer[] = [conv(32, 3), { kind: 'batch_normalization', momentum: 0.99, epsilon: 1e-3 }, maxPool(2), { kind: 'flatten' },
      { kind: 'dense', units: 10, activation: 'softmax', ...kernel }];
    expect(sequentialWeightShapes(layers, [28, 28, 1])).toEqual([[[3, 3, 1, 32], [32]], [[32], [32], [32], [32]], [], [], [[5408, 10], [10]]]);
    const w = sequentialInitialWeights(layers, [28, 28, 1], 7);
    expect(w.map((a) => a.length)).toEqual([288, 32, 32, 32, 32, 32, 54080, 10]);
    const bound = Math.sqrt(6 / (9 * 1 + 9 * 32));
    const maxAbs = w[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(0.9 * bound); // 288 draws reach near the bound; a wrong fan (1 + 32) would give 0.43, not 0.14
    expect(Array.from(w[2])).toEqual(new Array(32).fill(1));
    expect(sequentialInitialWeights(layers, [28, 28, 1], 7)[0]).toEqual(w[0]);
  });
});
