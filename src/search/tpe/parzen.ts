/**
 * Optuna's Parzen estimator (optuna/samplers/_tpe/parzen_estimator.py, v3.1): a weighted mixture
 * with one component per observation plus a prior component, a truncated normal per numeric
 * parameter (in log space for log parameters, as the probability of the value's step cell for
 * stepped and integer ones) and a smoothed one-hot distribution per categorical parameter.
 * Pure; randomness comes from a `UniformSource` consumed in Optuna's order, so that the same
 * uniforms give the same samples as numpy's RandomState in Optuna.
 */
import type { Distribution } from '../space.js';
import { logGaussMass, logPdf, ppf } from './truncnorm.js';

const EPS = 1e-12;
const SIGMA0_MAGNITUDE = 0.2;

/** Uniform doubles in [0, 1): Rng, or numpy's random_sample in tests. */
export interface UniformSource {
  next(): number;
}

/** A parameter as the estimator sees it; numeric bounds are Optuna's Parzen bounds. */
export type ParzenDim =
  | { kind: 'categorical'; size: number }
  | {
      kind: 'numeric';
      /** Bounds in the (log) coordinate, padded by half a step for stepped and integer parameters. */
      low: number;
      high: number;
      /** The step, for stepped floats and linear integers (Optuna's q); null otherwise. */
      q: number | null;
      log: boolean;
      int: boolean;
      /** The distribution's own bounds, for rounding samples back. */
      distLow: number;
      distHigh: number;
    };

/** Optuna's _calculate_parzen_bounds, for a non-categorical distribution. */
export function parzenDim(dist: Distribution): ParzenDim {
  if (dist.kind === 'categorical') return { kind: 'categorical', size: dist.choices.length };
  const base = { kind: 'numeric' as const, log: dist.log, int: dist.kind === 'int', distLow: dist.low, distHigh: dist.high };
  if (dist.kind === 'float') {
    if (dist.log) return { ...base, low: Math.log(dist.low), high: Math.log(dist.high), q: null };
    if (dist.step !== null) return { ...base, low: dist.low - 0.5 * dist.step, high: dist.high + 0.5 * dist.step, q: dist.step };
    return { ...base, low: dist.low, high: dist.high, q: null };
  }
  if (dist.log) return { ...base, low: Math.log(dist.low - 0.5), high: Math.log(dist.high + 0.5), q: null };
  return { ...base, low: dist.low - 0.5 * dist.step, high: dist.high + 0.5 * dist.step, q: dist.step };
}

export interface ParzenParameters {
  considerPrior: boolean;
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  /** Weights of n observations, oldest first (Optuna's `weights`). */
  weights: (n: number) => number[];
  multivariate: boolean;
}

