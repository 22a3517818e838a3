/**
 * The native engine: the C++ stacked trainer in native/ (built at install time when a compiler is
 * present). Every model of a stack trains a whole epoch inside one call, off the JavaScript thread,
 * with the same formulas, initial weights and dropout masks as the TensorFlow.js engine.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import type { ModelConfig } from '../models/config.js';
import { sequentialShapes, type SequentialLayer } from '../models/layers.js';
import { initialWeights, layerWidths } from '../models/weights.js';
import { nativeCode } from './native-enums.js';
import type { Engine, LossAndMetric, ModelJob, StackRuntime } from './runtime.js';

interface NativeAddon {
  createStack(spec: unknown): unknown;
  trainEpoch(handle: unknown, orders: Int32Array[], lrs: Float64Array, active: Uint8Array, threads: number): Promise<Float64Array>;
  /** trainEpoch with each model timed: triples (loss, metric, seconds). Absent from an addon built before it. */
  trainEpochTimed?(handle: unknown, orders: Int32Array[], lrs: Float64Array, active: Uint8Array, threads: number): Promise<Float64Array>;
  evaluate(handle: unknown, part: number, active: Uint8Array, threads: number): Promise<Float64Array>;
  getWeights(handle: unknown, m: number): Float32Array[];
  setWeights(handle: unknown, m: number, weights: Float32Array[]): void;
  dispose(handle: unknown): void;
  hash32(key: number, counter: number): number;
}


let cached: NativeAddon | null | undefined;

/** The addon, or null when it was not built (no compiler at install time). */
export function loadNativeAddon(): NativeAddon | null {
  if (cached !== undefined) return cached;
  const path = join(packageRoot(), 'native/build/Release/nnsearch_native.node');
  try {
    cached = existsSync(path) ? (createRequire(import.meta.url)(path) as NativeAddon) : null;
  } catch {
    cached = null;
  }
  return cached;
}

/** Why the native trainer cannot train this model, or null: the loss forms it knows; Sequential models ending in a flat output Dense. */
export function nativeUnsupported(m: ModelConfig): string | null {
  if (m.layers) {
    const shapes = sequentialShapes(m.layers, m.inputShape ?? [m.inputDim]);
    if (!shapes.ok) return `layer ${shapes.index}: ${shapes.message}`;
    if (m.layers.at(-1)?.kind !== 'dense' || shapes.shapes.at(-1)!.length !== 1) return 'a Sequential model whose last layer is not a Dense on flat input';
  }
  const ce = m.loss === 'categorical_crossentropy' || m.loss === 'sparse_categorical_crossentropy';
  if (ce && m.outputActivation !== 'softmax') return `${m.loss} with a ${m.outputActivation} output`;
  if (m.loss === 'binary_crossentropy' && m.outputActivation !== 'sigmoid') return `${m.loss} with a ${m.outputActivation} output`;
  return null;
}

/** Whether the native trainer implements this model (see nativeUnsupported). */
export function nativeSupports(m: ModelConfig): boolean {
  return nativeUnsupported(m) === null;
}

/** Numbers per layer in the addon's layer list (native/sequential.h, LayerSpec and LAYER_FIELDS). */
export const LAYER_FIELDS = 14;

/**
 * A Sequential model's layers as the addon reads them: per layer kind, kernel/pool size (2),
 * strides (2), same, units, activation, l1, l2, maxNorm, rate, momentum, epsilon. The last Dense
 * carries the model's output activation (applied by the loss, as in the MLP).
 */
export function nativeLayerFields(m: ModelConfig): Float64Array {
  const layers = m.layers ?? [];
  const out = new Float64Array(layers.length * LAYER_FIELDS);
  layers.forEach((layer: SequentialLayer, i) => {
    const f = [nativeCode('LayerKind', layer.kind), 1, 1, 1, 1, 0, 0, nativeCode('Activation', 'linear'), 0, 0, 0, 0, 0.99, 1e-3];
    switch (layer.kind) {
      case 'conv2d':
        f.splice(1, 6, layer.kernelSize[0], layer.kernelSize[1], layer.strides[0], layer.strides[1], layer.padding === 'same' ? 1 : 0, layer.filters);
        break;
      case 'max_pooling2d':
      case 'average_pooling2d':
        f.splice(1, 5, layer.poolSize[0], layer.poolSize[1], layer.strides[0], layer.strides[1], layer.padding === 'same' ? 1 : 0);
        break;
      case 'dense':
        f[6] = layer.units;
        break;
      case 'dropout':
        f[11] = layer.rate;
        break;
      case 'batch_normalization':
        f[12] = layer.momentum;
        f[13] = layer.epsilon;
        break;
    }
    if (layer.kind === 'conv2d' || layer.kind === 'dense') {
      f[7] = nativeCode('Activation', i === layers.length - 1 ? m.outputActivation : layer.activation);
      f[8] = layer.l1;
      f[9] = layer.l2;
      f[10] = layer.maxNorm ?? 0;
    }
    out.set(f, i * LAYER_FIELDS);
  });
  return out;
}

