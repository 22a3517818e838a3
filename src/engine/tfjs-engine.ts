/**
 * The TensorFlow.js engine: each model is a Keras-style MLP held as tf.Variables and trained by a
 * custom loop (gradients from tf.variableGrads, Keras 3 optimizer updates as tf ops), so that every
 * formula is Keras's and every random draw is nnsearch's seeded one. Losses and metrics accumulate on
 * the device and are read once per epoch.
 */
import { initialWeights, layerWidths, weightShapes } from '../models/weights.js';
import { paddingBeforeAfter, sequentialShapes, type Conv2DLayer, type Pooling2DLayer, type SequentialLayer } from '../models/layers.js';
import { dropoutKey, dropoutMask } from '../models/dropout.js';
import type { ModelConfig, OptimizerConfig } from '../models/config.js';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, KERAS_EPSILON, LEAKY_RELU_SLOPE, type Activation } from '../spec/vocabulary.js';
import { Batcher } from './batches.js';
import type { Engine, LossAndMetric, ModelJob, StackRuntime } from './runtime.js';
import { tf, useTfjsBackend, type TfjsBackend } from './tf.js';

type Tensor = tf.Tensor;
type Variable = tf.Variable;

interface DenseLayer {
  kernel: Variable;
  bias: Variable;
  fanIn: number;
  fanOut: number;
  /** Hidden layers only. */
  bn?: { gamma: Variable; beta: Variable; movingMean: Variable; movingVar: Variable };
  dropout: number;
}

function activate(z: Tensor, act: Activation): Tensor {
  switch (act) {
    case 'relu': return tf.relu(z);
    case 'tanh': return tf.tanh(z);
    case 'sigmoid': return tf.sigmoid(z);
    case 'softplus': return tf.softplus(z);
    case 'softsign': return tf.div(z, tf.add(tf.abs(z), 1));
    case 'selu': return tf.selu(z);
    case 'elu': return tf.elu(z);
    case 'leaky_relu': return tf.leakyRelu(z, LEAKY_RELU_SLOPE);
    case 'linear': return z;
    case 'softmax': return tf.softmax(z);
  }
}

/** What every model's training step needs: loss, metric, optimizer updates (shared) and its layers' own parts. */
abstract class TfjsModelBase {
  private readonly slots = new Map<Variable, Variable[]>();
  iterations = 0;

  constructor(readonly cfg: ModelConfig) {}

  abstract trainable(): Variable[];
  /** Every weight in Keras order (snapshot, restore). */
  abstract all(): Variable[];
  /** Dropout masks for a training batch of `rows` at the current step (null where a layer has none). */
  abstract dropoutMasks(rows: number, seed: number): (Tensor | null)[];
  /** Logits (pre-activation outputs); with masks (training) also the batch statistics of BN layers. */
  abstract forward(x: Tensor, masks: (Tensor | null)[] | null, bnStats?: { mean: Tensor; variance: Tensor }[]): Tensor;
  /** The Keras kernel_regularizer penalty of every kernel, or null. */
  abstract penalty(): Tensor | null;
  /** Keras MaxNorm on each kernel that has one, after an update. */
  protected abstract constrain(): void;
  /** BatchNormalization's moving statistics after a training step (Keras: moving = moving * m + batch * (1 - m)). */
  abstract updateMovingStats(stats: { mean: Tensor; variance: Tensor }[]): void;