/** Optuna's default_weights: 1 for the newest 25 observations, a ramp from 1/n up for older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  return [...linspace(1 / n, 1, n - 25), ...new Array<number>(25).fill(1)];
}

/** numpy.linspace with endpoint. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const y = Array.from({ length: num }, (_, i) => i * step + start);
  y[num - 1] = stop;
  return y;
}

/** numpy's round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy's cumulative sum of a row, then `searchsorted(cdf / cdf[-1], u, 'right')` (RandomState.choice). */
function choose(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] <= u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per-dimension values: samples[j][i] is parameter j of sample i (Optuna's internal repr). */
export type Columns = Float64Array[];

export class ParzenEstimator {
  /** Component weights, summing to 1 (the prior last when considered). */
  readonly weights: Float64Array;
  readonly mus: (Float64Array | null)[] = [];
  readonly sigmas: (Float64Array | null)[] = [];
  readonly categoricalWeights: (Float64Array[] | null)[] = [];

  /** `observations[j]` holds parameter j of every observation in Optuna's internal repr (category index, raw value). */
  constructor(observations: Columns, readonly dims: ParzenDim[], readonly params: ParzenParameters) {
    const n = observations.length > 0 ? observations[0].length : 0;
    const considerPrior = params.considerPrior || n === 0;
    const w = params.weights(n).slice(0, n);
    const weights = new Float64Array(considerPrior ? n + 1 : n);
    w.forEach((v, i) => (weights[i] = v));
    if (considerPrior) weights[n] = params.priorWeight;
    const total = sum(weights);
    for (let i = 0; i < weights.length; i++) weights[i] /= total;
    this.weights = weights;
    const sigmas0 = params.multivariate ? SIGMA0_MAGNITUDE * Math.max(n, 1) ** (-1 / (dims.length + 4)) : null;
    dims.forEach((d, j) => {
      const obs = observations[j];
      if (d.kind === 'categorical') {
        const rows = considerPrior ? n + 1 : n;
        const value = params.priorWeight / (considerPrior ? n + 1 : n);
        const cw = Array.from({ length: rows }, (_, k) => {
          const row = new Float64Array(d.size).fill(value);
          if (k < n) row[obs[k]] += 1;
          const s = sum(row);
          for (let c = 0; c < d.size; c++) row[c] /= s;
          return row;
        });
        this.categoricalWeights.push(cw);
        this.mus.push(null);
        this.sigmas.push(null);
        return;
      }
      const transformed = Float64Array.from(obs, (v) => (d.log ? Math.log(v) : v));
      const [mus, sigmas] = numericalParams(transformed, d, considerPrior, sigmas0, params);
      this.mus.push(mus);
      this.sigmas.push(sigmas);
      this.categoricalWeights.push(null);
    });
  }

  /** `size` samples (Optuna's `sample`): components drawn by weight, then each parameter in order. */
  sample(rng: UniformSource, size: number): Columns {
    const cdf = new Float64Array(this.weights.length);
    let acc = 0;
    this.weights.forEach((w, k) => (cdf[k] = acc += w));
    const last = cdf[cdf.length - 1];
    for (let k = 0; k < cdf.length; k++) cdf[k] /= last;
    const active = Array.from({ length: size }, () => choose(cdf, rng.next()));
    return this.dims.map((d, j) => {
      const out = new Float64Array(size);
      if (d.kind === 'categorical') {
        const cw = this.categoricalWeights[j]!;
        for (let i = 0; i < size; i++) {
          const u = rng.next();
          const row = cw[active[i]];
          let c = 0;
          let cum = 0;
          for (let k = 0; k < row.length; k++) {
            cum += row[k];
            if (cum < u) c++;
          }
          out[i] = c;
        }
        return out;
      }
      const mus = this.mus[j]!;
      const sigmas = this.sigmas[j]!;
      const qs = Array.from({ length: size }, () => rng.next());
      for (let i = 0; i < size; i++) {
        const mu = mus[active[i]];
        const sigma = sigmas[active[i]];
        out[i] = fromTransformed(d, ppf(qs[i], (d.low - mu) / sigma, (d.high - mu) / sigma) * sigma + mu);
      }
      return out;
    });
  }

  /** log density (probability of the step cell for stepped parameters) of each sample. */
  logPdf(samples: Columns): Float64Array {
    const nSamples = samples.length > 0 ? samples[0].length : 0;
    const K = this.weights.length;
    const comp = Array.from({ length: nSamples }, () => Float64Array.from(this.weights, (w) => Math.log(w)));
    this.dims.forEach((d, j) => {
      const col = samples[j];
      if (d.kind === 'categorical') {
        const cw = this.categoricalWeights[j]!;
        for (let i = 0; i < nSamples; i++) for (let k = 0; k < K; k++) comp[i][k] += Math.log(cw[k][col[i]]);
        return;
      }
      const mus = this.mus[j]!;
      const sigmas = this.sigmas[j]!;
      const accept = Float64Array.from(mus, (mu, k) => logGaussMass((d.low - mu) / sigmas[k], (d.high - mu) / sigmas[k]));
      for (let i = 0; i < nSamples; i++) {
        const x = d.log ? Math.log(col[i]) : col[i];
        for (let k = 0; k < K; k++) {
          const mu = mus[k];
          const s = sigmas[k];
          if (d.q === null) comp[i][k] += logPdf(x, (d.low - mu) / s, (d.high - mu) / s, mu, s);
          else {
            const upper = Math.min(x + d.q / 2, d.high);
            const lower = Math.max(x - d.q / 2, d.low);
            comp[i][k] += logGaussMass((lower - mu) / s, (upper - mu) / s) - accept[k];
          }
        }
      }
    });
    return Float64Array.from(comp, (row) => {
      let max = -Infinity;
      for (const v of row) if (v > max) max = v;
      if (max === -Infinity) return -Infinity;
      let s = 0;
      for (const v of row) s += Math.exp(v - max);
      return Math.log(s) + max;
    });
  }
}

/** Optuna's _calculate_numerical_params: a component per observation at it, and the prior. */
function numericalParams(obs: Float64Array, d: Extract<ParzenDim, { kind: 'numeric' }>, considerPrior: boolean, sigmas0: number | null, p: ParzenParameters): [Float64Array, Float64Array] {
  const n = obs.length;
  const range = d.high - d.low;
  const mus = new Float64Array(considerPrior ? n + 1 : n);
  mus.set(obs);
  if (considerPrior) mus[n] = 0.5 * (d.low + d.high);
  const m = mus.length;
  let sigmas = new Float64Array(m);
  if (sigmas0 !== null) sigmas.fill(sigmas0 * range);
  else {
    // univariate: the larger gap to a neighbour, the domain's ends counting as neighbours
    const order = numpyArgsort(mus);
    const ext = [d.low, ...order.map((i) => mus[i]), d.high];
    const sorted = new Float64Array(m);
    for (let k = 0; k < m; k++) sorted[k] = Math.max(ext[k + 1] - ext[k], ext[k + 2] - ext[k + 1]);
    if (!p.considerEndpoints && ext.length >= 4) {
      sorted[0] = ext[2] - ext[1];
      sorted[m - 1] = ext[ext.length - 2] - ext[ext.length - 3];
    }
    sigmas = new Float64Array(m);
    order.forEach((i, k) => (sigmas[i] = sorted[k]));
  }
  const maxSigma = range;
  const minSigma = p.considerMagicClip ? range / Math.min(100, 1 + m) : EPS;
  for (let k = 0; k < m; k++) sigmas[k] = Math.min(maxSigma, Math.max(minSigma, sigmas[k]));
  if (considerPrior) sigmas[n] = range;
  return [mus, sigmas];
}

/** A sample from the (log) coordinate back to a value: exp, then Optuna's rounding to the step. */
function fromTransformed(d: Extract<ParzenDim, { kind: 'numeric' }>, s: number): number {
  if (d.log) {
    const v = Math.exp(s);
    return d.int ? Math.min(d.distHigh, Math.max(d.distLow, roundHalfEven(v))) : v;
  }
  if (d.q === null) return s;
  const v = roundHalfEven((s - d.distLow) / d.q) * d.q + d.distLow;
  return Math.min(d.distHigh, Math.max(d.distLow, v));
}

/**
 * numpy's default argsort (introsort: median-of-3 quicksort, insertion sort up to 16 elements,
 * heapsort past the depth limit). Not stable: which of two equal observations gets which bandwidth
 * follows numpy exactly, so the samples do too.
 */
export function numpyArgsort(v: ArrayLike<number>): number[] {
  const less = (a: number, b: number) => a < b || (b !== b && a === a);
  const t = [...Array(v.length).keys()];
  const swap = (i: number, j: number) => ([t[i], t[j]] = [t[j], t[i]]);
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = v.length - 1;
  let cdepth = v.length > 0 ? 2 * Math.floor(Math.log2(v.length)) : 0;
  for (;;) {
    if (cdepth < 0) heapsortRange(v, t, pl, pr, less);
    else {
      while (pr - pl > 15) {
        const pm = pl + ((pr - pl) >> 1);
        if (less(v[t[pm]], v[t[pl]])) swap(pm, pl);
        if (less(v[t[pr]], v[t[pm]])) swap(pr, pm);
        if (less(v[t[pm]], v[t[pl]])) swap(pm, pl);
        const vp = v[t[pm]];
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (less(v[t[pi]], vp));
          do --pj;
          while (less(vp, v[t[pj]]));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; pi++) {
        const vi = t[pi];
        const vp = v[vi];
        let pj = pi;
        while (pj > pl && less(vp, v[t[pj - 1]])) {
          t[pj] = t[pj - 1];
          pj--;
        }
        t[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop()!;
    pl = stack.pop()!;
    cdepth = depths.pop()!;
  }
  return t;
}

function heapsortRange(v: ArrayLike<number>, t: number[], pl: number, pr: number, less: (a: number, b: number) => boolean): void {
  const at = (i: number) => pl + i - 1; // 1-based heap index into t
  /** numpy's aheapsort sift-down of `tmp` from heap position i in a heap of n. */
  const sift = (tmp: number, i: number, n: number) => {
    for (let j = 2 * i; j <= n; ) {
      if (j < n && less(v[t[at(j)]], v[t[at(j + 1)]])) j++;
      if (!less(v[tmp], v[t[at(j)]])) break;
      t[at(i)] = t[at(j)];
      i = j;
      j += j;
    }
    t[at(i)] = tmp;
  };
  let n = pr - pl + 1;
  for (let l = n >> 1; l > 0; l--) sift(t[at(l)], l, n);
  while (n > 1) {
    const tmp = t[at(n)];
    t[at(n)] = t[at(1)];
    n--;
    sift(tmp, 1, n);
  }
}

/** numpy's sum (pairwise for long arrays; the difference is in the last bits only). */
function sum(xs: Float64Array): number {
  let s = 0;
  for (const v of xs) s += v;
  return s;
}
