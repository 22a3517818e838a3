/**
 * Dropout masks from a counter-based generator: the mask of (model seed, update step, layer) is a pure
 * function, so every engine (tfjs, JS, native, WGSL) drops the same units. Keras semantics: a unit is
 * kept when u >= rate, and kept units are scaled by 1 / (1 - rate) (inverted dropout).
 */
import { hash32, mixSeed, uniformAt } from '../rng.js';

/** Stream id separating dropout from other uses of a model's seed. */
const DROPOUT_STREAM = 0x44524f50; // 'DROP'

/** The key of one layer's mask at one update step; unit (row, j) uses counter row * units + j. */
export function dropoutKey(seed: number, step: number, layer: number): number {
  return hash32(mixSeed(seed, DROPOUT_STREAM, layer), step);
}

/** Fills `out` (rows x units) with 0 or 1 / (1 - rate). */
export function dropoutMask(out: Float32Array, rows: number, units: number, rate: number, key: number): Float32Array {
  const scale = 1 / (1 - rate);
  const n = rows * units;
  for (let i = 0; i < n; i++) out[i] = uniformAt(key, i) >= rate ? scale : 0;
  return out;
}
