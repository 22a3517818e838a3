/**
 * Feature scaling fitted on the training fold only (no leakage), applied to both parts. Pure.
 * minmax and standard follow sklearn's MinMaxScaler and StandardScaler (population std; a constant
 * feature keeps scale 1).
 * The Scaler it returns is the engines' contract (engine/runtime.ts): engines apply it as they read rows.
 */
import type { Scaler } from '../engine/runtime.js';
import type { Scaling } from '../spec/vocabulary.js';

/** Fits a scaler on the rows `rows` of a row-major matrix x (n x d). */
export function fitScaler(kind: Scaling, x: Float32Array, d: number, rows: ArrayLike<number>): Scaler | null {
  if (kind === 'none') return null;
  const offset = new Float32Array(d);
  const factor = new Float32Array(d);
  if (kind === 'minmax') {
    const lo = new Float64Array(d).fill(Infinity);
    const hi = new Float64Array(d).fill(-Infinity);
    for (let r = 0; r < rows.length; r++) {
      const base = rows[r] * d;
      for (let j = 0; j < d; j++) {
        const v = x[base + j];
        if (v < lo[j]) lo[j] = v;
        if (v > hi[j]) hi[j] = v;
      }
    }
    for (let j = 0; j < d; j++) {
      const range = hi[j] - lo[j];
      offset[j] = lo[j];
      factor[j] = range > 0 ? 1 / range : 1;
    }
    return { offset, factor };
  }
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * d;
    for (let j = 0; j < d; j++) mean[j] += x[base + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= rows.length;
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * d;
    for (let j = 0; j < d; j++) {
      const c = x[base + j] - mean[j];
      sq[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) {
    const std = Math.sqrt(sq[j] / rows.length);
    offset[j] = mean[j];
    factor[j] = std > 0 ? 1 / std : 1;
  }
  return { offset, factor };
}
