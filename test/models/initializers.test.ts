import { describe, expect, it } from 'vitest';
import { initKernel, initializerScale, TRUNCATED_NORMAL_STD_CORRECTION } from '../../src/models/initializers.js';
import { Rng } from '../../src/rng.js';
import type { Initializer } from '../../src/spec/vocabulary.js';

function stats(w: Float32Array) {
  let s = 0;
  let s2 = 0;
  let max = 0;
  for (const v of w) {
    s += v;
    s2 += v * v;
    max = Math.max(max, Math.abs(v));
  }
  const mean = s / w.length;
  return { mean, std: Math.sqrt(s2 / w.length - mean * mean), max };
}

describe('Keras initializers', () => {
  const fanIn = 400;
  const fanOut = 100;
  // Keras definitions: uniform limit, or the std of the (truncated) normal actually produced
  const uniformLimit: Partial<Record<Initializer, number>> = {
    uniform: 0.05,
    lecun_uniform: Math.sqrt(3 / fanIn),
    glorot_uniform: Math.sqrt(6 / (fanIn + fanOut)),
    he_uniform: Math.sqrt(6 / fanIn),
  };
  const normalStd: Partial<Record<Initializer, number>> = {
    normal: 0.05,
    lecun_normal: Math.sqrt(1 / fanIn),
    glorot_normal: Math.sqrt(2 / (fanIn + fanOut)),
    he_normal: Math.sqrt(2 / fanIn),
  };

  for (const [name, limit] of Object.entries(uniformLimit)) {
    it(`${name} is U(-${limit!.toFixed(4)}, ${limit!.toFixed(4)})`, () => {
      const w = initKernel(name as Initializer, fanIn, fanOut, new Rng(1));
      const s = stats(w);
      expect(s.max).toBeLessThanOrEqual(limit! * (1 + 1e-6));
      expect(s.max).toBeGreaterThan(limit! * 0.99);
      expect(s.std).toBeCloseTo(limit! / Math.sqrt(3), 3);
      expect(Math.abs(s.mean)).toBeLessThan(limit! * 0.02);
    });
  }

  for (const [name, std] of Object.entries(normalStd)) {
    it(`${name} has standard deviation ${std!.toFixed(4)}`, () => {
      const w = initKernel(name as Initializer, fanIn, fanOut, new Rng(2));
      const s = stats(w);
      expect(Math.abs(s.std - std!) / std!).toBeLessThan(0.01);
      expect(Math.abs(s.mean)).toBeLessThan(std! * 0.02);
      if (name !== 'normal') {
        // truncated at two standard deviations of the underlying normal
        expect(s.max).toBeLessThanOrEqual((2 * std!) / TRUNCATED_NORMAL_STD_CORRECTION + 1e-7);
        expect(initializerScale(name as Initializer, fanIn, fanOut).kind).toBe('truncated_normal');
      }
    });
  }

  it('zero is all zeros', () => {
    expect(initKernel('zero', 10, 5, new Rng(3)).every((v) => v === 0)).toBe(true);
  });

  it('orthogonal has orthonormal columns (tall) and rows (wide)', () => {
    for (const [rows, cols] of [[30, 10], [10, 30], [16, 16]]) {
      const w = initKernel('orthogonal', rows, cols, new Rng(4));
      const inner = rows >= cols ? cols : rows;
      const outer = rows >= cols ? rows : cols;
      for (let a = 0; a < inner; a++) {
        for (let b = 0; b < inner; b++) {
          let dot = 0;
          for (let k = 0; k < outer; k++) {
            const va = rows >= cols ? w[k * cols + a] : w[a * cols + k];
            const vb = rows >= cols ? w[k * cols + b] : w[b * cols + k];
            dot += va * vb;
          }
          expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
        }
      }
    }
  });

  it('is deterministic for a seed', () => {
    expect([...initKernel('he_normal', 20, 7, new Rng(9))]).toEqual([...initKernel('he_normal', 20, 7, new Rng(9))]);
    expect([...initKernel('he_normal', 20, 7, new Rng(9))]).not.toEqual([...initKernel('he_normal', 20, 7, new Rng(10))]);
  });
});
