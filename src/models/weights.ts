/**
 * A model's initial weights, in Keras order (per layer: kernel, bias, and for batch-normalized
 * hidden layers gamma, beta, moving_mean, moving_variance). Every engine starts from these, so the
 * same seed gives the same initial weights whatever the engine.
 */
import { Rng } from '../rng.js';
import type { ModelConfig } from './config.js';
import { initKernel } from './initializers.js';

/** Stream id for weight initialization: layer l's kernel draws from Rng.derive(seed, INIT_STREAM, l). */
export const INIT_STREAM = 0x494e4954; // 'INIT'

/** Layer widths: input, hidden..., output. */
export function layerWidths(m: ModelConfig): number[] {
  return [m.inputDim, ...m.hidden.map((h) => h.units), m.outputDim];
}

export function initialWeights(m: ModelConfig, seed: number): Float32Array[] {
  const widths = layerWidths(m);
  const out: Float32Array[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l];
    const fanOut = widths[l + 1];
    out.push(initKernel(m.init, fanIn, fanOut, Rng.derive(seed, INIT_STREAM, l)), new Float32Array(fanOut));
    if (l < m.hidden.length && m.batchNorm) {
      out.push(new Float32Array(fanOut).fill(1), new Float32Array(fanOut), new Float32Array(fanOut), new Float32Array(fanOut).fill(1));
    }
  }
  return out;
}

/** The shape of each weight array, in the same order. */
export function weightShapes(m: ModelConfig): number[][] {
  const widths = layerWidths(m);
  const out: number[][] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    out.push([widths[l], widths[l + 1]], [widths[l + 1]]);
    if (l < m.hidden.length && m.batchNorm) out.push([widths[l + 1]], [widths[l + 1]], [widths[l + 1]], [widths[l + 1]]);
  }
  return out;
}
