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

export const METRICS = ['accuracy', 'loss', 'mse', 'mae'] as const;
export type MetricName = (typeof METRICS)[number];

/** Which way a metric improves, as Keras's EarlyStopping mode 'auto' decides it. */
export function metricGoal(name: string): 'maximize' | 'minimize' {
  return /acc/.test(name) ? 'maximize' : 'minimize';
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