  /** Per-sample loss [B] from logits and targets (one-hot [B,C], or [B,1]). */
  sampleLoss(logits: Tensor, target: Tensor): Tensor {
    const { loss, outputActivation } = this.cfg;
    if ((loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy') && outputActivation === 'softmax') {
      return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1));
    }
    if (loss === 'binary_crossentropy' && outputActivation === 'sigmoid') {
      // max(z, 0) - z * y + log(1 + exp(-|z|)), the stable form of BCE on logits
      const perUnit = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
      return tf.mean(perUnit, 1);
    }
    const p = activate(logits, outputActivation);
    switch (loss) {
      case 'categorical_crossentropy':
      case 'sparse_categorical_crossentropy': {
        const normalized = tf.div(p, tf.sum(p, 1, true));
        return tf.neg(tf.sum(tf.mul(target, tf.log(tf.clipByValue(normalized, KERAS_EPSILON, 1 - KERAS_EPSILON))), 1));
      }
      case 'binary_crossentropy': {
        const c = tf.clipByValue(p, KERAS_EPSILON, 1 - KERAS_EPSILON);
        return tf.neg(tf.mean(tf.add(tf.mul(target, tf.log(c)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, c)))), 1));
      }
      case 'mse':
        return tf.mean(tf.square(tf.sub(p, target)), 1);
      case 'mae':
        return tf.mean(tf.abs(tf.sub(p, target)), 1);
    }
  }

  /** Per-sample metric value [B]: 1/0 correctness for accuracy, or squared / absolute error. */
  sampleMetric(metric: string, logits: Tensor, target: Tensor, loss: Tensor): Tensor {
    if (metric === 'loss') return loss;
    const p = activate(logits, this.cfg.outputActivation);
    if (metric === 'accuracy') {
      if (this.cfg.outputDim === 1) return tf.cast(tf.equal(tf.greater(p, 0.5), tf.greater(target, 0.5)), 'float32').reshape([-1]);
      return tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(target, 1)), 'float32');
    }
    if (metric === 'mse') return tf.mean(tf.square(tf.sub(p, target)), 1);
    return tf.mean(tf.abs(tf.sub(p, target)), 1);
  }

  /** One optimizer update of every trainable variable (Keras 3 formulas, checked against Keras by the golden tests). */
  applyGradients(grads: Record<string, Tensor>, lr: number): void {
    const cfg = this.cfg.optimizer;
    const rate = cfg.decay > 0 ? lr / (1 + cfg.decay * this.iterations) : lr;
    const t = this.iterations + 1;
    for (const v of this.trainable()) {
      const g = grads[v.name];
      if (!g) continue;
      const slots = this.slotsFor(v, cfg);
      v.assign(updated(cfg, v, g, slots, rate, t));
    }
    this.constrain();
    this.iterations++;
  }

  protected slotsFor(v: Variable, cfg: OptimizerConfig): Variable[] {
    let s = this.slots.get(v);
    if (!s) {
      const zeros = () => tf.variable(tf.zerosLike(v), false);
      const count = cfg.name === 'sgd' ? 1 : cfg.name === 'adagrad' ? 1 : cfg.name === 'rmsprop' ? 3 : 2;
      s = Array.from({ length: count }, zeros);
      if (cfg.name === 'adagrad') s[0].assign(tf.fill(v.shape, cfg.initialAccumulator));
      this.slots.set(v, s);
    }
    return s;
  }

  dispose(): void {
    for (const v of this.all()) v.dispose();
    for (const s of this.slots.values()) for (const v of s) v.dispose();
    this.slots.clear();
  }
}


/** A Keras-style MLP: Dense layers (BatchNormalization, activation, dropout after each hidden one). */
class TfjsModel extends TfjsModelBase {
  readonly layers: DenseLayer[] = [];

  constructor(cfg: ModelConfig, seed: number) {
    super(cfg);
    // tidy: the initial-value tensors die here; the variables (which copy them) live on
    tf.tidy(() => this.build(seed));
  }
  private build(seed: number): void {
    const cfg = this.cfg;
    const init = initialWeights(cfg, seed);
    const shapes = weightShapes(cfg);
    let i = 0;
    const next = (trainable = true) => {
      const v = tf.variable(tf.tensor(init[i], shapes[i]), trainable);
      i++;
      return v;
    };
    const widths = layerWidths(cfg);
    for (let l = 0; l + 1 < widths.length; l++) {
      const hidden = l < cfg.hidden.length;
      const kernel = next();
      const bias = next();
      const bn = hidden && cfg.batchNorm ? { gamma: next(), beta: next(), movingMean: next(false), movingVar: next(false) } : undefined;
      this.layers.push({ kernel, bias, fanIn: widths[l], fanOut: widths[l + 1], bn, dropout: hidden ? cfg.hidden[l].dropout : 0 });
    }
  }

  trainable(): Variable[] {
    return this.layers.flatMap((l) => [l.kernel, l.bias, ...(l.bn ? [l.bn.gamma, l.bn.beta] : [])]);
  }

  all(): Variable[] {
    return this.layers.flatMap((l) => [l.kernel, l.bias, ...(l.bn ? [l.bn.gamma, l.bn.beta, l.bn.movingMean, l.bn.movingVar] : [])]);
  }

