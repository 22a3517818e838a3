/**
 * A trial's complete configuration: the spec's model and train sections with the trial's parameters
 * applied, re-validated, and resolved against the data (output size, loss, output activation).
 * Pure; every engine trains from a TrialConfig.
 */
import { SpecError } from '../errors.js';
import type { Params } from '../search/space.js';
import type { SequentialLayer } from './layers.js';
import { checkModelShape } from '../spec/validate.js';
import { setNested } from '../spec/layers-spec.js';
import { isSequentialSpec, resolveSequential } from './sequential.js';
import { ModelSchema, TrainSchema, type EarlyStoppingSpec, type LrScheduleSpec, type MetricSpec, type ModelSpec, type Spec, type TrainSpec } from '../spec/schema.js';
import { DEFAULT_TOP_K, isPredictionMetric, OPTIMIZER_DEFAULTS, type Activation, type Initializer, type Loss, type OptimizerName } from '../spec/vocabulary.js';

export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  decay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  rho: number;
  centered: boolean;
  initialAccumulator: number;
}

export interface LayerConfig {
  units: number;
  dropout: number;
}

export interface ModelConfig {
  inputDim: number;
  outputDim: number;
  hidden: LayerConfig[];
  activation: Activation;
  outputActivation: Activation;
  init: Initializer;
  l1: number;
  l2: number;
  batchNorm: boolean;
  maxNorm: number | null;
  loss: Loss;
  optimizer: OptimizerConfig;
  /**
   * A Keras Sequential model (conv nets; models/layers.ts), its output Dense (outputDim units,
   * outputActivation) included as the last layer. Absent: the MLP that `hidden` describes.
   */
  layers?: SequentialLayer[];
  /** One sample's shape, [height, width, channels], when `layers` is set. */
  inputShape?: number[];
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  validationSplit: number;
  earlyStopping: EarlyStoppingSpec | null;
  lrSchedule: LrScheduleSpec | null;
}

export interface TrialConfig {
  model: ModelConfig;
  train: TrainConfig;
}

/** What the data tells a model: input width, task, classes, and an image's [height, width, channels]. */
export interface DataShape {
  d: number;
  task: 'classification' | 'regression';
  nClasses: number;
  shape?: readonly number[];
}

/** Applies `params` to the spec's sections and validates the result. */
export function mergeParams(spec: Pick<Spec, 'model' | 'train'>, params: Params): { model: ModelSpec; train: TrainSpec } {
  const model: Record<string, unknown> = { ...spec.model };
  const train: Record<string, unknown> = { ...spec.train };
  for (const [name, value] of Object.entries(params)) {
    if (/^(layers|conv_blocks)\./.test(name)) setNested(model, name, value);
    else if (name in ModelSchema.shape) model[name] = value;
    else if (name in TrainSchema.shape) train[name] = value;
    else throw new SpecError(`params.${name}: unknown parameter`);
  }
  const m = ModelSchema.safeParse(model, { reportInput: true });
  if (!m.success) throw new SpecError(`model: ${m.error.issues[0].path.join('.')}: ${m.error.issues[0].message} (with ${describeParams(params)})`);
  const t = TrainSchema.safeParse(train, { reportInput: true });
  if (!t.success) throw new SpecError(`train: ${t.error.issues[0].path.join('.')}: ${t.error.issues[0].message} (with ${describeParams(params)})`);
  const shape = checkModelShape(m.data, ['model']);
  if (shape.length > 0) throw new SpecError(`${shape[0].path.join('.')}: ${shape[0].message} (with ${describeParams(params)})`);
  return { model: m.data, train: t.data };
}

export function describeParams(params: Params): string {
  return `{${Object.entries(params).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}}`;
}

