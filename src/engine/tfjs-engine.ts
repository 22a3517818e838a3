/**
 * The TensorFlow.js engine: each model is a Keras-style MLP held as tf.Variables and trained by a
 * custom loop (gradients from tf.variableGrads, Keras 3 optimizer updates as tf ops), so that every
 * formula is Keras's and every random draw is nnsearch's seeded one. Losses and metrics accumulate on
 * the device and are read once per epoch.
 */
import { initialWeights, layerWidths, weightShapes } from '../models/weights.js';
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

/** One model: its variables, optimizer slots and forward pass. */
class TfjsModel {
  readonly layers: DenseLayer[] = [];
  private readonly slots = new Map<Variable, Variable[]>();
  iterations = 0;

  constructor(readonly cfg: ModelConfig, seed: number) {
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
    if (this.cfg.maxNorm !== null) {
      for (const layer of this.layers) {
        const norms = tf.sqrt(tf.sum(tf.square(layer.kernel), 0, true));
        const desired = tf.clipByValue(norms, 0, this.cfg.maxNorm);
        layer.kernel.assign(tf.mul(layer.kernel, tf.div(desired, tf.add(norms, KERAS_EPSILON))));
      }
    }
    this.iterations++;
  }

  private slotsFor(v: Variable, cfg: OptimizerConfig): Variable[] {
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

/** Rows per inference chunk. */
const EVAL_CHUNK = 2048;

class TfjsStack implements StackRuntime {
  readonly size: number;
  private readonly models: TfjsModel[];
  private readonly batchers: Batcher[];

  constructor(private readonly jobs: ModelJob[]) {
    this.size = jobs.length;
    this.models = jobs.map((j) => new TfjsModel(j.config.model, j.seed));
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
      const masks = model.cfg.hidden.map((h, l) => (h.dropout > 0 ? dropoutMask(new Float32Array(rows * h.units), rows, h.units, h.dropout, dropoutKey(job.seed, model.iterations, l)) : null));
      const next = tf.tidy(() => {
        const x = tf.tensor2d(batch.x, [rows, batcher.d]);
        const y = tf.tensor2d(batch.y, [rows, batcher.targetWidth]);
        const maskTensors = masks.map((mk, l) => (mk ? tf.tensor2d(mk, [rows, model.cfg.hidden[l].units]) : null));
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
        this.updateMovingStats(model, bnStats);
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

  private updateMovingStats(model: TfjsModel, stats: { mean: Tensor; variance: Tensor }[]): void {
    let i = 0;
    for (const layer of model.layers) {
      if (!layer.bn) continue;
      const { mean, variance } = stats[i++];
      layer.bn.movingMean.assign(tf.add(tf.mul(layer.bn.movingMean, BATCH_NORM_MOMENTUM), tf.mul(mean, 1 - BATCH_NORM_MOMENTUM)));
      layer.bn.movingVar.assign(tf.add(tf.mul(layer.bn.movingVar, BATCH_NORM_MOMENTUM), tf.mul(variance, 1 - BATCH_NORM_MOMENTUM)));
    }
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