/** What must agree for models to share a stack: the data and every layer's shape (not hyperparameters). */
function stackShape(m: ModelConfig): string {
  if (!m.layers) return JSON.stringify(layerWidths(m));
  const shape = m.layers.map((l) => {
    switch (l.kind) {
      case 'conv2d': return [l.kind, l.filters, ...l.kernelSize, ...l.strides, l.padding];
      case 'max_pooling2d':
      case 'average_pooling2d': return [l.kind, ...l.poolSize, ...l.strides, l.padding];
      case 'dense': return [l.kind, l.units];
      default: return [l.kind];
    }
  });
  return JSON.stringify([m.inputShape ?? [m.inputDim], m.outputDim, shape]);
}

function toSpec(jobs: ModelJob[]) {
  const first = jobs[0];
  const sequential = first.config.model.layers !== undefined;
  return {
    ...(sequential ? {
      inputShape: Int32Array.from(first.config.model.inputShape ?? [first.config.model.inputDim]),
      layers: jobs.map((j) => nativeLayerFields(j.config.model)),
    } : {}),
    x: first.data.x,
    y: first.data.y,
    d: first.data.d,
    classification: first.data.task === 'classification',
    widths: Int32Array.from(layerWidths(first.config.model)),
    models: jobs.map((j) => {
      const m = j.config.model;
      const o = m.optimizer;
      return {
        fit: j.data.fit,
        validation: j.data.validation,
        test: j.data.test,
        scalerOffset: j.data.scaler?.offset ?? null,
        scalerFactor: j.data.scaler?.factor ?? null,
        activation: nativeCode('Activation', m.activation),
        outputActivation: nativeCode('Activation', m.outputActivation),
        loss: nativeCode('Loss', m.loss),
        metric: nativeCode('Metric', j.metric),
        l1: m.l1,
        l2: m.l2,
        maxNorm: m.maxNorm ?? 0,
        batchNorm: m.batchNorm,
        dropout64: Float64Array.from(m.hidden.map((h) => h.dropout)),
        batchSize: j.config.train.batchSize,
        seed: j.seed >>> 0,
        optimizer: {
          name: nativeCode('Optimizer', o.name),
          momentum: o.momentum,
          nesterov: o.nesterov,
          decay: o.decay,
          beta1: o.beta1,
          beta2: o.beta2,
          epsilon: o.epsilon,
          rho: o.rho,
          centered: o.centered,
          initialAccumulator: o.initialAccumulator,
        },
        weights: initialWeights(m, j.seed),
      };
    }),
  };
}

function pairs(a: Float64Array): LossAndMetric[] {
  const out: LossAndMetric[] = [];
  for (let i = 0; i < a.length; i += 2) out.push({ loss: a[i], metric: a[i + 1] });
  return out;
}

function triples(a: Float64Array): LossAndMetric[] {
  const out: LossAndMetric[] = [];
  for (let i = 0; i < a.length; i += 3) out.push({ loss: a[i], metric: a[i + 1], seconds: a[i + 2] });
  return out;
}

class NativeStack implements StackRuntime {
  readonly size: number;
  private handle: unknown;

  constructor(private readonly addon: NativeAddon, jobs: ModelJob[], private readonly threads: number) {
    this.size = jobs.length;
    this.handle = addon.createStack(toSpec(jobs));
  }

  async trainEpoch(orders: Int32Array[], lrs: number[], active: boolean[]): Promise<LossAndMetric[]> {
    const args = [this.handle, orders, Float64Array.from(lrs), Uint8Array.from(active, Number), this.threads] as const;
    return this.addon.trainEpochTimed ? triples(await this.addon.trainEpochTimed(...args)) : pairs(await this.addon.trainEpoch(...args));
  }

  async evaluate(part: 'validation' | 'test', active: boolean[]): Promise<LossAndMetric[]> {
    return pairs(await this.addon.evaluate(this.handle, part === 'validation' ? 0 : 1, Uint8Array.from(active, Number), this.threads));
  }

  async snapshot(m: number): Promise<Float32Array[]> {
    return this.addon.getWeights(this.handle, m);
  }

  restore(m: number, weights: Float32Array[]): void {
    this.addon.setWeights(this.handle, m, weights);
  }

  dispose(): void {
    this.addon.dispose(this.handle);
  }
}

export class NativeEngine implements Engine {
  readonly name = 'native';
  readonly inProcessParallel = true;
  /** Models per stack: the folds of a trial, and trials alike. */
  readonly maxStack: number;

  constructor(private readonly addon: NativeAddon, private readonly threads = 1, maxStack = 16) {
    this.maxStack = maxStack;
  }

  static create(threads = 1): NativeEngine | null {
    const addon = loadNativeAddon();
    return addon ? new NativeEngine(addon, threads) : null;
  }

  supports(job: ModelJob): boolean {
    return nativeSupports(job.config.model);
  }

  canStack(a: ModelJob, b: ModelJob): boolean {
    return a.data.x === b.data.x && stackShape(a.config.model) === stackShape(b.config.model);
  }

  async createStack(jobs: ModelJob[]): Promise<StackRuntime> {
    for (const j of jobs) {
      const why = nativeUnsupported(j.config.model);
      if (why) throw new Error(`native engine: ${why} is not implemented`);
    }
    return new NativeStack(this.addon, jobs, this.threads);
  }

  async dispose(): Promise<void> {}
}
