/**
 * Scoring a trained model on a part of its fold from its outputs (forward.ts): the metrics of
 * metrics.ts (scikit-learn's definitions) and the four the engines log per epoch (accuracy, loss
 * with the regularization penalty as Keras's evaluate adds it, mse, mae), so that a training-part
 * score (scikit-learn's return_train_score) means the same as the test fold's. Pure.
 */
import type { ModelConfig } from '../models/config.js';
import { KERAS_EPSILON, type MetricName } from '../spec/vocabulary.js';
import { outputsOf, predictLogits } from './forward.js';
import { sequentialPenalty } from './forward-sequential.js';
import { accuracy, f1Macro, precisionMacro, recallMacro, rocAuc, topKAccuracy, type ClassScores } from './metrics.js';
import type { FoldData } from './runtime.js';

/** One row's loss, the per-sample form of the engines' losses (logits forms where Keras uses them). */
function sampleLoss(model: ModelConfig, z: Float64Array, p: Float64Array, t: Float64Array): number {
  const { loss, outputActivation } = model;
  const w = z.length;
  if ((loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy') && outputActivation === 'softmax') {
    let max = -Infinity;
    for (let j = 0; j < w; j++) max = Math.max(max, z[j]);
    let sum = 0;
    for (let j = 0; j < w; j++) sum += Math.exp(z[j] - max);
    const logSum = max + Math.log(sum);
    let l = 0;
    for (let j = 0; j < w; j++) l -= t[j] * (z[j] - logSum);
    return l;
  }
  let l = 0;
  switch (loss) {
    case 'binary_crossentropy':
      for (let j = 0; j < w; j++) {
        if (outputActivation === 'sigmoid') l += Math.max(z[j], 0) - z[j] * t[j] + Math.log1p(Math.exp(-Math.abs(z[j])));
        else {
          const c = Math.min(Math.max(p[j], KERAS_EPSILON), 1 - KERAS_EPSILON);
          l -= t[j] * Math.log(c) + (1 - t[j]) * Math.log(1 - c);
        }
      }
      return l / w;
    case 'categorical_crossentropy':
    case 'sparse_categorical_crossentropy': {
      let sum = 0;
      for (let j = 0; j < w; j++) sum += p[j];
      for (let j = 0; j < w; j++) l -= t[j] * Math.log(Math.min(Math.max(p[j] / sum, KERAS_EPSILON), 1 - KERAS_EPSILON));
      return l;
    }
    case 'mse':
      for (let j = 0; j < w; j++) l += (p[j] - t[j]) ** 2;
      return l / w;
    case 'mae':
      for (let j = 0; j < w; j++) l += Math.abs(p[j] - t[j]);
      return l / w;
  }
}

/** Keras kernel_regularizer: l1 * sum|W| + l2 * sum W^2 over every kernel. */
function penalty(model: ModelConfig, weights: Float32Array[]): number {
  if (model.layers) return sequentialPenalty(model, weights);
  if (model.l1 === 0 && model.l2 === 0) return 0;
  let total = 0;
  const perLayer = model.batchNorm ? (l: number) => (l < model.hidden.length ? 6 : 2) : () => 2;
  for (let i = 0, l = 0; i < weights.length; i += perLayer(l), l++) {
    for (const v of weights[i]) total += model.l1 * Math.abs(v) + model.l2 * v * v;
  }
  return total;
}

/** The model's score on `rows` of its fold, from its weights. */
export function scoreRows(metric: MetricName, k: number | undefined, model: ModelConfig, weights: Float32Array[], data: FoldData, rows: Int32Array): number {
  const width = model.outputDim;
  const logits = predictLogits(model, weights, data.x, data.d, rows, data.scaler);
  const outputs = outputsOf(logits, width, model.outputActivation);
  const n = rows.length;
  const yTrue = Int32Array.from(rows, (r) => data.y[r]);
  const classification = data.task === 'classification';
  const oneHot = classification && width > 1;
  // predicted classes: the largest logit, or a sigmoid above one half
  const yPred = Int32Array.from({ length: n }, (_, i) => {
    if (width === 1) return outputs[i] > 0.5 ? 1 : 0;
    let best = 0;
    for (let j = 1; j < width; j++) if (logits[i * width + j] > logits[i * width + best]) best = j;
    return best;
  });
  const classScores = (): ClassScores => (width === 1 ? { classes: 2, p: Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 ? outputs[i >> 1] : 1 - outputs[i >> 1])) } : { classes: width, p: outputs });
  switch (metric) {
    case 'accuracy':
      return accuracy(yTrue, yPred);
    case 'f1_macro':
      return f1Macro(yTrue, yPred);
    case 'precision_macro':
      return precisionMacro(yTrue, yPred);
    case 'recall_macro':
      return recallMacro(yTrue, yPred);
    case 'roc_auc':
      return rocAuc(yTrue, classScores());
    case 'top_k_accuracy':
      return topKAccuracy(yTrue, classScores(), k ?? 2);
  }
  // loss, mse, mae: per-sample means against the targets the engines train on
  let sum = 0;
  const t = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    t.fill(0);
    if (oneHot) t[yTrue[i]] = 1;
    else t[0] = data.y[rows[i]];
    const z = logits.subarray(i * width, (i + 1) * width);
    const p = outputs.subarray(i * width, (i + 1) * width);
    if (metric === 'loss') sum += sampleLoss(model, z, p, t);
    else for (let j = 0; j < width; j++) sum += (metric === 'mse' ? (p[j] - t[j]) ** 2 : Math.abs(p[j] - t[j])) / width;
  }
  return sum / n + (metric === 'loss' ? penalty(model, weights) : 0);
}
