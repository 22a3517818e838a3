/**
 * Gaussian-process regression with a Matérn-5/2 kernel: one inverse squared lengthscale per
 * dimension (squared distance for numeric dimensions, Hamming for categorical ones), a signal
 * variance, and a learned observation noise with a floor. Hyperparameters are the MAP estimate
 * (log marginal likelihood + priors) found by multi-start L-BFGS in log coordinates. Pure.
 */
import { cholesky, cholInverse, cholSolve, logDet, solveLower, type Cholesky } from './linalg.js';
import { lbfgs } from './lbfgs.js';
import { Rng } from '../../rng.js';

export const MIN_NOISE = 1e-6;
const SQRT5 = Math.sqrt(5);

export interface KernelParams {
  /** l_j in r^2 = sum_j l_j d_j^2. */
  invSqLengthscales: Float64Array;
  /** Signal variance c. */
  scale: number;
  /** Observation noise variance (>= MIN_NOISE). */
  noise: number;
}

/** Matérn 5/2 as a function of r: (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r). */
export function matern52(r: number): number {
  return (1 + SQRT5 * r + (5 / 3) * r * r) * Math.exp(-SQRT5 * r);
}

/** d matern52 / d(r^2) = -(5/6)(1 + sqrt5 r) exp(-sqrt5 r); finite at r = 0. */
function dMaternDr2(r: number): number {
  return -(5 / 6) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
}

/** Per-dimension squared distance: (a - b)^2, or 1 when categorical values differ. */
export function dimDistance(a: number, b: number, categorical: boolean): number {
  return categorical ? (a === b ? 0 : 1) : (a - b) * (a - b);
}

export function kernel(a: Float64Array, b: Float64Array, p: KernelParams, cat: boolean[]): number {
  let r2 = 0;
  for (let j = 0; j < a.length; j++) r2 += p.invSqLengthscales[j] * dimDistance(a[j], b[j], cat[j]);
  return p.scale * matern52(Math.sqrt(r2));
}

/**
 * Log prior of the kernel parameters, as densities of the natural parameters (Optuna GPSampler's
 * documented choices): l_j ~ Gamma(2, 0.5), c ~ Gamma(2, 1), noise ~ Gamma(1.1, 30); gradients in the
 * log coordinates the fit moves in. (Measured on Hartmann6: this lengthscale prior, with local
 * candidates around the incumbents, beats the dimension-scaled log-normal prior; see bench:sampler.)
 */
function logPrior(p: KernelParams, d: number): { value: number; grad: Float64Array } {
  const grad = new Float64Array(d + 2);
  let value = 0;
  for (let j = 0; j < d; j++) {
    // (2 - 1) log l - 0.5 l; d/d log l = 1 - 0.5 l
    const l = p.invSqLengthscales[j];
    value += Math.log(l) - 0.5 * l;
    grad[j] = 1 - 0.5 * l;
  }
  // scale ~ Gamma(2, 1): log p = log c - c; d/d log c = 1 - c
  value += Math.log(p.scale) - p.scale;
  grad[d] = 1 - p.scale;
  // noise ~ Gamma(1.1, 30): 0.1 log s - 30 s; with s = MIN_NOISE + e^phi, d/dphi = (0.1/s - 30)(s - MIN_NOISE)
  value += 0.1 * Math.log(p.noise) - 30 * p.noise;
  grad[d + 1] = (0.1 / p.noise - 30) * (p.noise - MIN_NOISE);
  return { value, grad };
}

export interface GpData {
  X: Float64Array[];
  /** Standardized observations. */
  y: Float64Array;
  categorical: boolean[];
}

function toParams(theta: Float64Array, d: number): KernelParams {
  return {
    invSqLengthscales: Float64Array.from({ length: d }, (_, j) => Math.exp(theta[j])),
    scale: Math.exp(theta[d]),
    noise: MIN_NOISE + Math.exp(theta[d + 1]),
  };
}

export function toTheta(p: KernelParams): Float64Array {
  const d = p.invSqLengthscales.length;
  const t = new Float64Array(d + 2);
  for (let j = 0; j < d; j++) t[j] = Math.log(p.invSqLengthscales[j]);
  t[d] = Math.log(p.scale);
  t[d + 1] = Math.log(Math.max(p.noise - MIN_NOISE, 1e-12));
  return t;
}