  /** Logits (pre-activation outputs); in training mode also the batch statistics of BN layers. */
  forward(x: Tensor, masks: (Tensor | null)[] | null, bnStats?: { mean: Tensor; variance: Tensor }[]): Tensor {
    let h = x;
    const last = this.layers.length - 1;
    this.layers.forEach((layer, l) => {
      let z = tf.add(tf.matMul(h, layer.kernel), layer.bias);
      if (l === last) {
        h = z;
        return;
      }
      if (layer.bn) {
        let mean: Tensor;
        let variance: Tensor;
        if (masks) {
          ({ mean, variance } = tf.moments(z, 0));
          bnStats?.push({ mean: tf.keep(mean), variance: tf.keep(variance) });
        } else {
          mean = layer.bn.movingMean;
          variance = layer.bn.movingVar;
        }
        z = tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, BATCH_NORM_EPSILON))), layer.bn.gamma), layer.bn.beta);
      }
      h = activate(z, this.cfg.activation);
      const mask = masks?.[l];
      if (mask) h = tf.mul(h, mask);
    });
    return h;
  }

  /** l1 * sum|W| + l2 * sum W^2 over every kernel (Keras kernel_regularizer). */
  penalty(): Tensor | null {
    const { l1, l2 } = this.cfg;
    if (l1 === 0 && l2 === 0) return null;
    let total: Tensor = tf.scalar(0);
    for (const layer of this.layers) {
      if (l1 > 0) total = tf.add(total, tf.mul(l1, tf.sum(tf.abs(layer.kernel))));
      if (l2 > 0) total = tf.add(total, tf.mul(l2, tf.sum(tf.square(layer.kernel))));
    }
    return total;
  }

  protected constrain(): void {
    if (this.cfg.maxNorm === null) return;
    for (const layer of this.layers) {
      const norms = tf.sqrt(tf.sum(tf.square(layer.kernel), 0, true));
      const desired = tf.clipByValue(norms, 0, this.cfg.maxNorm);
      layer.kernel.assign(tf.mul(layer.kernel, tf.div(desired, tf.add(norms, KERAS_EPSILON))));
    }
  }

  dropoutMasks(rows: number, seed: number): (Tensor | null)[] {
    return this.cfg.hidden.map((h, l) => (h.dropout > 0 ? tf.tensor2d(dropoutMask(new Float32Array(rows * h.units), rows, h.units, h.dropout, dropoutKey(seed, this.iterations, l)), [rows, h.units]) : null));
  }

  updateMovingStats(stats: { mean: Tensor; variance: Tensor }[]): void {
    let i = 0;
    for (const layer of this.layers) {
      if (!layer.bn) continue;
      const { mean, variance } = stats[i++];
      layer.bn.movingMean.assign(tf.add(tf.mul(layer.bn.movingMean, BATCH_NORM_MOMENTUM), tf.mul(mean, 1 - BATCH_NORM_MOMENTUM)));
      layer.bn.movingVar.assign(tf.add(tf.mul(layer.bn.movingVar, BATCH_NORM_MOMENTUM), tf.mul(variance, 1 - BATCH_NORM_MOMENTUM)));
    }
  }
}

