import { describe, expect, it } from 'vitest';
import { cholesky, cholInverse, cholSolve } from '../../../src/search/gp/linalg.js';
import { fitKernelParams, GaussianProcess, kernel, matern52, type KernelParams } from '../../../src/search/gp/gp.js';
import { acquisition, logEIWithGrad } from '../../../src/search/gp/acquisition.js';
import { lbfgs } from '../../../src/search/gp/lbfgs.js';
import { Rng } from '../../../src/rng.js';

const params = (l: number[], scale = 1.5, noise = 0.01): KernelParams => ({ invSqLengthscales: Float64Array.from(l), scale, noise });

/** Central difference of f along coordinate j at x. */
function centralDiff(f: (x: Float64Array) => number, x: Float64Array, j: number, h = 1e-6): number {
  const up = Float64Array.from(x);
  const dn = Float64Array.from(x);
  up[j] += h;
  dn[j] -= h;
  return (f(up) - f(dn)) / (2 * h);
}

describe('linear algebra', () => {
  it('solves SPD systems and inverts them', () => {
    const K = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
    const c = cholesky(K, 3);
    const x = cholSolve(c, Float64Array.from([1, 2, 3]));
    for (let i = 0; i < 3; i++) expect(K[i * 3] * x[0] + K[i * 3 + 1] * x[1] + K[i * 3 + 2] * x[2]).toBeCloseTo(i + 1, 12);
    const inv = cholInverse(c);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += K[i * 3 + k] * inv[k * 3 + j];
      expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
    }
  });

  it('adds jitter rather than failing on a singular matrix (duplicate points)', () => {
    const c = cholesky(Float64Array.from([1, 1, 1, 1]), 2);
    expect(c.jitter).toBeGreaterThan(0);
    expect(c.jitter).toBeLessThan(1e-6);
  });
});

