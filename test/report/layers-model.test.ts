import { describe, expect, it } from 'vitest';
import { foldScaler } from '../../src/engine/layers-model.js';
import { Rng } from '../../src/rng.js';

describe('exported models take raw features', () => {
  it('folding the scaler into the first Dense layer gives the same pre-activations', () => {
    const rng = new Rng(1);
    const fanIn = 5;
    const fanOut = 3;
    const W = Float32Array.from({ length: fanIn * fanOut }, () => rng.normal());
    const b = Float32Array.from({ length: fanOut }, () => rng.normal());
    const scaler = { offset: Float32Array.from({ length: fanIn }, () => rng.uniform(-2, 2)), factor: Float32Array.from({ length: fanIn }, () => rng.uniform(0.1, 3)) };
    const [W2, b2] = foldScaler(W, b, fanIn, fanOut, scaler);
    const x = Array.from({ length: fanIn }, () => rng.uniform(-5, 5));
    for (let j = 0; j < fanOut; j++) {
      let scaled = b[j];
      let raw = b2[j];
      for (let i = 0; i < fanIn; i++) {
        scaled += (x[i] - scaler.offset[i]) * scaler.factor[i] * W[i * fanOut + j];
        raw += x[i] * W2[i * fanOut + j];
      }
      expect(raw).toBeCloseTo(scaled, 4);
    }
    expect(foldScaler(W, b, fanIn, fanOut, null)).toEqual([W, b]);
  });
});