/** The new value of `v` after one update; assigns the optimizer's slots as a side effect. */
function updated(cfg: OptimizerConfig, v: Tensor, g: Tensor, slots: Variable[], rate: number, t: number): Tensor {
  switch (cfg.name) {
    case 'sgd': {
      if (cfg.momentum === 0) return tf.sub(v, tf.mul(rate, g));
      const [m] = slots;
      const mNew = tf.sub(tf.mul(cfg.momentum, m), tf.mul(rate, g));
      m.assign(mNew);
      return cfg.nesterov ? tf.add(v, tf.sub(tf.mul(cfg.momentum, mNew), tf.mul(rate, g))) : tf.add(v, mNew);
    }
    case 'adam': {
      const [m, s] = slots;
      const alpha = (rate * Math.sqrt(1 - Math.pow(cfg.beta2, t))) / (1 - Math.pow(cfg.beta1, t));
      const mNew = tf.add(m, tf.mul(tf.sub(g, m), 1 - cfg.beta1));
      const sNew = tf.add(s, tf.mul(tf.sub(tf.square(g), s), 1 - cfg.beta2));
      m.assign(mNew);
      s.assign(sNew);
      return tf.sub(v, tf.div(tf.mul(mNew, alpha), tf.add(tf.sqrt(sNew), cfg.epsilon)));
    }
    case 'adamax': {
      const [m, u] = slots;
      const mNew = tf.add(m, tf.mul(tf.sub(g, m), 1 - cfg.beta1));
      const uNew = tf.maximum(tf.mul(cfg.beta2, u), tf.abs(g));
      m.assign(mNew);
      u.assign(uNew);
      return tf.sub(v, tf.div(tf.mul(rate, mNew), tf.mul(1 - Math.pow(cfg.beta1, t), tf.add(uNew, cfg.epsilon))));
    }
    case 'adagrad': {
      const [acc] = slots;
      const accNew = tf.add(acc, tf.square(g));
      acc.assign(accNew);
      return tf.sub(v, tf.div(tf.mul(rate, g), tf.sqrt(tf.add(accNew, cfg.epsilon))));
    }
    case 'rmsprop': {
      const [vel, mom, avg] = slots;
      const velNew = tf.add(tf.mul(cfg.rho, vel), tf.mul(1 - cfg.rho, tf.square(g)));
      vel.assign(velNew);
      let denominator = tf.add(velNew, cfg.epsilon);
      if (cfg.centered) {
        const avgNew = tf.add(tf.mul(cfg.rho, avg), tf.mul(1 - cfg.rho, g));
        avg.assign(avgNew);
        denominator = tf.add(tf.sub(velNew, tf.square(avgNew)), cfg.epsilon);
      }
      const increment = tf.div(tf.mul(rate, g), tf.sqrt(denominator));
      if (cfg.momentum === 0) return tf.sub(v, increment);
      const momNew = tf.add(tf.mul(cfg.momentum, mom), increment);
      mom.assign(momNew);
      return tf.sub(v, momNew);
    }
    case 'adadelta': {
      const [accGrad, accDelta] = slots;
      const accGradNew = tf.add(tf.mul(cfg.rho, accGrad), tf.mul(1 - cfg.rho, tf.square(g)));
      const delta = tf.div(tf.mul(tf.neg(tf.sqrt(tf.add(accDelta, cfg.epsilon))), g), tf.sqrt(tf.add(accGradNew, cfg.epsilon)));
      accGrad.assign(accGradNew);
      accDelta.assign(tf.add(tf.mul(cfg.rho, accDelta), tf.mul(1 - cfg.rho, tf.square(delta))));
      return tf.add(v, tf.mul(rate, delta));
    }
  }
}

/** One Sequential layer's variables (Conv2D / Dense: kernel and bias; BatchNormalization: its four). */
interface SeqLayerVars {
  layer: SequentialLayer;
  /** The layer's input and output shapes for one sample. */
  inShape: number[];
  outShape: number[];
  kernel?: Variable;
  bias?: Variable;
  bn?: { gamma: Variable; beta: Variable; movingMean: Variable; movingVar: Variable };
}

/**
 * A Keras Sequential model (models/layers.ts): Conv2D, pooling, Flatten, GlobalAveragePooling2D,
 * Dense, Dropout, BatchNormalization on channels_last images. Convolutions pad explicitly
 * (TensorFlow's 'same' padding, the odd pixel after) and carry their own gradient (conv2dValid).
 */
class TfjsSequential extends TfjsModelBase {
  readonly layers: SeqLayerVars[] = [];
  private readonly inputShape: number[];

  constructor(cfg: ModelConfig, seed: number) {
    super(cfg);
    this.inputShape = cfg.inputShape ?? [cfg.inputDim];
    tf.tidy(() => this.build(seed));
  }

  private build(seed: number): void {
    const layers = this.cfg.layers!;
    const init = initialWeights(this.cfg, seed);
    const shapes = weightShapes(this.cfg);
    const outShapes = sequentialShapes(layers, this.inputShape);
    if (!outShapes.ok) throw new Error(`layer ${outShapes.index}: ${outShapes.message}`);
    let w = 0;
    const next = (trainable = true) => {
      const v = tf.variable(tf.tensor(init[w], shapes[w]), trainable);
      w++;
      return v;
    };
    layers.forEach((layer, i) => {
      const vars: SeqLayerVars = { layer, inShape: i === 0 ? this.inputShape : outShapes.shapes[i - 1], outShape: outShapes.shapes[i] };
      if (layer.kind === 'conv2d' || layer.kind === 'dense') {
        vars.kernel = next();
        vars.bias = next();
      } else if (layer.kind === 'batch_normalization') {
        vars.bn = { gamma: next(), beta: next(), movingMean: next(false), movingVar: next(false) };
      }
      this.layers.push(vars);
    });
  }

  trainable(): Variable[] {
    return this.layers.flatMap((l) => [...(l.kernel ? [l.kernel, l.bias!] : []), ...(l.bn ? [l.bn.gamma, l.bn.beta] : [])]);
  }

  all(): Variable[] {
    return this.layers.flatMap((l) => [...(l.kernel ? [l.kernel, l.bias!] : []), ...(l.bn ? [l.bn.gamma, l.bn.beta, l.bn.movingMean, l.bn.movingVar] : [])]);
  }

