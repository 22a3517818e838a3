/**
 * The search space as the GP sees it: every numeric parameter mapped to [0, 1] (log parameters in
 * log space; ints and stepped values padded by half a step and rounded back), every categorical
 * parameter kept as its choice index (the kernel compares those by Hamming distance).
 */
import type { Distribution, Params, ParamSpace, ParamValue } from '../space.js';
import { gridValues, roundStep } from '../space.js';

export interface Dim {
  name: string;
  categorical: boolean;
  /** Number of choices (categorical only). */
  size: number;
  /** The encoded values of an integer or stepped parameter, ascending (null: continuous or categorical, or too many values to list). */
  grid: Float64Array | null;
}

/** Integer and stepped parameters with more values than this are searched as continuous ones, then rounded. */
const GRID_LIMIT = 4096;

/** [lo, hi] in the (possibly log) coordinate that maps to [0, 1], with half-step padding. */
function bounds(d: Exclude<Distribution, { kind: 'categorical' }>): [number, number] {
  const step = d.kind === 'int' ? d.step : d.step;
  if (d.log) {
    const pad = d.kind === 'int' ? 0.5 : 0;
    return [Math.log(d.low - pad), Math.log(d.high + pad)];
  }
  const pad = step ? step / 2 : 0;
  return [d.low - pad, d.high + pad];
}

export function dims(space: ParamSpace): Dim[] {
  return space.map((p) => {
    const d = p.dist;
    if (d.kind === 'categorical') return { name: p.name, categorical: true, size: d.choices.length, grid: null };
    const values = d.kind === 'float' && d.step === null ? null : gridValues(d);
    const grid = values && values.length <= GRID_LIMIT ? Float64Array.from(values, (v) => encodeOne(d, v)) : null;
    return { name: p.name, categorical: false, size: 0, grid };
  });
}

function encodeOne(d: Distribution, v: ParamValue | undefined): number {
  // a conditional parameter that does not apply: a category of its own, or the middle of the range
  if (v === undefined) return d.kind === 'categorical' ? -1 : 0.5;
  if (d.kind === 'categorical') {
    const key = JSON.stringify(v);
    const i = d.choices.findIndex((c) => JSON.stringify(c) === key);
    if (i < 0) throw new Error(`value ${key} is not a choice`);
    return i;
  }
  const [lo, hi] = bounds(d);
  if (hi === lo) return 0.5;
  const t = d.log ? Math.log(v as number) : (v as number);
  return Math.min(1, Math.max(0, (t - lo) / (hi - lo)));
}

function decodeOne(d: Distribution, x: number): ParamValue {
  if (d.kind === 'categorical') return d.choices[Math.min(d.choices.length - 1, Math.max(0, Math.round(x)))];
  const [lo, hi] = bounds(d);
  const t = lo + Math.min(1, Math.max(0, x)) * (hi - lo);
  let v = d.log ? Math.exp(t) : t;
  const step = d.kind === 'int' ? d.step : d.step;
  if (step) v = roundStep(d.low + Math.round((v - d.low) / step) * step, step);
  else if (d.kind === 'int') v = Math.round(v);
  return Math.min(d.high, Math.max(d.low, v));
}

/** Params to a point (categoricals as indices). Throws if a value is outside the space. */
export function encode(space: ParamSpace, params: Params): Float64Array {
  return Float64Array.from(space, (p) => encodeOne(p.dist, params[p.name]));
}

export function decode(space: ParamSpace, x: Float64Array): Params {
  return Object.fromEntries(space.map((p, j) => [p.name, decodeOne(p.dist, x[j])]));
}

/** Snaps a point to what decoding would give (rounded ints/steps/categories), re-encoded. */
export function snap(space: ParamSpace, x: Float64Array): Float64Array {
  return encode(space, decode(space, x));
}