/** The priors' modes: a starting point for the fit. */
export function defaultKernelParams(d: number): KernelParams {
  return { invSqLengthscales: new Float64Array(d).fill(2), scale: 1, noise: 0.01 };
}

/**
 * Negative log posterior of the kernel parameters and its gradient in theta = (log l, log c,
 * log(noise - floor)). dLML/dtheta = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta).
 */
function negLogPosterior(theta: Float64Array, data: GpData, dist: Float64Array[]): [number, Float64Array] {
  const n = data.y.length;
  const d = data.categorical.length;
  const p = toParams(theta, d);
  const K = new Float64Array(n * n);
  const dK = new Float64Array(n * n); // d k / d(r^2) times c, per pair
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      let r2 = 0;
      const base = i * n + k;
      for (let j = 0; j < d; j++) r2 += p.invSqLengthscales[j] * dist[j][base];
      const r = Math.sqrt(r2);
      const v = p.scale * matern52(r);
      K[base] = K[k * n + i] = v;
      dK[base] = dK[k * n + i] = p.scale * dMaternDr2(r);
    }
    K[i * n + i] += p.noise;
  }
  let chol: Cholesky;
  try {
    chol = cholesky(K, n);
  } catch {
    return [Infinity, new Float64Array(d + 2)];
  }
  const alpha = cholSolve(chol, data.y);
  let yAlpha = 0;
  for (let i = 0; i < n; i++) yAlpha += data.y[i] * alpha[i];
  const lml = -0.5 * yAlpha - 0.5 * logDet(chol) - 0.5 * n * Math.log(2 * Math.PI);
  const Kinv = cholInverse(chol);
  // W = alpha alpha^T - K^-1 (symmetric)
  const grad = new Float64Array(d + 2);
  let trScale = 0;
  let trNoise = 0;
  const gl = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    // W and dK are symmetric: each off-diagonal pair counted once, twice over
    for (let k = 0; k <= i; k++) {
      const idx = i * n + k;
      const twice = k === i ? 1 : 2;
      const w = alpha[i] * alpha[k] - Kinv[idx];
      const kern = i === k ? K[idx] - p.noise : K[idx];
      trScale += twice * w * kern; // dK/dlog c = c M = K - noise I
      if (i === k) trNoise += w;
      const dk = twice * w * dK[idx];
      if (dk !== 0) for (let j = 0; j < d; j++) gl[j] += dk * dist[j][idx];
    }
  }
  for (let j = 0; j < d; j++) grad[j] = 0.5 * gl[j] * p.invSqLengthscales[j];
  grad[d] = 0.5 * trScale;
  grad[d + 1] = 0.5 * trNoise * (p.noise - MIN_NOISE);
  const prior = logPrior(p, d);
  const out = new Float64Array(d + 2);
  for (let j = 0; j < d + 2; j++) out[j] = -(grad[j] + prior.grad[j]);
  return [-(lml + prior.value), out];
}

/** Pairwise per-dimension distances, dist[j][i * n + k]. */
function pairwiseDistances(data: GpData): Float64Array[] {
  const n = data.y.length;
  return data.categorical.map((cat, j) => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) m[i * n + k] = dimDistance(data.X[i][j], data.X[k][j], cat);
    return m;
  });
}

/**
 * MAP kernel parameters by L-BFGS from several starts: the prior's center, `restarts` points drawn
 * around it with `seed`, and `warm` if given. Deterministic for its inputs.
 */
