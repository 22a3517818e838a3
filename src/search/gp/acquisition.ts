/**
 * Maximizing log expected improvement over the unit cube: quasi-random (Sobol) candidates, then
 * bounded L-BFGS on the numeric dimensions from the best of them, then exhaustive (small) or
 * coordinate-wise (large) search over categorical values.
 */
import { Rng } from '../../rng.js';
import type { Dim } from './encode.js';
import { dimDistance, type GaussianProcess } from './gp.js';
import { lbfgs } from './lbfgs.js';
import { sobolPoints, SOBOL_MAX_DIMS } from './sobol.js';
import { dLogH, logEI, logH } from './special.js';

export interface AcquisitionOptions {
  candidates?: number;
  localStarts?: number;
  /** Enumerate every categorical combination when there are at most this many. */
  exhaustiveLimit?: number;
  /** Extra starting points (e.g. the best observed points). */
  seeds?: Float64Array[];
  /** Candidates drawn around each seed point. */
  aroundSeed?: number;
}

/**
 * What is maximized: log EI under the GP, plus a repulsion from points whose trials diverged.
 * Diverged trials never enter the GP as numbers; instead each multiplies the acquisition by
 * (1 - exp(-r^2 / 2)), r the kernel distance to it (local penalization), which is 0 on the
 * diverged point itself and ~1 a few lengthscales away.
 */
export interface Acquisition {
  gp: GaussianProcess;
  /** Best (standardized, maximized) value so far. */
  best: number;
  avoid: Float64Array[];
}

function penalty(acq: Acquisition, x: Float64Array, grad: Float64Array | null): number {
  const { invSqLengthscales: l } = acq.gp.params;
  const cat = acq.gp.data.categorical;
  let total = 0;
  for (const f of acq.avoid) {
    let r2 = 0;
    for (let j = 0; j < x.length; j++) r2 += l[j] * dimDistance(x[j], f[j], cat[j]);
    const s = r2 / 2;
    if (s === 0) return -Infinity;
    total += Math.log(-Math.expm1(-s));
    if (grad) {
      const k = 1 / Math.expm1(s); // d/ds log(1 - e^-s)
      for (let j = 0; j < x.length; j++) if (!cat[j]) grad[j] += k * l[j] * (x[j] - f[j]);
    }
  }
  return total;
}

/** The acquisition and its gradient in x (numeric dimensions). */
export function logEIWithGrad(acq: Acquisition, x: Float64Array): [number, Float64Array] {
  const { mean, variance, dMean, dVar } = acq.gp.posteriorWithGrad(x);
  const sigma = Math.sqrt(variance);
  const z = (mean - acq.best) / sigma;
  const dh = dLogH(z);
  const dMu = dh / sigma;
  const dV = (1 - z * dh) / (2 * variance);
  const grad = Float64Array.from(dMean, (dm, j) => dMu * dm + dV * dVar[j]);
  const value = Math.log(sigma) + logH(z) + penalty(acq, x, grad);
  return [value, grad];
}

export function acquisition(acq: Acquisition, x: Float64Array): number {
  const { mean, variance } = acq.gp.posterior(x);
  return logEI(mean, variance, acq.best) + penalty(acq, x, null);
}

/** Points spread over the cube; categorical coordinates become choice indices. */
export function spreadPoints(dims: Dim[], count: number, seed: number, skip = 0): Float64Array[] {
  const raw = dims.length <= SOBOL_MAX_DIMS
    ? sobolPoints(dims.length, count, seed, skip)
    : (() => {
        const rng = new Rng(seed);
        return Array.from({ length: count }, () => Float64Array.from(dims, () => rng.next()));
      })();
  return raw.map((u) => Float64Array.from(u, (v, j) => (dims[j].categorical ? Math.min(dims[j].size - 1, Math.floor(v * dims[j].size)) : v)));
}

