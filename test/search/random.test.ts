import { describe, expect, it } from 'vitest';
import { randomSampler, sampleDistribution } from '../../src/search/random.js';
import { Rng } from '../../src/rng.js';
import { specFrom } from '../helpers.js';

describe('random search', () => {
  const spec = specFrom(`
name: r
params:
  optimizer: [sgd, adam, rmsprop]
  learning_rate: {min: 0.0001, max: 0.1, log: true}
  units: {min: 16, max: 256, log: true}
  batch_size: {min: 16, max: 128, step: 16}
  dropout: {min: 0.0, max: 0.5}
`);

  it('is deterministic per (seed, index) and independent of call order', () => {
    const a = randomSampler({ space: spec.space, seed: 1 });
    const b = randomSampler({ space: spec.space, seed: 1 });
    const forward = [0, 1, 2, 3].map((i) => a.propose(i, [])!);
    const backward = [3, 2, 1, 0].map((i) => b.propose(i, [])!).reverse();
    expect(backward).toEqual(forward);
    expect(randomSampler({ space: spec.space, seed: 2 }).propose(0, [])!).not.toEqual(forward[0]);
  });

  it('stays inside every distribution', () => {
    const s = randomSampler({ space: spec.space, seed: 3 });
    for (let i = 0; i < 500; i++) {
      const p = s.propose(i, [])!;
      expect(['sgd', 'adam', 'rmsprop']).toContain(p.optimizer);
      expect(p.learning_rate as number).toBeGreaterThanOrEqual(0.0001);
      expect(p.learning_rate as number).toBeLessThanOrEqual(0.1);
      expect(Number.isInteger(p.units)).toBe(true);
      expect(p.units as number).toBeGreaterThanOrEqual(16);
      expect(p.units as number).toBeLessThanOrEqual(256);
      expect((p.batch_size as number) % 16).toBe(0);
      expect(p.dropout as number).toBeGreaterThanOrEqual(0);
      expect(p.dropout as number).toBeLessThanOrEqual(0.5);
    }
  });

  it('samples log ranges log-uniformly (median at the geometric mean)', () => {
    const rng = new Rng(5);
    const xs = Array.from({ length: 20_001 }, () => sampleDistribution({ kind: 'float', low: 1e-4, high: 1e-1, log: true, step: null }, rng) as number).sort((a, b) => a - b);
    const median = xs[10_000];
    expect(Math.log10(median)).toBeCloseTo(-2.5, 1);
    // a quarter of the mass per 0.75 decades
    expect(xs.filter((x) => x < 10 ** -3.25).length / xs.length).toBeCloseTo(0.25, 1);
  });

  it('reaches both ends of an integer range and every step', () => {
    const rng = new Rng(6);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampleDistribution({ kind: 'int', low: 16, high: 128, log: false, step: 16 }, rng) as number);
    expect([...seen].sort((a, b) => a - b)).toEqual([16, 32, 48, 64, 80, 96, 112, 128]);
    const logInts = new Set<number>();
    for (let i = 0; i < 5000; i++) logInts.add(sampleDistribution({ kind: 'int', low: 1, high: 8, log: true, step: 1 }, rng) as number);
    expect([...logInts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
