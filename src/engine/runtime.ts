/**
 * The contract between the Keras-style fit loop (fit.ts) and an engine that holds models' weights:
 * a "stack" of M models of the same layer sizes, trained in lockstep one epoch at a time. The tfjs
 * engine stacks one model; faster engines stack the k folds of a trial, and trials alike.
 */
import type { TrialConfig } from '../models/config.js';
import type { EpochMetric, MetricName } from '../spec/vocabulary.js';

/** Per-feature affine scaling fitted on a training part: x' = (x - offset[j]) * factor[j]. */
export interface Scaler {
  offset: Float32Array;
  factor: Float32Array;
}

/** One CV fold as index sets into the shared dataset (nothing copied). */
export interface FoldData {
  x: Float32Array;
  y: Float32Array;
  d: number;
  task: 'classification' | 'regression';
  nClasses: number;
  fit: Int32Array;
  validation: Int32Array;
  test: Int32Array;
  /** Fitted on this fold's training part only. */
  scaler: Scaler | null;
}

/** One model to train: a trial's configuration on one fold. */
export interface ModelJob {
  config: TrialConfig;
  data: FoldData;
  /** Seeds weight init, dropout masks and the per-epoch shuffle. */
  seed: number;
  /** The metric the engine records beside the loss each epoch (and, without `scoring`, scores on the test fold). */
  metric: EpochMetric;
  /** How the fold is scored when training ends; absent: the engine's test-fold value of `metric`. */
  scoring?: Scoring;
}

/** How a fold's model is scored when training ends: the study metric, and scikit-learn's return_train_score. */
export interface Scoring {
  metric: MetricName;
  /** top_k_accuracy's k. */
  k?: number;
  /** Also score the model on its fold's training part (its fit and validation rows). */
  trainScore: boolean;
}

export interface LossAndMetric {
  loss: number;
  /** The study metric; equals `loss` when the metric is loss. */
  metric: number;
  /** trainEpoch: wall seconds of this model's epoch, when the engine times each model (native, tfjs). */
  seconds?: number;
}

export interface StackRuntime {
  readonly size: number;
  /**
   * One epoch for every active model: model m visits its fit samples in `orders[m]` (indices into
   * data.fit), in mini-batches, at learning rate `lrs[m]` (before Keras `decay`). Returns each model's
   * epoch mean of batch loss and metric, as Keras logs them (inactive models: NaN).
   */
  trainEpoch(orders: Int32Array[], lrs: number[], active: boolean[]): Promise<LossAndMetric[]>;
  /** Inference-mode loss and metric on a part of each model's fold. */
  evaluate(part: 'validation' | 'test', active: boolean[]): Promise<LossAndMetric[]>;
  /** A copy of model m's weights (for EarlyStopping's restore_best). */
  snapshot(m: number): Promise<Float32Array[]>;
  restore(m: number, weights: Float32Array[]): void;
  dispose(): void;
}

export interface Engine {
  /** e.g. 'tfjs-wasm', 'native'. */
  readonly name: string;
  /** How many models one stack may hold. */
  readonly maxStack: number;
  /**
   * Whether the engine spreads a stack over several threads or a GPU in this process (native,
   * webgpu). When it does not (TensorFlow.js), `--workers N` means N processes sharing the database.
   */
  readonly inProcessParallel: boolean;
  /** Trials a search round should claim to fill this engine's stacks (a GPU wants many). */
  readonly trialsPerRound?: number;
  /** Whether jobs can share a stack (same layer sizes and batch size). */
  canStack(a: ModelJob, b: ModelJob): boolean;
  createStack(jobs: ModelJob[]): Promise<StackRuntime>;
  dispose(): Promise<void>;
}
