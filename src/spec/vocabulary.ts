/**
 * The Keras vocabulary nnsearch accepts in a spec: names exactly as Keras spells them, with Keras's
 * defaults. Pure data; the engines implement what the names mean (src/models).
 */

export const INITIALIZERS = [
  'uniform', // RandomUniform(-0.05, 0.05)
  'normal', // RandomNormal(0, 0.05)
  'zero', // Zeros
  'lecun_uniform',
  'lecun_normal',
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'orthogonal',
] as const;
export type Initializer = (typeof INITIALIZERS)[number];

/** Keras spellings that mean the same initializer. */
export const INITIALIZER_ALIASES: Record<string, Initializer> = {
  zeros: 'zero',
  random_uniform: 'uniform',
  random_normal: 'normal',
  xavier_uniform: 'glorot_uniform',
  xavier_normal: 'glorot_normal',
};

export const ACTIVATIONS = [
  'relu',
  'tanh',
  'sigmoid',
  'softplus',
  'softsign',
  'selu',
  'elu',
  'leaky_relu',
  'linear',
  'softmax',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Keras's leaky_relu activation slope (keras.activations.leaky_relu, negative_slope=0.2). */
export const LEAKY_RELU_SLOPE = 0.2;

export const LOSSES = [
  'categorical_crossentropy',
  'sparse_categorical_crossentropy',
  'binary_crossentropy',
  'mse',
  'mae',
] as const;
export type Loss = (typeof LOSSES)[number];

export const LOSS_ALIASES: Record<string, Loss> = {
  mean_squared_error: 'mse',
  mean_absolute_error: 'mae',
};

export const OPTIMIZERS = ['sgd', 'adam', 'adagrad', 'rmsprop', 'adadelta', 'adamax'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Keras defaults of each optimizer (keras.optimizers, Keras 3). */
export const OPTIMIZER_DEFAULTS: Record<
  OptimizerName,
  { learning_rate: number; beta_1?: number; beta_2?: number; epsilon?: number; rho?: number; momentum?: number; initial_accumulator_value?: number }
> = {
  sgd: { learning_rate: 0.01, momentum: 0 },
  adam: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  adagrad: { learning_rate: 0.001, epsilon: 1e-7, initial_accumulator_value: 0.1 },
  rmsprop: { learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 },
  adadelta: { learning_rate: 0.001, rho: 0.95, epsilon: 1e-7 },
  adamax: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
};

/** The metrics every engine logs per epoch (on the training batches, the validation split and the test fold). */
export const EPOCH_METRICS = ['accuracy', 'loss', 'mse', 'mae'] as const;
export type EpochMetric = (typeof EPOCH_METRICS)[number];

/**
 * Metrics scored once per fold from the trained model's class probabilities on the test fold, as
 * scikit-learn defines them (f1_score / precision_score / recall_score with average='macro',
 * roc_auc_score (binary; multi_class='ovr' macro for more classes), top_k_accuracy_score).
 * Classification only; the epochs of such a study log accuracy.
 */
export const PREDICTION_METRICS = ['f1_macro', 'precision_macro', 'recall_macro', 'roc_auc', 'top_k_accuracy'] as const;
export type PredictionMetric = (typeof PREDICTION_METRICS)[number];

export const METRICS = [...EPOCH_METRICS, ...PREDICTION_METRICS] as const;
export type MetricName = (typeof METRICS)[number];

/** scikit-learn's scorer names that mean a metric above. */
export const METRIC_ALIASES: Record<string, MetricName> = { roc_auc_ovr: 'roc_auc' };

/** scikit-learn's default k of top_k_accuracy_score. */
export const DEFAULT_TOP_K = 2;

export function isPredictionMetric(name: string): name is PredictionMetric {
  return (PREDICTION_METRICS as readonly string[]).includes(name);
}

/** The metric the engines log per epoch for a study metric: itself, or accuracy for a prediction metric. */
export function epochMetric(name: MetricName): EpochMetric {
  return isPredictionMetric(name) ? 'accuracy' : name;
}

/** Which way a metric improves, as Keras's EarlyStopping mode 'auto' decides it (and scikit-learn's scorers). */
export function metricGoal(name: string): 'maximize' | 'minimize' {
  return /acc|f1|precision|recall|roc_auc/.test(name) ? 'maximize' : 'minimize';
}

/** Keras BatchNormalization defaults. */
export const BATCH_NORM_MOMENTUM = 0.99;
export const BATCH_NORM_EPSILON = 1e-3;

/** Keras backend epsilon (keras.config.epsilon()), used by MaxNorm and clipped losses. */
export const KERAS_EPSILON = 1e-7;

export const DATASETS = ['mnist', 'fashion-mnist', 'idx', 'csv'] as const;

export const SCALINGS = ['none', 'minmax', 'standard'] as const;
export type Scaling = (typeof SCALINGS)[number];

export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
