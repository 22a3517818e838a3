import { describe, expect, it } from 'vitest';
import { hash32, mixSeed, Rng, uniformAt } from '../src/rng.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniform numbers in [0, 1) with the right mean and variance', () => {
    const r = new Rng(1);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      s2 += u * u;
    }
    expect(s / n).toBeCloseTo(0.5, 2);
    expect(s2 / n - (s / n) ** 2).toBeCloseTo(1 / 12, 3);
  });

  it('draws standard normals and truncates at two standard deviations', () => {
    const r = new Rng(2);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(s / n).toBeCloseTo(0, 2);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.015); // 5 standard errors
    for (let i = 0; i < 10_000; i++) expect(Math.abs(r.truncatedNormal())).toBeLessThanOrEqual(2);
  });

  it('makes permutations of 0..n-1', () => {
    const p = new Rng(3).permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('int(n) covers 0..n-1 uniformly', () => {
    const r = new Rng(4);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});

describe('counter-based generator', () => {
  it('is a pure function of (key, counter)', () => {
    expect(hash32(5, 9)).toBe(hash32(5, 9));
    expect(hash32(5, 9)).not.toBe(hash32(5, 10));
    expect(hash32(5, 9)).not.toBe(hash32(6, 9));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
  });

  it('gives uniform values with 24-bit resolution', () => {
    let s = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = uniformAt(123, i);
      expect(u >= 0 && u < 1).toBe(true);
      expect(Number.isInteger(u * 16777216)).toBe(true);
      s += u;
    }
    expect(s / n).toBeCloseTo(0.5, 2);
  });
});
