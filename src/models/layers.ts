/**
 * Keras Sequential layers as every engine trains them, resolved from the spec (every searched field
 * applied, every default filled in). Images are channels_last (NHWC), as Keras's default
 * `data_format`: a sample of shape [h, w, c] is stored row by row, channels innermost, so a dataset
 * row of h*w*c features is one image. Pure; the shape rules are Keras's (TensorFlow's) formulas:
 *
 *   valid: out = floor((in - k) / s) + 1
 *   same:  out = ceil(in / s), padded by total = max((out - 1) * s + k - in, 0), floor(total / 2)
 *          before and the rest after (TensorFlow puts the odd pixel at the end; PyTorch's
 *          symmetric `padding=` cannot, so goldens pad explicitly with F.pad).
 *
 * Pooling with padding 'same' never counts padded cells: max pooling ignores them, average pooling
 * divides by the number of real cells in the window (PyTorch: count_include_pad=False).
 */
import type { Activation, Initializer } from '../spec/vocabulary.js';

export type Padding = 'valid' | 'same';
/** [height, width, channels] of one sample, or [features] for flat (tabular) data. */
export type SampleShape = readonly number[];

/** Kernel settings a layer with weights carries (Keras kernel_initializer, kernel_regularizer, kernel_constraint). */
export interface KernelSettings {
  init: Initializer;
  l1: number;
  l2: number;
  /** Keras MaxNorm(max_value) on the kernel (axis 0 for Dense; axes [0, 1, 2] for Conv2D); null: none. */
  maxNorm: number | null;
}

export interface Conv2DLayer extends KernelSettings {
  kind: 'conv2d';
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  activation: Activation;
}

export interface Pooling2DLayer {
  kind: 'max_pooling2d' | 'average_pooling2d';
  poolSize: [number, number];
  /** Keras default: the pool size. */
  strides: [number, number];
  padding: Padding;
}

export interface FlattenLayer { kind: 'flatten' }
export interface GlobalAveragePooling2DLayer { kind: 'global_average_pooling2d' }

export interface DenseLayer extends KernelSettings {
  kind: 'dense';
  units: number;
  activation: Activation;
}

export interface DropoutLayer { kind: 'dropout'; rate: number }

/** Keras BatchNormalization over the last axis (channels for images); defaults momentum 0.99, epsilon 1e-3. */
export interface BatchNormalizationLayer { kind: 'batch_normalization'; momentum: number; epsilon: number }

export type SequentialLayer =
  | Conv2DLayer
  | Pooling2DLayer
  | FlattenLayer
  | GlobalAveragePooling2DLayer
  | DenseLayer
  | DropoutLayer
  | BatchNormalizationLayer;

export type LayerKind = SequentialLayer['kind'];

/** Keras's class name for each layer kind (export, show, report). */
export const KERAS_CLASS_NAMES: Record<LayerKind, string> = {
  conv2d: 'Conv2D',
  max_pooling2d: 'MaxPooling2D',
  average_pooling2d: 'AveragePooling2D',
  flatten: 'Flatten',
  global_average_pooling2d: 'GlobalAveragePooling2D',
  dense: 'Dense',
  dropout: 'Dropout',
  batch_normalization: 'BatchNormalization',
};

/** Output length along one spatial axis, TensorFlow's rule; 0 or less means the output vanished. */
export function convOutputSize(input: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - kernel) / stride) + 1;
}

/** TensorFlow's 'same' padding along one axis: the odd pixel goes after. Zero for 'valid'. */
export function paddingBeforeAfter(input: number, kernel: number, stride: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [0, 0];
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + kernel - input, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Why a layer cannot take `input` (the field to blame and a message), or null. */
export function layerShapeProblem(layer: SequentialLayer, input: SampleShape): { field: string; message: string } | null {
  const spatial = layer.kind === 'conv2d' || layer.kind === 'max_pooling2d' || layer.kind === 'average_pooling2d' || layer.kind === 'global_average_pooling2d';
  if (spatial && input.length !== 3) {
    return { field: 'kind', message: `${KERAS_CLASS_NAMES[layer.kind]} needs images (height, width, channels); its input is ${describeShape(input)}` };
  }
  if (layer.kind === 'dense' && input.length !== 1) {
    return { field: 'kind', message: `Dense needs a flat input; its input is ${describeShape(input)} (put Flatten or GlobalAveragePooling2D before it)` };
  }
  if (layer.kind === 'conv2d' || layer.kind === 'max_pooling2d' || layer.kind === 'average_pooling2d') {
    const [k, field] = layer.kind === 'conv2d' ? [layer.kernelSize, 'kernel_size'] : [layer.poolSize, 'pool_size'];
    for (let a = 0; a < 2; a++) {
      if (layer.padding === 'valid' && k[a] > input[a]) {
        return { field, message: `${k[0]}x${k[1]} is larger than its input ${describeShape(input)}` };
      }
    }
  }
  return null;
}

/** The shape one layer makes of `input` (assumed valid: see layerShapeProblem). */
export function layerOutputShape(layer: SequentialLayer, input: SampleShape): number[] {
  switch (layer.kind) {
    case 'conv2d':
      return [
        convOutputSize(input[0], layer.kernelSize[0], layer.strides[0], layer.padding),
        convOutputSize(input[1], layer.kernelSize[1], layer.strides[1], layer.padding),
        layer.filters,
      ];
    case 'max_pooling2d':
    case 'average_pooling2d':
      return [
        convOutputSize(input[0], layer.poolSize[0], layer.strides[0], layer.padding),
        convOutputSize(input[1], layer.poolSize[1], layer.strides[1], layer.padding),
        input[2],
      ];
    case 'flatten':
      return [input.reduce((a, b) => a * b, 1)];
    case 'global_average_pooling2d':
      return [input[2]];
    case 'dense':
      return [...input.slice(0, -1), layer.units];
    case 'dropout':
    case 'batch_normalization':
      return [...input];
  }
}

/** Shapes after each layer (index i: the output of layers[i]), or the first layer that cannot take its input. */
export function sequentialShapes(layers: readonly SequentialLayer[], input: SampleShape):
  { ok: true; shapes: number[][] } | { ok: false; index: number; field: string; message: string } {
  const shapes: number[][] = [];
  let shape: SampleShape = input;
  for (let i = 0; i < layers.length; i++) {
    const problem = layerShapeProblem(layers[i], shape);
    if (problem) return { ok: false, index: i, ...problem };
    const out = layerOutputShape(layers[i], shape);
    if (out.some((n) => n < 1)) {
      return { ok: false, index: i, field: 'kind', message: `its output ${describeShape(out)} has nothing left (input ${describeShape(shape)})` };
    }
    shapes.push(out);
    shape = out;
  }
  return { ok: true, shapes };
}

export function describeShape(shape: SampleShape): string {
  return shape.length === 1 ? `${shape[0]} features` : shape.join('x');
}

/**
 * Whether a per-feature scaler can be folded into the model's first weights (for export): only when
 * the first layer with weights is a Dense that sees the features themselves (after Flatten or
 * Dropout at most). A convolution shares its kernel across pixels, so it cannot.
 */
export function scalerFoldable(layers: readonly SequentialLayer[]): boolean {
  for (const l of layers) {
    if (l.kind === 'dense') return true;
    if (l.kind !== 'flatten' && l.kind !== 'dropout') return false;
  }
  return false;
}
