/**
 * A model's initial weights, in Keras order (per layer: kernel, bias, and for batch-normalized
 * hidden layers gamma, beta, moving_mean, moving_variance). Every engine starts from these, so the
 * same seed gives the same initial weights whatever the engine.
 */
import { Rng } from '../rng.js';
import type { ModelConfig } from './config.js';
import { sequentialShapes, type SampleShape, type SequentialLayer } from './layers.js';
import { initKernel } from './initializers.js';

/** Stream id for weight initialization: layer l's kernel draws from Rng.derive(seed, INIT_STREAM, l). */
export const INIT_STREAM = 0x494e4954; // 'INIT'

/** Layer widths: input, hidden..., output. */
export function layerWidths(m: ModelConfig): number[] {
  return [m.inputDim, ...m.hidden.map((h) => h.units), m.outputDim];
}

export function initialWeights(m: ModelConfig, seed: number): Float32Array[] {
  if (m.layers) return sequentialInitialWeights(m.layers, m.inputShape ?? [m.inputDim], seed);
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
  if (m.layers) return sequentialWeightShapes(m.layers, m.inputShape ?? [m.inputDim]).flat();
  const widths = layerWidths(m);
  const out: number[][] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    out.push([widths[l], widths[l + 1]], [widths[l + 1]]);
    if (l < m.hidden.length && m.batchNorm) out.push([widths[l + 1]], [widths[l + 1]], [widths[l + 1]], [widths[l + 1]]);
  }
  return out;
}

/**
 * Each layer's weight shapes in Keras order (Conv2D: kernel [kh, kw, cin, cout], bias [cout];
 * Dense: kernel [in, units], bias; BatchNormalization over the last axis: gamma, beta,
 * moving_mean, moving_variance; the others none).
 */
export function sequentialWeightShapes(layers: readonly SequentialLayer[], input: SampleShape): number[][][] {
  const shapes = sequentialShapes(layers, input);
  if (!shapes.ok) throw new Error(`layer ${shapes.index}: ${shapes.message}`);
  return layers.map((layer, i) => {
    const inShape = i === 0 ? input : shapes.shapes[i - 1];
    const channels = inShape[inShape.length - 1];
    switch (layer.kind) {
      case 'conv2d':
        return [[layer.kernelSize[0], layer.kernelSize[1], channels, layer.filters], [layer.filters]];
      case 'dense':
        return [[channels, layer.units], [layer.units]];
      case 'batch_normalization':
        return [[channels], [channels], [channels], [channels]];
      default:
        return [];
    }
  });
}

/** Initial weights of a Sequential model: layer i's kernel draws from Rng.derive(seed, INIT_STREAM, i). */
export function sequentialInitialWeights(layers: readonly SequentialLayer[], input: SampleShape, seed: number): Float32Array[] {
  const shapes = sequentialWeightShapes(layers, input);
  const out: Float32Array[] = [];
  layers.forEach((layer, i) => {
    const s = shapes[i];
    if (layer.kind === 'conv2d') {
      const [kh, kw, cin, cout] = s[0];
      out.push(initKernel(layer.init, kh * kw * cin, cout, Rng.derive(seed, INIT_STREAM, i), { fanIn: kh * kw * cin, fanOut: kh * kw * cout }), new Float32Array(cout));
    } else if (layer.kind === 'dense') {
      out.push(initKernel(layer.init, s[0][0], s[0][1], Rng.derive(seed, INIT_STREAM, i)), new Float32Array(s[0][1]));
    } else if (layer.kind === 'batch_normalization') {
      const c = s[0][0];
      out.push(new Float32Array(c).fill(1), new Float32Array(c), new Float32Array(c), new Float32Array(c).fill(1));
    }
  });
  return out;
}
