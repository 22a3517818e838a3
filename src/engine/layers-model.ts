/**
 * Trained weights as a TensorFlow.js LayersModel (Keras layers: Dense, BatchNormalization,
 * Activation / LeakyReLU, Dropout; for conv nets Conv2D, MaxPooling2D, AveragePooling2D, Flatten,
 * GlobalAveragePooling2D), saved in the standard model.json + weights.bin format that
 * `tf.loadLayersModel` reads. The fold's feature scaling is folded into the first Dense layer, so the
 * exported model takes raw features.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import type { ModelConfig } from '../models/config.js';
import { layerWidths, sequentialWeightShapes } from '../models/weights.js';
import { scalerFoldable, sequentialShapes } from '../models/layers.js';
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
  if (cfg.layers) return buildSequentialModel(cfg, weights, scaler);
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

/** TensorFlow.js's names of the activations a layer can carry itself (leaky_relu is a layer of its own). */
function inlineActivation(act: Activation): string | null {
  return act === 'leaky_relu' ? null : act;
}

/**
 * A conv net's layers as tf.layers (Conv2D, MaxPooling2D, AveragePooling2D, Flatten,
 * GlobalAveragePooling2D, Dense, Dropout, BatchNormalization on the channels axis), input
 * [height, width, channels]. A fold's per-feature scaler is folded into the first Dense when only
 * Flatten or Dropout come before it; anywhere else it cannot be (the spec refuses such a scaling).
 */
function buildSequentialModel(cfg: ModelConfig, weights: Float32Array[], scaler: Scaler | null): tf.Sequential {
  const layers = cfg.layers!;
  const inputShape = cfg.inputShape ?? [cfg.inputDim];
  if (scaler && !scalerFoldable(layers)) throw new DataError('a per-feature scaler cannot be folded into this model\'s first layer (use data.scaling: none)');
  const shapes = sequentialWeightShapes(layers, inputShape);
  const outShapes = sequentialShapes(layers, inputShape);
  const flatShapes = outShapes.ok ? outShapes.shapes : [];
  const model = tf.sequential();
  const assignments: [tf.layers.Layer, tf.Tensor[]][] = [];
  let w = 0;
  let first = true;
  let scalerFolded = false;
  const add = (layer: tf.layers.Layer) => {
    model.add(layer);
    first = false;
  };
  const input = () => (first ? { inputShape } : {});
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    switch (layer.kind) {
      case 'conv2d':
      case 'dense': {
        const act = last ? cfg.outputActivation : layer.activation;
        const inline = inlineActivation(act);
        const common = { name: `${layer.kind === 'conv2d' ? 'conv2d' : 'dense'}_${i}`, activation: (inline ?? 'linear') as 'relu', ...input() };
        const tfLayer = layer.kind === 'conv2d'
          ? tf.layers.conv2d({ filters: layer.filters, kernelSize: layer.kernelSize, strides: layer.strides, padding: layer.padding, ...common })
          : tf.layers.dense({ units: layer.units, ...common });
        add(tfLayer);
        let [kernel, bias] = [weights[w++], weights[w++]];
        if (layer.kind === 'dense' && scaler && !scalerFolded) {
          const [fanIn, fanOut] = shapes[i][0];
          [kernel, bias] = foldScaler(kernel, bias, fanIn, fanOut, scaler);
          scalerFolded = true;
        }
        assignments.push([tfLayer, [tf.tensor(kernel, shapes[i][0]), tf.tensor1d(bias)]]);
        if (!inline) add(tf.layers.leakyReLU({ alpha: LEAKY_RELU_SLOPE, name: `leaky_re_lu_${i}` }));
        break;
      }
      case 'max_pooling2d':
        add(tf.layers.maxPooling2d({ poolSize: layer.poolSize, strides: layer.strides, padding: layer.padding, name: `max_pooling2d_${i}`, ...input() }));
        break;
      case 'average_pooling2d':
        add(tf.layers.averagePooling2d({ poolSize: layer.poolSize, strides: layer.strides, padding: layer.padding, name: `average_pooling2d_${i}`, ...input() }));
        break;
      case 'flatten':
        // flat already (a model without spatial layers takes its samples flat): TF.js's Flatten needs rank 3
        if ((i === 0 ? inputShape : flatShapes[i - 1]).length > 1) add(tf.layers.flatten({ name: `flatten_${i}`, ...input() }));
        break;
      case 'global_average_pooling2d':
        add(tf.layers.globalAveragePooling2d({ name: `global_average_pooling2d_${i}`, ...input() }));
        break;
      case 'dropout':
        add(tf.layers.dropout({ rate: layer.rate, name: `dropout_${i}`, ...input() }));
        break;
      case 'batch_normalization': {
        const bn = tf.layers.batchNormalization({ axis: -1, momentum: layer.momentum, epsilon: layer.epsilon, name: `batch_normalization_${i}`, ...input() });
        add(bn);
        assignments.push([bn, [0, 1, 2, 3].map(() => tf.tensor1d(weights[w++]))]); // gamma, beta, moving mean, moving variance
        break;
      }
    }
  });
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
  // a conv net takes [height, width, channels] per sample; its rows are those images, channels last
  const sampleShape = (model.inputs[0].shape.slice(1) as number[]);
  if (sampleShape.reduce((a, b) => a * b, 1) !== d) throw new DataError(`the model takes samples of shape ${sampleShape.join('x')}, the data has ${d} features`);
  const predictions = new Float32Array(n);
  let outputs = new Float32Array(0);
  let width = 0;
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const out = tf.tidy(() => model.predict(tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d]).reshape([rows, ...sampleShape])) as tf.Tensor);
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