  dropoutMasks(rows: number, seed: number): (Tensor | null)[] {
    return this.layers.map((l, i) => {
      if (l.layer.kind !== 'dropout' || l.layer.rate === 0) return null;
      const size = l.inShape.reduce((a, b) => a * b, 1);
      return tf.tensor(dropoutMask(new Float32Array(rows * size), rows, size, l.layer.rate, dropoutKey(seed, this.iterations, i)), [rows, ...l.inShape]);
    });
  }

  forward(x: Tensor, masks: (Tensor | null)[] | null, bnStats?: { mean: Tensor; variance: Tensor }[]): Tensor {
    let h: Tensor = x.reshape([x.shape[0], ...this.inputShape]);
    const last = this.layers.length - 1;
    this.layers.forEach((l, i) => {
      const layer = l.layer;
      switch (layer.kind) {
        case 'conv2d': {
          const z = conv2dLayer(h as tf.Tensor4D, l.kernel!, l.bias!, layer);
          h = activate(z, layer.activation);
          break;
        }
        case 'max_pooling2d':
        case 'average_pooling2d':
          h = pool2d(h as tf.Tensor4D, layer, l.outShape);
          break;
        case 'flatten':
          h = h.reshape([h.shape[0], -1]);
          break;
        case 'global_average_pooling2d':
          h = tf.mean(h, [1, 2]);
          break;
        case 'dense': {
          const z = tf.add(tf.matMul(h as tf.Tensor2D, l.kernel! as tf.Tensor2D), l.bias!);
          h = i === last ? z : activate(z, layer.activation);
          break;
        }
        case 'dropout': {
          const mask = masks?.[i];
          if (mask) h = tf.mul(h, mask);
          break;
        }
        case 'batch_normalization': {
          const bn = l.bn!;
          let mean: Tensor;
          let variance: Tensor;
          if (masks) {
            ({ mean, variance } = tf.moments(h, h.shape.map((_, a) => a).slice(0, -1)));
            // Keras's fused kernel (images, rank 4) moves the variance with Bessel's correction,
            // n/(n-1) over the batch's n = rows x height x width cells per channel; flat input does not.
            const n = h.size / h.shape[h.shape.length - 1];
            bnStats?.push({ mean: tf.keep(mean), variance: tf.keep(h.rank === 4 && n > 1 ? tf.mul(variance, n / (n - 1)) : variance) });
          } else {
            mean = bn.movingMean;
            variance = bn.movingVar;
          }
          h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, layer.epsilon))), bn.gamma), bn.beta);
          break;
        }
      }
    });
    return h;
  }

  penalty(): Tensor | null {
    let total: Tensor | null = null;
    for (const l of this.layers) {
      const layer = l.layer;
      if ((layer.kind !== 'conv2d' && layer.kind !== 'dense') || (layer.l1 === 0 && layer.l2 === 0)) continue;
      let p: Tensor = tf.scalar(0);
      if (layer.l1 > 0) p = tf.add(p, tf.mul(layer.l1, tf.sum(tf.abs(l.kernel!))));
      if (layer.l2 > 0) p = tf.add(p, tf.mul(layer.l2, tf.sum(tf.square(l.kernel!))));
      total = total ? tf.add(total, p) : p;
    }
    return total;
  }

  protected constrain(): void {
    for (const l of this.layers) {
      const layer = l.layer;
      if ((layer.kind !== 'conv2d' && layer.kind !== 'dense') || layer.maxNorm === null) continue;
      const k = l.kernel!;
      // Keras MaxNorm: Dense axis 0, Conv2D axes [0, 1, 2]: every axis but the output units'
      const norms = tf.sqrt(tf.sum(tf.square(k), k.shape.map((_, a) => a).slice(0, -1), true));
      const desired = tf.clipByValue(norms, 0, layer.maxNorm);
      k.assign(tf.mul(k, tf.div(desired, tf.add(norms, KERAS_EPSILON))));
    }
  }

  updateMovingStats(stats: { mean: Tensor; variance: Tensor }[]): void {
    let i = 0;
    for (const l of this.layers) {
      if (!l.bn || l.layer.kind !== 'batch_normalization') continue;
      const m = l.layer.momentum;
      const { mean, variance } = stats[i++];
      l.bn.movingMean.assign(tf.add(tf.mul(l.bn.movingMean, m), tf.mul(mean, 1 - m)));
      l.bn.movingVar.assign(tf.add(tf.mul(l.bn.movingVar, m), tf.mul(variance, 1 - m)));
    }
  }
}