/** The default loss and output activation for a task, as a Keras user would write them. */
export function resolveLoss(model: Pick<ModelSpec, 'loss' | 'output_activation'>, data: DataShape): { loss: Loss; outputActivation: Activation; outputDim: number } {
  const loss: Loss = model.loss !== 'auto' ? model.loss : data.task === 'regression' ? 'mse' : 'categorical_crossentropy';
  if (data.task === 'regression' && (loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy' || loss === 'binary_crossentropy')) {
    throw new SpecError(`model.loss: ${loss} needs a classification target; data.task is regression`);
  }
  if (loss === 'binary_crossentropy' && data.nClasses !== 2) {
    throw new SpecError(`model.loss: binary_crossentropy needs exactly 2 classes, the data has ${data.nClasses}`);
  }
  const outputDim = data.task === 'regression' || loss === 'binary_crossentropy' ? 1 : data.nClasses;
  const outputActivation: Activation =
    model.output_activation !== 'auto' ? model.output_activation
    : loss === 'binary_crossentropy' ? 'sigmoid'
    : data.task === 'regression' ? 'linear'
    : 'softmax';
  return { loss, outputActivation, outputDim };
}

export function resolveTrial(spec: Pick<Spec, 'model' | 'train'>, params: Params, data: DataShape): TrialConfig {
  const { model, train } = mergeParams(spec, params);
  const { loss, outputActivation, outputDim } = resolveLoss(model, data);
  const sequential = isSequentialSpec(model);
  let seq: { layers: SequentialLayer[]; inputShape: number[] } | null = null;
  if (sequential) {
    try {
      seq = resolveSequential(model, data, { units: outputDim, activation: outputActivation });
    } catch (e) {
      if (e instanceof SpecError && Object.keys(params).length > 0) throw new SpecError(`${e.message} (with ${describeParams(params)})`);
      throw e;
    }
  }
  const widths = sequential ? [] : Array.isArray(model.units) ? model.units : new Array<number>(typeof model.layers === 'number' ? model.layers : 1).fill(model.units);
  const rates = Array.isArray(model.dropout) ? model.dropout : new Array<number>(widths.length).fill(model.dropout as number);
  const defaults = OPTIMIZER_DEFAULTS[model.optimizer];
  return {
    model: {
      inputDim: data.d,
      outputDim,
      hidden: widths.map((units, i) => ({ units, dropout: rates[i] })),
      activation: model.activation,
      outputActivation,
      init: model.init,
      l1: model.l1,
      l2: model.l2,
      batchNorm: model.batch_norm,
      maxNorm: model.max_norm,
      loss,
      optimizer: {
        name: model.optimizer,
        learningRate: model.learning_rate ?? defaults.learning_rate,
        momentum: model.optimizer === 'sgd' || model.optimizer === 'rmsprop' ? (model.momentum ?? 0) : 0,
        nesterov: model.optimizer === 'sgd' ? model.nesterov : false,
        decay: model.decay,
        beta1: model.beta_1 ?? defaults.beta_1 ?? 0.9,
        beta2: model.beta_2 ?? defaults.beta_2 ?? 0.999,
        epsilon: model.epsilon ?? defaults.epsilon ?? 1e-7,
        rho: model.rho ?? defaults.rho ?? 0.9,
        centered: model.optimizer === 'rmsprop' ? model.centered : false,
        initialAccumulator: defaults.initial_accumulator_value ?? 0.1,
      },
      ...(seq ? { layers: seq.layers, inputShape: seq.inputShape } : {}),
    },
    train: {
      epochs: train.epochs,
      batchSize: train.batch_size,
      shuffle: train.shuffle,
      validationSplit: train.validation_split,
      earlyStopping: train.early_stopping,
      lrSchedule: train.lr_schedule,
    },
  };
}

/** The metric a study optimizes: the spec's, or accuracy (classification) / loss (regression). */
export function resolveMetric(spec: Pick<Spec, 'metric'>, data: DataShape): MetricSpec {
  const metric: MetricSpec = spec.metric ?? (data.task === 'classification' ? { name: 'accuracy', goal: 'maximize' } : { name: 'loss', goal: 'minimize' });
  if ((metric.name === 'accuracy' || isPredictionMetric(metric.name)) && data.task === 'regression') {
    throw new SpecError(`metric.name: ${metric.name} needs a classification target; use loss, mse or mae`);
  }
  if (metric.name !== 'top_k_accuracy') return metric;
  const k = metric.k ?? DEFAULT_TOP_K;
  if (k >= data.nClasses) throw new SpecError(`metric.k: ${k} is not below the data's ${data.nClasses} classes, so every prediction would count (use a smaller k)`);
  return { ...metric, k };
}
