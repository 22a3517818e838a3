/**
 * The C++ trainer's enums (native/mlp.h, and LayerKind in native/sequential.h) and the TypeScript names each enumerator stands for, so
 * that the codes passed to the addon are found by name rather than by the order of two lists kept
 * in two languages. test/engine/native-enums.test.ts reads native/mlp.h and checks these tables
 * against it, without the compiled addon.
 */
import type { LayerKind } from '../models/layers.js';
import type { Activation, EpochMetric, Loss, OptimizerName } from '../spec/vocabulary.js';

/** Each native enum's enumerators in declaration order (their value is the index). */
export const NATIVE_ENUMS = {
  Activation: ['RELU', 'TANH', 'SIGMOID', 'SOFTPLUS', 'SOFTSIGN', 'SELU', 'ELU', 'LEAKY_RELU', 'LINEAR', 'SOFTMAX'],
  Loss: ['CCE', 'SCCE', 'BCE', 'MSE', 'MAE'],
  Metric: ['ACCURACY', 'LOSS', 'METRIC_MSE', 'METRIC_MAE'],
  Optimizer: ['SGD', 'ADAM', 'ADAGRAD', 'RMSPROP', 'ADADELTA', 'ADAMAX'],
  LayerKind: ['CONV2D', 'MAX_POOLING2D', 'AVERAGE_POOLING2D', 'FLATTEN', 'GLOBAL_AVERAGE_POOLING2D', 'DENSE', 'DROPOUT', 'BATCH_NORMALIZATION'],
} as const;

type Enumerator<E extends keyof typeof NATIVE_ENUMS> = (typeof NATIVE_ENUMS)[E][number];

/** The native enumerator of every TypeScript name (a missing or unknown one fails to compile). */
export const NATIVE_NAMES: {
  Activation: Record<Activation, Enumerator<'Activation'>>;
  Loss: Record<Loss, Enumerator<'Loss'>>;
  Metric: Record<EpochMetric, Enumerator<'Metric'>>;
  Optimizer: Record<OptimizerName, Enumerator<'Optimizer'>>;
  LayerKind: Record<LayerKind, Enumerator<'LayerKind'>>;
} = {
  Activation: { relu: 'RELU', tanh: 'TANH', sigmoid: 'SIGMOID', softplus: 'SOFTPLUS', softsign: 'SOFTSIGN', selu: 'SELU', elu: 'ELU', leaky_relu: 'LEAKY_RELU', linear: 'LINEAR', softmax: 'SOFTMAX' },
  Loss: { categorical_crossentropy: 'CCE', sparse_categorical_crossentropy: 'SCCE', binary_crossentropy: 'BCE', mse: 'MSE', mae: 'MAE' },
  Metric: { accuracy: 'ACCURACY', loss: 'LOSS', mse: 'METRIC_MSE', mae: 'METRIC_MAE' },
  Optimizer: { sgd: 'SGD', adam: 'ADAM', adagrad: 'ADAGRAD', rmsprop: 'RMSPROP', adadelta: 'ADADELTA', adamax: 'ADAMAX' },
  LayerKind: {
    conv2d: 'CONV2D',
    max_pooling2d: 'MAX_POOLING2D',
    average_pooling2d: 'AVERAGE_POOLING2D',
    flatten: 'FLATTEN',
    global_average_pooling2d: 'GLOBAL_AVERAGE_POOLING2D',
    dense: 'DENSE',
    dropout: 'DROPOUT',
    batch_normalization: 'BATCH_NORMALIZATION',
  },
};

/** The integer the addon expects for a TypeScript name of kind `kind`. */
export function nativeCode<E extends keyof typeof NATIVE_ENUMS>(kind: E, name: keyof (typeof NATIVE_NAMES)[E]): number {
  const enumerator = (NATIVE_NAMES[kind] as Record<string, string>)[name as string];
  return (NATIVE_ENUMS[kind] as readonly string[]).indexOf(enumerator);
}