/** Every `stride`-th of `count` positions along `axis` from `start` (a slice, then a reshape that drops the rest). */
function stridedPositions(x: tf.Tensor4D, axis: 1 | 2, start: number, count: number, stride: number): tf.Tensor4D {
  const begin = [0, 0, 0, 0];
  const size = [...x.shape] as number[];
  begin[axis] = start;
  size[axis] = (count - 1) * stride + 1;
  let s = tf.slice(x, begin, size);
  if (stride === 1) return s;
  // pad to count * stride, fold the stride into its own axis, keep its first element
  const pad: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0]];
  pad[axis] = [0, stride - 1];
  s = tf.pad(s, pad);
  const [b, h, w, c] = s.shape;
  if (axis === 1) return s.reshape([b, count, stride, w, c]).slice([0, 0, 0, 0, 0], [b, count, 1, w, c]).reshape([b, count, w, c]) as tf.Tensor4D;
  return s.reshape([b, h, count, stride, c]).slice([0, 0, 0, 0, 0], [b, h, count, 1, c]).reshape([b, h, count, c]) as tf.Tensor4D;
}

/**
 * Conv2D (channels_last, TensorFlow's padding: the input padded explicitly, odd pixel after, then a
 * valid convolution); the pre-activation output. tf.conv2d's own filter gradient has no kernel on
 * wasm, so the gradient is given here: the input's by the transposed convolution, the kernel's as a
 * convolution of the input (channels and batch swapped) with the output gradient, dilated by the
 * strides, cut to the kernel's size.
 */