export function fitKernelParams(data: GpData, opts: { seed?: number; restarts?: number; warm?: KernelParams | null } = {}): KernelParams {
  const d = data.categorical.length;
  const dist = pairwiseDistances(data);
  const center = toTheta(defaultKernelParams(d));
  const starts = [center];
  const rng = new Rng(opts.seed ?? 0);
  for (let s = 0; s < (opts.restarts ?? 1); s++) starts.push(Float64Array.from(center, (v, j) => v + (j < d ? 2 * rng.normal() : rng.normal())));
  const warm = opts.warm;
  if (warm && warm.invSqLengthscales.length === d) starts.push(toTheta(warm));
  let best: { x: Float64Array; f: number } | null = null;
  for (const x0 of starts) {
    // keep theta in a sane box: lengthscales e^-10..e^10, scale e^-8..e^5, noise e^-25..e^2
    const lower = Float64Array.from({ length: d + 2 }, (_, j) => (j < d ? -12 : j === d ? -8 : -25));
    const upper = Float64Array.from({ length: d + 2 }, (_, j) => (j < d ? 12 : j === d ? 5 : 2));
    const r = lbfgs((t) => negLogPosterior(t, data, dist), x0, { maxIterations: 200, gradTol: 1e-5, lower, upper });
    if (!best || r.f < best.f) best = r;
  }
  return toParams(best!.x, d);
}

/** A fitted GP: posterior mean and variance of f (not y) at any point, with gradients. */
export class GaussianProcess {
  private readonly chol: Cholesky;
  private readonly alpha: Float64Array;
  readonly n: number;

  constructor(readonly data: GpData, readonly params: KernelParams) {
    this.n = data.y.length;
    const n = this.n;
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k <= i; k++) K[i * n + k] = K[k * n + i] = kernel(data.X[i], data.X[k], params, data.categorical);
      K[i * n + i] += params.noise;
    }
    this.chol = cholesky(K, n);
    this.alpha = cholSolve(this.chol, data.y);
  }

  private kStar(x: Float64Array): Float64Array {
    return Float64Array.from(this.data.X, (xi) => kernel(x, xi, this.params, this.data.categorical));
  }

  posterior(x: Float64Array): { mean: number; variance: number } {
    const ks = this.kStar(x);
    let mean = 0;
    for (let i = 0; i < this.n; i++) mean += ks[i] * this.alpha[i];
    const v = solveLower(this.chol, ks);
    let vv = 0;
    for (let i = 0; i < this.n; i++) vv += v[i] * v[i];
    return { mean, variance: Math.max(this.params.scale - vv, 1e-12 * this.params.scale) };
  }

  /** Posterior with d mean/dx and d variance/dx over the numeric dimensions (0 for categorical). */
  posteriorWithGrad(x: Float64Array): { mean: number; variance: number; dMean: Float64Array; dVar: Float64Array } {
    const d = x.length;
    const n = this.n;
    const p = this.params;
    const ks = new Float64Array(n);
    const dks: Float64Array[] = Array.from({ length: d }, () => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const xi = this.data.X[i];
      let r2 = 0;
      for (let j = 0; j < d; j++) r2 += p.invSqLengthscales[j] * dimDistance(x[j], xi[j], this.data.categorical[j]);
      const r = Math.sqrt(r2);
      ks[i] = p.scale * matern52(r);
      const g = p.scale * dMaternDr2(r);
      for (let j = 0; j < d; j++) if (!this.data.categorical[j]) dks[j][i] = g * p.invSqLengthscales[j] * 2 * (x[j] - xi[j]);
    }
    let mean = 0;
    for (let i = 0; i < n; i++) mean += ks[i] * this.alpha[i];
    const v = solveLower(this.chol, ks);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += v[i] * v[i];
    const variance = Math.max(p.scale - vv, 1e-12 * p.scale);
    const Kinvk = cholSolve(this.chol, ks);
    const dMean = new Float64Array(d);
    const dVar = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      if (this.data.categorical[j]) continue;
      let dm = 0;
      let dv = 0;
      for (let i = 0; i < n; i++) {
        dm += dks[j][i] * this.alpha[i];
        dv += dks[j][i] * Kinvk[i];
      }
      dMean[j] = dm;
      dVar[j] = -2 * dv;
    }
    return { mean, variance, dMean, dVar };
  }

  /** A GP with the same kernel and extra (pseudo-)observations. */
  withObservations(X: Float64Array[], y: number[]): GaussianProcess {
    return new GaussianProcess({ ...this.data, X: [...this.data.X, ...X], y: Float64Array.from([...this.data.y, ...y]) }, this.params);
  }
}
