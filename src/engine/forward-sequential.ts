/**
 * Inference of a Keras Sequential model (models/layers.ts) from its weights in float64, one sample
 * at a time: Conv2D and pooling with TensorFlow's padding (pooling never counts padded cells),
 * Flatten, GlobalAveragePooling2D, Dense, BatchNormalization with its moving statistics; Dropout is
 * the identity. The conv-net counterpart of forward.ts's MLP pass, for the scores computed from a
 * model's outputs (macro F1, ROC AUC, train scores) whatever engine trained it.
 */
import type { ModelConfig } from '../models/config.js';
import { paddingBeforeAfter, sequentialShapes } from '../models/layers.js';
import { activateRow } from './forward.js';
import type { Scaler } from './runtime.js';

/** The output layer's logits of `rows` of x (n x d), rows.length x outputDim. */
export function sequentialLogits(model: ModelConfig, weights: Float32Array[], x: Float32Array, d: number, rows: ArrayLike<number>, scaler: Scaler | null): Float64Array {
  const layers = model.layers!;
  const input = model.inputShape ?? [d];
  const shapes = sequentialShapes(layers, input);
  if (!shapes.ok) throw new Error(`layer ${shapes.index}: ${shapes.message}`);
  const out = model.outputDim;
  const logits = new Float64Array(rows.length * out);
  for (let r = 0; r < rows.length; r++) {
    let h = new Float64Array(d);
    const src = rows[r] * d;
    for (let j = 0; j < d; j++) h[j] = scaler ? (x[src + j] - scaler.offset[j]) * scaler.factor[j] : x[src + j];
    let w = 0;
    layers.forEach((layer, i) => {
      const inShape = i === 0 ? input : shapes.shapes[i - 1];
      const outShape = shapes.shapes[i];
      switch (layer.kind) {
        case 'conv2d': {
          const kernel = weights[w++];
          const bias = weights[w++];
          const [H, W, C] = inShape;
          const [oh, ow, F] = outShape;
          const [kh, kw] = layer.kernelSize;
          const [sh, sw] = layer.strides;
          const pt = paddingBeforeAfter(H, kh, sh, layer.padding)[0];
          const pl = paddingBeforeAfter(W, kw, sw, layer.padding)[0];
          const z = new Float64Array(oh * ow * F);
          for (let a = 0; a < oh; a++) {
            for (let b = 0; b < ow; b++) {
              const o = (a * ow + b) * F;
              for (let f = 0; f < F; f++) z[o + f] = bias[f];
              for (let p = 0; p < kh; p++) {
                const y = a * sh - pt + p;
                if (y < 0 || y >= H) continue;
                for (let q = 0; q < kw; q++) {
                  const xx = b * sw - pl + q;
                  if (xx < 0 || xx >= W) continue;
                  for (let c = 0; c < C; c++) {
                    const v = h[(y * W + xx) * C + c];
                    if (v === 0) continue;
                    const k = ((p * kw + q) * C + c) * F;
                    for (let f = 0; f < F; f++) z[o + f] += v * kernel[k + f];
                  }
                }
              }
            }
          }
          activateRow(z, layer.activation);
          h = z;
          break;
        }
        case 'max_pooling2d':
        case 'average_pooling2d': {
          const [H, W, C] = inShape;
          const [oh, ow] = outShape;
          const [ph, pw] = layer.poolSize;
          const [sh, sw] = layer.strides;
          const pt = paddingBeforeAfter(H, ph, sh, layer.padding)[0];
          const pl = paddingBeforeAfter(W, pw, sw, layer.padding)[0];
          const z = new Float64Array(oh * ow * C);
          for (let a = 0; a < oh; a++) {
            for (let b = 0; b < ow; b++) {
              for (let c = 0; c < C; c++) {
                let acc = layer.kind === 'max_pooling2d' ? -Infinity : 0;
                let count = 0;
                for (let p = 0; p < ph; p++) {
                  const y = a * sh - pt + p;
                  if (y < 0 || y >= H) continue;
                  for (let q = 0; q < pw; q++) {
                    const xx = b * sw - pl + q;
                    if (xx < 0 || xx >= W) continue;
                    const v = h[(y * W + xx) * C + c];
                    acc = layer.kind === 'max_pooling2d' ? Math.max(acc, v) : acc + v;
                    count++;
                  }
                }
                z[(a * ow + b) * C + c] = layer.kind === 'max_pooling2d' ? acc : acc / count;
              }
            }
          }
          h = z;
          break;
        }
        case 'flatten':
        case 'dropout':
          break;
        case 'global_average_pooling2d': {
          const [H, W, C] = inShape;
          const z = new Float64Array(C);
          for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) z[c] += h[p * C + c];
          for (let c = 0; c < C; c++) z[c] /= H * W;
          h = z;
          break;
        }
        case 'dense': {
          const kernel = weights[w++];
          const bias = weights[w++];
          const units = layer.units;
          const z = Float64Array.from(bias);
          for (let k = 0; k < h.length; k++) {
            const v = h[k];
            if (v === 0) continue;
            for (let j = 0; j < units; j++) z[j] += v * kernel[k * units + j];
          }
          if (i < layers.length - 1) activateRow(z, layer.activation);
          h = z;
          break;
        }
        case 'batch_normalization': {
          const [gamma, beta, mean, variance] = [weights[w++], weights[w++], weights[w++], weights[w++]];
          const C = gamma.length;
          for (let k = 0; k < h.length; k++) {
            const c = k % C;
            h[k] = ((h[k] - mean[c]) / Math.sqrt(variance[c] + layer.epsilon)) * gamma[c] + beta[c];
          }
          break;
        }
      }
    });
    if (w !== weights.length) throw new Error(`forward: ${weights.length} weight arrays for a model that has ${w}`);
    logits.set(h, r * out);
  }
  return logits;
}

/** Keras kernel_regularizer penalties of a Sequential model's Conv2D and Dense kernels. */
export function sequentialPenalty(model: ModelConfig, weights: Float32Array[]): number {
  let total = 0;
  let w = 0;
  for (const layer of model.layers!) {
    if (layer.kind === 'conv2d' || layer.kind === 'dense') {
      if (layer.l1 > 0 || layer.l2 > 0) for (const v of weights[w]) total += layer.l1 * Math.abs(v) + layer.l2 * v * v;
      w += 2;
    } else if (layer.kind === 'batch_normalization') w += 4;
  }
  return total;
}