function conv2dValid(xp: tf.Tensor4D, kernel: Tensor, strides: [number, number], kh: number, kw: number): Tensor {
  const f = tf.customGrad(((x: Tensor, k: Tensor, save: tf.GradSaveFunc) => {
    save([x, k]);
    return {
      value: tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, strides, 'valid'),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const g = dy as tf.Tensor4D;
        const [xs, ks] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = tf.conv2dTranspose(g, ks, xs.shape, strides, 'valid');
        const cin = xs.shape[3];
        const dk = tf.conv2d(xs.transpose([3, 1, 2, 0]) as tf.Tensor4D, g.transpose([1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid', 'NHWC', strides)
          .slice([0, 0, 0, 0], [cin, kh, kw, ks.shape[3]])
          .transpose([1, 2, 0, 3]);
        return [dx, dk];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(xp, kernel);
}

function conv2dLayer(x: tf.Tensor4D, kernel: Tensor, bias: Tensor, layer: Conv2DLayer): Tensor {
  const [, h, w] = x.shape;
  const [kh, kw] = layer.kernelSize;
  const [sh, sw] = layer.strides;
  const [pt, pb] = paddingBeforeAfter(h, kh, sh, layer.padding);
  const [pl, pr] = paddingBeforeAfter(w, kw, sw, layer.padding);
  const xp = pt + pb + pl + pr > 0 ? tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]) : x;
  return tf.add(conv2dValid(xp, kernel, layer.strides, kh, kw), bias);
}

/**
 * MaxPooling2D / AveragePooling2D with TensorFlow's padding, where padded cells never count: max over
 * the window's slices (padding at -Infinity; ties send the gradient to the first, as PyTorch's
 * index), average as the zero-padded sum divided by each window's real cells. tf.maxPool's gradient
 * on wasm and tf.avgPool's on every backend disagree with their forward under 'same' padding, so only
 * non-overlapping valid max pooling (the common 2x2) uses tf.maxPool.
 */
function pool2d(x: tf.Tensor4D, layer: Pooling2DLayer, outShape: number[]): Tensor {
  const [ph, pw] = layer.poolSize;
  const [sh, sw] = layer.strides;
  if (layer.kind === 'max_pooling2d' && layer.padding === 'valid' && ph === sh && pw === sw) return tf.maxPool(x, layer.poolSize, layer.strides, 'valid');
  const [, h, w] = x.shape;
  const [oh, ow] = outShape;
  const [pt, pb] = paddingBeforeAfter(h, ph, sh, layer.padding);
  const [pl, pr] = paddingBeforeAfter(w, pw, sw, layer.padding);
  const max = layer.kind === 'max_pooling2d';
  const padded = pt + pb + pl + pr > 0;
  const xp = padded ? tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]], max ? -Infinity : 0) : x;
  let acc: Tensor | null = null;
  for (let i = 0; i < ph; i++) {
    const rowsAt = stridedPositions(xp, 1, i, oh, sh);
    for (let j = 0; j < pw; j++) {
      const s = stridedPositions(rowsAt, 2, j, ow, sw);
      acc = acc === null ? s : max ? tf.maximum(acc, s) : tf.add(acc, s);
    }
  }
  if (max) return acc!;
  // real cells of each window (all ph * pw under valid padding)
  const counts = new Float32Array(oh * ow);
  for (let a = 0; a < oh; a++) {
    const r0 = a * sh - pt;
    const rows = Math.min(r0 + ph, h) - Math.max(r0, 0);
    for (let b = 0; b < ow; b++) {
      const c0 = b * sw - pl;
      counts[a * ow + b] = 1 / (rows * (Math.min(c0 + pw, w) - Math.max(c0, 0)));
    }
  }
  return tf.mul(acc!, tf.tensor4d(counts, [1, oh, ow, 1]));
}

function createModel(cfg: ModelConfig, seed: number): TfjsModelBase {
  return cfg.layers ? new TfjsSequential(cfg, seed) : new TfjsModel(cfg, seed);
}

/** Rows per inference chunk. */
const EVAL_CHUNK = 2048;

class TfjsStack implements StackRuntime {
  readonly size: number;
  private readonly models: TfjsModelBase[];
  private readonly batchers: Batcher[];

  constructor(private readonly jobs: ModelJob[]) {
    this.size = jobs.length;
    this.models = jobs.map((j) => createModel(j.config.model, j.seed));
    this.batchers = jobs.map((j) => new Batcher(j.data, j.config.model.outputDim));
  }

  async trainEpoch(orders: Int32Array[], lrs: number[], active: boolean[]): Promise<LossAndMetric[]> {
    const out: LossAndMetric[] = [];
    for (let m = 0; m < this.size; m++) {
      const t0 = performance.now();
      out.push(active[m] ? { ...(await this.trainModelEpoch(m, orders[m], lrs[m])), seconds: (performance.now() - t0) / 1000 } : { loss: NaN, metric: NaN });
    }
    return out;
  }

  private async trainModelEpoch(m: number, order: Int32Array, lr: number): Promise<LossAndMetric> {
    const model = this.models[m];
    const job = this.jobs[m];
    const batcher = this.batchers[m];
    const B = job.config.train.batchSize;
    const n = order.length;
    const trainable = model.trainable();
    let lossSum: Tensor = tf.scalar(0);
    let metricSum: Tensor = tf.scalar(0);
    for (let start = 0; start < n; start += B) {
      const rows = Math.min(B, n - start);
      const batch = batcher.trainBatch(order, start, rows);
      const next = tf.tidy(() => {
        const x = tf.tensor2d(batch.x, [rows, batcher.d]);
        const y = tf.tensor2d(batch.y, [rows, batcher.targetWidth]);
        const maskTensors = model.dropoutMasks(rows, job.seed);
        const bnStats: { mean: Tensor; variance: Tensor }[] = [];
        let logitsKept: Tensor | null = null;
        let perSampleKept: Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.forward(x, maskTensors, bnStats);
          const perSample = model.sampleLoss(logits, y);
          logitsKept = tf.keep(logits);
          perSampleKept = tf.keep(perSample);
          const mean = tf.mean(perSample);
          const penalty = model.penalty();
          return (penalty ? tf.add(mean, penalty) : mean) as tf.Scalar;
        }, trainable);
        const newLoss = tf.add(lossSum, tf.mul(value, rows));
        // metric 'loss' is the logged loss itself (penalty included), as Keras logs it
        const newMetric = job.metric === 'loss' ? newLoss : tf.add(metricSum, tf.sum(model.sampleMetric(job.metric, logitsKept!, y, perSampleKept!)));
        model.applyGradients(grads, lr);
        model.updateMovingStats(bnStats);
        for (const t of [logitsKept!, perSampleKept!, ...bnStats.flatMap((s) => [s.mean, s.variance])]) t.dispose();
        return [newLoss, newMetric];
      });
      lossSum.dispose();
      if (metricSum !== lossSum) metricSum.dispose();
      [lossSum, metricSum] = next;
    }
    const [loss, metric] = await Promise.all([lossSum.data(), metricSum.data()]);
    lossSum.dispose();
    if (metricSum !== lossSum) metricSum.dispose();
    return { loss: loss[0] / n, metric: metric[0] / n };
  }

  async evaluate(part: 'validation' | 'test', active: boolean[]): Promise<LossAndMetric[]> {
    const out: LossAndMetric[] = [];
    for (let m = 0; m < this.size; m++) {
      if (!active[m]) {
        out.push({ loss: NaN, metric: NaN });
        continue;
      }
      const model = this.models[m];
      const batcher = this.batchers[m];
      const rows = part === 'test' ? this.jobs[m].data.test : this.jobs[m].data.validation;
      let lossSum: Tensor = tf.scalar(0);
      let metricSum: Tensor = tf.scalar(0);
      for (let start = 0; start < rows.length; start += EVAL_CHUNK) {
        const count = Math.min(EVAL_CHUNK, rows.length - start);
        const chunk = batcher.rows(rows, start, count);
        const next = tf.tidy(() => {
          const x = tf.tensor2d(chunk.x, [count, batcher.d]);
          const y = tf.tensor2d(chunk.y, [count, batcher.targetWidth]);
          const logits = model.forward(x, null);
          const perSample = model.sampleLoss(logits, y);
          return [tf.add(lossSum, tf.sum(perSample)), tf.add(metricSum, tf.sum(model.sampleMetric(this.jobs[m].metric, logits, y, perSample)))];
        });
        lossSum.dispose();
        metricSum.dispose();
        [lossSum, metricSum] = next;
      }
      const penalty = tf.tidy(() => model.penalty() ?? tf.scalar(0));
      const [loss, metric, pen] = await Promise.all([lossSum.data(), metricSum.data(), penalty.data()]);
      for (const t of [lossSum, metricSum, penalty]) t.dispose();
      const lossMean = loss[0] / rows.length + pen[0];
      // Keras's evaluate adds the regularization penalty to the loss (and so to metric 'loss').
      out.push({ loss: lossMean, metric: this.jobs[m].metric === 'loss' ? lossMean : metric[0] / rows.length });
    }
    return out;
  }

  async snapshot(m: number): Promise<Float32Array[]> {
    return Promise.all(this.models[m].all().map(async (v) => (await v.data()) as Float32Array));
  }

  restore(m: number, weights: Float32Array[]): void {
    this.models[m].all().forEach((v, i) => {
      const t = tf.tensor(weights[i], v.shape);
      v.assign(t);
      t.dispose();
    });
  }

  dispose(): void {
    for (const model of this.models) model.dispose();
  }
}

