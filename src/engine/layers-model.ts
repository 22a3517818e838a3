/**
 * Trained weights as a TensorFlow.js LayersModel (Keras layers: Dense, BatchNormalization,
 * Activation / LeakyReLU, Dropout), saved in the standard model.json + weights.bin format that
 * `tf.loadLayersModel` reads. The fold's feature scaling is folded into the first Dense layer, so the
 * exported model takes raw features.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import type { ModelConfig } from '../models/config.js';
import { layerWidths } from '../models/weights.js';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, LEAKY_RELU_SLOPE, type Activation } from '../spec/vocabulary.js';
import type { Scaler } from './runtime.js';
import { ensureTfjsBackend, tf } from './tf.js';

export { ensureTfjsBackend };

/** W' = diag(factor) W, b' = b - (offset * factor) W: (x - offset) * factor . W + b = x . W' + b'. */
export function foldScaler(kernel: Float32Array, bias: Float32Array, fanIn: number, fanOut: number, scaler: Scaler | null): [Float32Array, Float32Array] {
  if (!scaler) return [kernel, bias];
  const W = new Float32Array(kernel.length);
  const b = Float64Array.from(bias);
  for (let i = 0; i < fanIn; i++) {
    for (let j = 0; j < fanOut; j++) {
      const w = kernel[i * fanOut + j] * scaler.factor[i];
      W[i * fanOut + j] = w;
      b[j] -= scaler.offset[i] * w;
    }
  }
  return [W, Float32Array.from(b)];
}

function activationLayer(act: Activation, name: string): tf.layers.Layer {
  if (act === 'leaky_relu') return tf.layers.leakyReLU({ alpha: LEAKY_RELU_SLOPE, name });
  return tf.layers.activation({ activation: act as 'relu', name });
}

/** A Keras-style Sequential model holding `weights` (Keras order, as the engines produce them). */
export function buildLayersModel(cfg: ModelConfig, weights: Float32Array[], scaler: Scaler | null): tf.Sequential {
  const widths = layerWidths(cfg);
  const model = tf.sequential();
  let w = 0;
  // each layer gets its own weights (model.setWeights would order trainable before non-trainable)
  const assignments: [tf.layers.Layer, tf.Tensor[]][] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const hidden = l < cfg.hidden.length;
    const dense = tf.layers.dense({ units: widths[l + 1], name: `dense_${l}`, ...(l === 0 ? { inputShape: [widths[0]] } : {}) });
    model.add(dense);
    let [kernel, bias] = [weights[w++], weights[w++]];
    if (l === 0) [kernel, bias] = foldScaler(kernel, bias, widths[0], widths[1], scaler);
    assignments.push([dense, [tf.tensor2d(kernel, [widths[l], widths[l + 1]]), tf.tensor1d(bias)]]);
    if (hidden && cfg.batchNorm) {
      const bn = tf.layers.batchNormalization({ epsilon: BATCH_NORM_EPSILON, momentum: BATCH_NORM_MOMENTUM, name: `batch_normalization_${l}` });
      model.add(bn);
      assignments.push([bn, [0, 1, 2, 3].map(() => tf.tensor1d(weights[w++]))]); // gamma, beta, moving mean, moving variance
    }
    model.add(activationLayer(hidden ? cfg.activation : cfg.outputActivation, `activation_${l}`));
    if (hidden && cfg.hidden[l].dropout > 0) model.add(tf.layers.dropout({ rate: cfg.hidden[l].dropout, name: `dropout_${l}` }));
  }
  for (const [layer, values] of assignments) {
    layer.setWeights(values);
    for (const t of values) t.dispose();
  }
  return model;
}

/** Writes model.json and weights.bin into dir (the format of tfjs's file:// and browser handlers). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(weightData));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'nnsearch export',
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }),
  );
}

/** Loads model.json + weights from dir with tf.loadLayersModel (no tfjs-node needed). */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) throw new DataError(`${path}: not found (is it a directory written by nnsearch export?)`);
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DataError(`${path}: not a model.json (${(e as Error).message})`);
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/** Class (or value) predictions and, for classification, probabilities of rows x (n x d). */
export function predictRows(model: tf.LayersModel, x: Float32Array, n: number, d: number, classification: boolean): { predictions: Float32Array; outputs: Float32Array; width: number } {
  const chunk = 2048;
  const predictions = new Float32Array(n);
  let outputs = new Float32Array(0);
  let width = 0;
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const out = tf.tidy(() => model.predict(tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d])) as tf.Tensor);
    width = out.shape[1] as number;
    const values = out.dataSync() as Float32Array;
    out.dispose();
    if (outputs.length === 0) outputs = new Float32Array(n * width);
    outputs.set(values, start * width);
    for (let r = 0; r < rows; r++) {
      if (!classification) predictions[start + r] = values[r * width];
      else if (width === 1) predictions[start + r] = values[r] > 0.5 ? 1 : 0;
      else {
        let best = 0;
        for (let j = 1; j < width; j++) if (values[r * width + j] > values[r * width + best]) best = j;
        predictions[start + r] = best;
      }
    }
  }
  return { predictions, outputs, width };
}
