/**
 * Inference of a trained model from its weights (Keras order, as every engine's snapshot gives them):
 * scaling, Dense, BatchNormalization with its moving statistics, the activations; no dropout. Pure
 * TypeScript in float64, so that the metrics scored from a model's outputs are the same whichever
 * engine trained it. Used once per fold at the end of training, never per epoch.
 */
import type { ModelConfig } from '../models/config.js';
import { layerWidths } from '../models/weights.js';
import { BATCH_NORM_EPSILON, LEAKY_RELU_SLOPE, type Activation } from '../spec/vocabulary.js';
import type { Scaler } from './runtime.js';
import { sequentialLogits } from './forward-sequential.js';

/** Keras's selu constants. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Applies an activation in place to one row of `width` values. */
export function activateRow(z: Float64Array, act: Activation): void {
  const n = z.length;
  if (act === 'softmax') {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, z[j]);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += z[j] = Math.exp(z[j] - max);
    for (let j = 0; j < n; j++) z[j] /= sum;
    return;
  }
  for (let j = 0; j < n; j++) z[j] = activate(z[j], act);
}

function activate(x: number, act: Exclude<Activation, 'softmax'>): number {
  switch (act) {
    case 'relu': return x > 0 ? x : 0;
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'softplus': return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case 'softsign': return x / (1 + Math.abs(x));
    case 'selu': return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'elu': return x > 0 ? x : Math.expm1(x);
    case 'leaky_relu': return x > 0 ? x : LEAKY_RELU_SLOPE * x;
    case 'linear': return x;
  }
}

interface Layer {
  kernel: Float32Array;
  bias: Float32Array;
  fanIn: number;
  fanOut: number;
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array } | null;
}

function layersOf(model: ModelConfig, weights: Float32Array[]): Layer[] {
  const widths = layerWidths(model);
  const layers: Layer[] = [];
  let i = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const kernel = weights[i++];
    const bias = weights[i++];
    const bn = l < model.hidden.length && model.batchNorm ? { gamma: weights[i++], beta: weights[i++], mean: weights[i++], variance: weights[i++] } : null;
    layers.push({ kernel, bias, fanIn: widths[l], fanOut: widths[l + 1], bn });
  }
  if (i !== weights.length) throw new Error(`forward: ${weights.length} weight arrays for a model that has ${i}`);
  return layers;
}

/**
 * The output layer's pre-activation values (logits) of `rows` of x (n x d): rows.length x outputDim,
 * row-major.
 */
export function predictLogits(model: ModelConfig, weights: Float32Array[], x: Float32Array, d: number, rows: ArrayLike<number>, scaler: Scaler | null): Float64Array {
  if (model.layers) return sequentialLogits(model, weights, x, d, rows, scaler);
  const layers = layersOf(model, weights);
  const out = model.outputDim;
  const logits = new Float64Array(rows.length * out);
  let h = new Float64Array(d);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r] * d;
    h = h.length === d ? h : new Float64Array(d);
    for (let j = 0; j < d; j++) h[j] = scaler ? (x[src + j] - scaler.offset[j]) * scaler.factor[j] : x[src + j];
    for (let l = 0; l < layers.length; l++) {
      const { kernel, bias, fanIn, fanOut, bn } = layers[l];
      const z = Float64Array.from(bias);
      for (let i = 0; i < fanIn; i++) {
        const v = h[i];
        if (v === 0) continue; // image rows are mostly zeros
        const base = i * fanOut;
        for (let j = 0; j < fanOut; j++) z[j] += v * kernel[base + j];
      }
      if (l === layers.length - 1) {
        logits.set(z, r * out);
        break;
      }
      if (bn) for (let j = 0; j < fanOut; j++) z[j] = ((z[j] - bn.mean[j]) / Math.sqrt(bn.variance[j] + BATCH_NORM_EPSILON)) * bn.gamma[j] + bn.beta[j];
      activateRow(z, model.activation);
      h = z;
    }
  }
  return logits;
}

/** The model's outputs (its output activation applied to each row of logits). */
export function outputsOf(logits: Float64Array, width: number, act: Activation): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / width; r++) {
    const row = logits.slice(r * width, (r + 1) * width);
    activateRow(row, act);
    out.set(row, r * width);
  }
  return out;
}