export class TfjsEngine implements Engine {
  readonly maxStack = 1;
  readonly inProcessParallel = false;
  private constructor(readonly name: string) {}

  static async create(backend: TfjsBackend): Promise<TfjsEngine> {
    await useTfjsBackend(backend);
    return new TfjsEngine(`tfjs-${backend}`);
  }

  canStack(): boolean {
    return false;
  }

  async createStack(jobs: ModelJob[]): Promise<StackRuntime> {
    return new TfjsStack(jobs);
  }

  async dispose(): Promise<void> {}
}

/** Number of live tensors, for leak checks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

/**
 * One batch in training mode (batch statistics, no dropout) at given weights, for the golden tests:
 * the logits, the loss (with the kernel penalties) and the gradient of every weight in Keras order
 * (null for BatchNormalization's moving statistics).
 */
export function tfjsLossAndGradients(cfg: ModelConfig, weights: Float32Array[], x: Float32Array, y: Float32Array, rows: number): { logits: Float32Array; loss: number; grads: (Float32Array | null)[] } {
  const model = createModel(cfg, 0);
  tf.engine().startScope();
  try {
    model.all().forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape)));
    {
      const xt = tf.tensor2d(x, [rows, x.length / rows]);
      const yt = tf.tensor2d(y, [rows, y.length / rows]);
      const trainable = model.trainable();
      const masks = model.all().map(() => null);
      let logits: Tensor | null = null;
      const stats: { mean: Tensor; variance: Tensor }[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(xt, masks, stats);
        logits = tf.keep(out);
        const mean = tf.mean(model.sampleLoss(out, yt));
        const penalty = model.penalty();
        return (penalty ? tf.add(mean, penalty) : mean) as tf.Scalar;
      }, trainable);
      const kept = logits as Tensor | null;
      const out = {
        logits: kept!.dataSync() as Float32Array,
        loss: value.dataSync()[0],
        grads: model.all().map((v) => (grads[v.name] ? (grads[v.name].dataSync() as Float32Array) : null)),
      };
      for (const t of [kept!, ...stats.flatMap((st) => [st.mean, st.variance])]) t.dispose();
      return out;
    }
  } finally {
    tf.engine().endScope();
    model.dispose();
  }
}