describe('Gaussian process', () => {
  it('matches the closed-form posterior of one observation', () => {
    const p = params([2, 3]);
    const x0 = Float64Array.from([0.2, 0.7]);
    const gp = new GaussianProcess({ X: [x0], y: Float64Array.from([1.3]), categorical: [false, false] }, p);
    const x = Float64Array.from([0.5, 0.4]);
    const k = kernel(x, x0, p, [false, false]);
    const { mean, variance } = gp.posterior(x);
    expect(mean).toBeCloseTo((k * 1.3) / (p.scale + p.noise), 12);
    expect(variance).toBeCloseTo(p.scale - (k * k) / (p.scale + p.noise), 12);
  });

  it('matches the closed-form posterior of two observations', () => {
    const p = params([1.7], 0.8, 0.05);
    const X = [Float64Array.from([0.1]), Float64Array.from([0.6])];
    const y = [0.5, -1];
    const gp = new GaussianProcess({ X, y: Float64Array.from(y), categorical: [false] }, p);
    const x = Float64Array.from([0.35]);
    const a = p.scale + p.noise;
    const b = kernel(X[0], X[1], p, [false]);
    const det = a * a - b * b;
    const inv = [a / det, -b / det, -b / det, a / det];
    const k = [kernel(x, X[0], p, [false]), kernel(x, X[1], p, [false])];
    const mean = k[0] * (inv[0] * y[0] + inv[1] * y[1]) + k[1] * (inv[2] * y[0] + inv[3] * y[1]);
    const quad = k[0] * (inv[0] * k[0] + inv[1] * k[1]) + k[1] * (inv[2] * k[0] + inv[3] * k[1]);
    expect(gp.posterior(x).mean).toBeCloseTo(mean, 12);
    expect(gp.posterior(x).variance).toBeCloseTo(p.scale - quad, 12);
  });

  it('uses the Matérn 5/2 form and Hamming distance for categorical dimensions', () => {
    expect(matern52(0)).toBe(1);
    const r = 0.7;
    expect(matern52(r)).toBeCloseTo((1 + Math.sqrt(5) * r + (5 / 3) * r * r) * Math.exp(-Math.sqrt(5) * r), 14);
    const p = params([1, 4], 2, 0);
    // categorical values 0 vs 3 count as distance 1, whatever the codes
    expect(kernel(Float64Array.from([0.5, 0]), Float64Array.from([0.5, 3]), p, [false, true])).toBeCloseTo(2 * matern52(2), 14);
    expect(kernel(Float64Array.from([0.5, 0]), Float64Array.from([0.5, 1]), p, [false, true])).toBeCloseTo(2 * matern52(2), 14);
  });

  it('posterior gradients match finite differences, and so does the log-EI gradient', () => {
    const rng = new Rng(3);
    const X = Array.from({ length: 12 }, () => Float64Array.from([rng.next(), rng.next(), rng.int(3)]));
    const y = Float64Array.from(X, (x) => Math.sin(6 * x[0]) + x[1] * x[1] + 0.3 * x[2]);
    const gp = new GaussianProcess({ X, y, categorical: [false, false, true] }, params([5, 3, 1], 1.2, 1e-4));
    const x = Float64Array.from([0.37, 0.61, 1]);
    const g = gp.posteriorWithGrad(x);
    const [, dEI] = logEIWithGrad({ gp, best: 1.5, avoid: [] }, x);
    for (const j of [0, 1]) {
      expect(g.dMean[j]).toBeCloseTo(centralDiff((p) => gp.posterior(p).mean, x, j), 5);
      expect(g.dVar[j]).toBeCloseTo(centralDiff((p) => gp.posterior(p).variance, x, j), 5);
      expect(dEI[j]).toBeCloseTo(centralDiff((p) => logEIWithGrad({ gp, best: 1.5, avoid: [] }, p)[0], x, j), 4);
    }
    expect(g.dMean[2]).toBe(0);
  });

  it('repels from diverged points: zero acquisition on them, gradient still exact nearby', () => {
    const rng = new Rng(4);
    const X = Array.from({ length: 8 }, () => Float64Array.from([rng.next(), rng.next()]));
    const gp = new GaussianProcess({ X, y: Float64Array.from(X, (x) => x[0] - x[1]), categorical: [false, false] }, params([4, 4], 1, 1e-4));
    const bad = Float64Array.from([0.3, 0.3]);
    const acq = { gp, best: 0.5, avoid: [bad] };
    expect(acquisition(acq, bad)).toBe(-Infinity);
    expect(acquisition(acq, Float64Array.from([0.31, 0.3]))).toBeLessThan(acquisition({ ...acq, avoid: [] }, Float64Array.from([0.31, 0.3])) - 3);
    const x = Float64Array.from([0.42, 0.2]);
    const [, g] = logEIWithGrad(acq, x);
    for (const j of [0, 1]) expect(g[j]).toBeCloseTo(centralDiff((p) => logEIWithGrad(acq, p)[0], x, j), 4);
  });

  it('fits sensible hyperparameters: a relevant and an irrelevant dimension, noise at the floor', () => {
    const rng = new Rng(5);
    const X = Array.from({ length: 40 }, () => Float64Array.from([rng.next(), rng.next()]));
    const raw = X.map((x) => Math.sin(8 * x[0]));
    const m = raw.reduce((a, b) => a + b) / raw.length;
    const sd = Math.sqrt(raw.reduce((a, b) => a + (b - m) ** 2, 0) / raw.length);
    const fit = fitKernelParams({ X, y: Float64Array.from(raw, (v) => (v - m) / sd), categorical: [false, false] });
    expect(fit.invSqLengthscales[0]).toBeGreaterThan(10 * fit.invSqLengthscales[1]);
    expect(fit.noise).toBeLessThan(1e-3);
  });

  it('survives exact duplicate observations', () => {
    const x = Float64Array.from([0.3, 0.3]);
    const data = { X: [x, x, Float64Array.from([0.9, 0.1]), x], y: Float64Array.from([1, 1.01, -1, 0.99]), categorical: [false, false] };
    const fit = fitKernelParams(data);
    const gp = new GaussianProcess(data, fit);
    const p = gp.posterior(Float64Array.from([0.5, 0.5]));
    expect(Number.isFinite(p.mean) && Number.isFinite(p.variance)).toBe(true);
  });
});

describe('L-BFGS', () => {
  it('minimizes the Rosenbrock function, and respects a box', () => {
    const f = (x: Float64Array): [number, Float64Array] => [
      100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
      Float64Array.from([-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)]),
    ];
    const r = lbfgs(f, Float64Array.from([-1.2, 1]), { maxIterations: 500, gradTol: 1e-9 });
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
    const boxed = lbfgs(f, Float64Array.from([0.1, 0.1]), { maxIterations: 500, lower: Float64Array.from([0, 0]), upper: Float64Array.from([0.5, 0.5]) });
    expect(boxed.x[0]).toBeLessThanOrEqual(0.5);
    expect(boxed.x[0]).toBeCloseTo(0.5, 3);
  });
});