function refineNumeric(acq: Acquisition, x: Float64Array, dims: Dim[]): { x: Float64Array; value: number } {
  const numeric = dims.map((d, j) => (d.categorical ? -1 : j)).filter((j) => j >= 0);
  if (numeric.length === 0) return { x, value: acquisition(acq, x) };
  const full = Float64Array.from(x);
  const r = lbfgs(
    (u) => {
      numeric.forEach((j, k) => (full[j] = u[k]));
      const [v, g] = logEIWithGrad(acq, full);
      if (!Number.isFinite(v)) return [Infinity, new Float64Array(numeric.length)];
      return [-v, Float64Array.from(numeric, (j) => -g[j])];
    },
    Float64Array.from(numeric, (j) => x[j]),
    { maxIterations: 50, gradTol: 1e-6, lower: new Float64Array(numeric.length), upper: new Float64Array(numeric.length).fill(1) },
  );
  const out = Float64Array.from(x);
  numeric.forEach((j, k) => (out[j] = r.x[k]));
  return { x: out, value: acquisition(acq, out) };
}

function categoricalSearch(acq: Acquisition, x: Float64Array, value: number, dims: Dim[], exhaustiveLimit: number): { x: Float64Array; value: number } {
  const cats = dims.map((d, j) => (d.categorical ? j : -1)).filter((j) => j >= 0);
  if (cats.length === 0) return { x, value };
  const combos = cats.reduce((n, j) => n * dims[j].size, 1);
  let bestX = x;
  let bestV = value;
  if (combos <= exhaustiveLimit) {
    for (let c = 0; c < combos; c++) {
      const cand = Float64Array.from(x);
      let rest = c;
      for (const j of cats) {
        cand[j] = rest % dims[j].size;
        rest = Math.floor(rest / dims[j].size);
      }
      const v = acquisition(acq, cand);
      if (v > bestV) {
        bestV = v;
        bestX = cand;
      }
    }
    return { x: bestX, value: bestV };
  }
  for (let pass = 0; pass < 3; pass++) {
    let improved = false;
    for (const j of cats) {
      for (let c = 0; c < dims[j].size; c++) {
        if (c === bestX[j]) continue;
        const cand = Float64Array.from(bestX);
        cand[j] = c;
        const v = acquisition(acq, cand);
        if (v > bestV) {
          bestV = v;
          bestX = cand;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { x: bestX, value: bestV };
}

/**
 * Candidates near the best observed points: each numeric coordinate moved alone (uniformly over its
 * range) and all coordinates jittered together, so flat directions near an incumbent get examined.
 */
function aroundSeeds(seeds: Float64Array[], dims: Dim[], seed: number, perSeed: number): Float64Array[] {
  if (perSeed === 0) return [];
  const rng = new Rng(seed ^ 0x5eed);
  const out: Float64Array[] = [];
  for (const s of seeds) {
    for (let k = 0; k < perSeed; k++) {
      const x = Float64Array.from(s);
      if (k % 2 === 0) {
        const j = rng.int(dims.length);
        x[j] = dims[j].categorical ? rng.int(dims[j].size) : rng.next();
      } else {
        for (let j = 0; j < dims.length; j++) if (!dims[j].categorical) x[j] = Math.min(1, Math.max(0, x[j] + 0.05 * rng.normal()));
      }
      out.push(x);
    }
  }
  return out;
}

/** The point of the cube with the highest log EI found. */
export function maximizeAcquisition(acq: Acquisition, dims: Dim[], seed: number, opts: AcquisitionOptions = {}): { x: Float64Array; value: number } {
  const count = opts.candidates ?? 2048;
  const starts = opts.localStarts ?? 8;
  const exhaustiveLimit = opts.exhaustiveLimit ?? 256;
  const candidates = [...spreadPoints(dims, count, seed), ...(opts.seeds ?? []), ...aroundSeeds(opts.seeds ?? [], dims, seed, opts.aroundSeed ?? 200)];
  const scored = candidates.map((x) => ({ x, value: acquisition(acq, x) }));
  scored.sort((a, b) => b.value - a.value);
  const chosen = scored.slice(0, starts);
  for (const s of opts.seeds ?? []) if (!chosen.some((c) => c.x === s)) chosen.push({ x: s, value: acquisition(acq, s) });
  let winner = scored[0];
  for (const start of chosen) {
    let cur = refineNumeric(acq, start.x, dims);
    const afterCat = categoricalSearch(acq, cur.x, cur.value, dims, exhaustiveLimit);
    if (afterCat.x !== cur.x) cur = refineNumeric(acq, afterCat.x, dims);
    if (cur.value < afterCat.value) cur = afterCat;
    if (cur.value > winner.value || !Number.isFinite(winner.value)) winner = cur;
  }
  return winner;
}
