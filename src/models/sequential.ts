/**
 * A spec's Keras layer list (or conv_blocks with its MLP head) resolved into the SequentialLayer[]
 * every engine trains: model-level defaults filled in (activation, init, l1, l2, max_norm for layers
 * that do not set them), the output Dense appended, and the shapes checked against the data's
 * sample shape. Pure; a shape that does not work is a SpecError naming the layer and field.
 */
import { SpecError } from '../errors.js';
import { itemParts, type LayerItem } from '../spec/layers-spec.js';
import type { ModelSpec } from '../spec/schema.js';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, type Activation } from '../spec/vocabulary.js';
import { describeShape, KERAS_CLASS_NAMES, sequentialShapes, type KernelSettings, type SequentialLayer } from './layers.js';

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export interface ResolvedSequential {
  layers: SequentialLayer[];
  inputShape: number[];
  /** Output shape after each layer (Keras model.summary()'s column). */
  shapes: number[][];
}

/** Whether the model section describes a Keras Sequential model (a layer list or conv_blocks) rather than an MLP. */
export function isSequentialSpec(model: Pick<ModelSpec, 'layers' | 'conv_blocks'>): boolean {
  return Array.isArray(model.layers) || model.conv_blocks !== undefined;
}

function kernelOf(args: Record<string, unknown>, model: ModelSpec): KernelSettings {
  return {
    init: (args.kernel_initializer as KernelSettings['init'] | undefined) ?? model.init,
    l1: (args.l1 as number | undefined) ?? model.l1,
    l2: (args.l2 as number | undefined) ?? model.l2,
    maxNorm: args.max_norm === undefined ? model.max_norm : (args.max_norm as number | null),
  };
}

function fromItem(item: LayerItem, model: ModelSpec): SequentialLayer {
  const { cls, args: a } = itemParts(item);
  const args = a as Record<string, never>;
  switch (cls) {
    case 'Conv2D':
      return { kind: 'conv2d', filters: args.filters, kernelSize: pair(args.kernel_size), strides: pair(args.strides), padding: args.padding, activation: (args.activation as Activation | undefined) ?? model.activation, ...kernelOf(args, model) };
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const poolSize = pair(args.pool_size);
      return { kind: cls === 'MaxPooling2D' ? 'max_pooling2d' : 'average_pooling2d', poolSize, strides: args.strides === null ? poolSize : pair(args.strides), padding: args.padding };
    }
    case 'Flatten':
      return { kind: 'flatten' };
    case 'GlobalAveragePooling2D':
      return { kind: 'global_average_pooling2d' };
    case 'Dense':
      return { kind: 'dense', units: args.units, activation: (args.activation as Activation | undefined) ?? model.activation, ...kernelOf(args, model) };
    case 'Dropout':
      return { kind: 'dropout', rate: args.rate };
    case 'BatchNormalization':
      return { kind: 'batch_normalization', momentum: args.momentum, epsilon: args.epsilon };
  }
}

/** The layers of a spec's model (without the output layer), each with where the spec wrote it. */
function specLayers(model: ModelSpec): { layers: SequentialLayer[]; origins: string[] } {
  if (Array.isArray(model.layers)) {
    return { layers: model.layers.map((item) => fromItem(item, model)), origins: model.layers.map((_, i) => `model.layers[${i}]`) };
  }
  const cb = model.conv_blocks!;
  const layers: SequentialLayer[] = [];
  const origins: string[] = [];
  const kernel = kernelOf({}, model);
  const add = (layer: SequentialLayer, origin: string) => {
    layers.push(layer);
    origins.push(origin);
  };
  for (let b = 0; b < cb.count; b++) {
    const at = `model.conv_blocks (block ${b + 1} of ${cb.count}`;
    const filters = Math.max(1, Math.round(cb.filters * Math.pow(cb.growth, b)));
    for (let c = 0; c < cb.convs; c++) {
      add({ kind: 'conv2d', filters, kernelSize: pair(cb.kernel_size), strides: [1, 1], padding: cb.padding, activation: model.activation, ...kernel }, `${at}, Conv2D)`);
      if (cb.batch_norm) add({ kind: 'batch_normalization', momentum: BATCH_NORM_MOMENTUM, epsilon: BATCH_NORM_EPSILON }, `${at}, BatchNormalization)`);
    }
    if (cb.pool !== 'none') {
      const poolSize = pair(cb.pool_size);
      add({ kind: cb.pool === 'max' ? 'max_pooling2d' : 'average_pooling2d', poolSize, strides: poolSize, padding: 'valid' }, `${at}, ${cb.pool === 'max' ? 'MaxPooling2D' : 'AveragePooling2D'})`);
    }
    if (cb.dropout > 0) add({ kind: 'dropout', rate: cb.dropout }, `${at}, Dropout)`);
  }
  add(cb.global_pooling ? { kind: 'global_average_pooling2d' } : { kind: 'flatten' }, `model.conv_blocks (${cb.global_pooling ? 'GlobalAveragePooling2D' : 'Flatten'})`);
  const widths = Array.isArray(model.units) ? model.units : new Array<number>(typeof model.layers === 'number' ? model.layers : 1).fill(model.units);
  const rates = Array.isArray(model.dropout) ? model.dropout : new Array<number>(widths.length).fill(model.dropout);
  widths.forEach((units, i) => {
    add({ kind: 'dense', units, activation: model.activation, ...kernel }, `model.units[${i}]`);
    if (model.batch_norm) add({ kind: 'batch_normalization', momentum: BATCH_NORM_MOMENTUM, epsilon: BATCH_NORM_EPSILON }, 'model.batch_norm');
    if (rates[i] > 0) add({ kind: 'dropout', rate: rates[i] }, `model.dropout`);
  });
  return { layers, origins };
}

/**
 * The model's layers with the output Dense appended, on data whose samples have `shape` (an image's
 * [h, w, c], or undefined for tabular data of d features). A model without spatial layers takes the
 * samples flat.
 */
export function resolveSequential(model: ModelSpec, data: { d: number; shape?: readonly number[] }, output: { units: number; activation: Activation }): ResolvedSequential {
  const { layers, origins } = specLayers(model);
  const kernel = kernelOf({}, model);
  layers.push({ kind: 'dense', units: output.units, activation: output.activation, ...kernel });
  origins.push('the output Dense (added for the data)');
  const spatial = layers.some((l) => l.kind === 'conv2d' || l.kind === 'max_pooling2d' || l.kind === 'average_pooling2d' || l.kind === 'global_average_pooling2d');
  const inputShape = spatial && data.shape ? [...data.shape] : [data.d];
  const shapes = sequentialShapes(layers, inputShape);
  if (!shapes.ok) {
    const origin = origins[shapes.index];
    const field = shapes.field === 'kind' ? '' : `.${shapes.field}`;
    const hint = spatial && !data.shape && shapes.index === layers.findIndex((l) => l.kind !== 'dropout' && l.kind !== 'batch_normalization')
      ? ' (give data.shape: [height, width, channels] for image data in a CSV file)'
      : '';
    const layer = origin.startsWith('model.layers') ? `${origin}${field}` : `${origin}, layer ${shapes.index} (${KERAS_CLASS_NAMES[layers[shapes.index].kind]})${field ? ` ${shapes.field}` : ''}`;
    throw new SpecError(`${layer}: ${shapes.message}${hint}`);
  }
  return { layers, inputShape, shapes: shapes.shapes };
}

/** Trainable and non-trainable parameter counts of each layer (Keras model.summary()'s Param #). */
export function layerParamCounts(layers: readonly SequentialLayer[], inputShape: readonly number[], shapes: readonly number[][]): number[] {
  return layers.map((layer, i) => {
    const input = i === 0 ? inputShape : shapes[i - 1];
    const channels = input[input.length - 1];
    if (layer.kind === 'conv2d') return layer.kernelSize[0] * layer.kernelSize[1] * channels * layer.filters + layer.filters;
    if (layer.kind === 'dense') return channels * layer.units + layer.units;
    if (layer.kind === 'batch_normalization') return 4 * channels;
    return 0;
  });
}

/** Keras-style model.summary() lines: layer (type), output shape, parameter count, and the total. */
export function summaryLines(layers: readonly SequentialLayer[], inputShape: readonly number[]): string[] {
  const shapes = sequentialShapes(layers, inputShape);
  if (!shapes.ok) return [`layer ${shapes.index}: ${shapes.message}`];
  const counts = layerParamCounts(layers, inputShape, shapes.shapes);
  const rows = layers.map((l, i) => [describeLayer(l), `(None, ${shapes.shapes[i].join(', ')})`, counts[i].toLocaleString('en')]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const w = [0, 1, 2].map((c) => Math.max(header[c].length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
  const total = counts.reduce((a, b) => a + b, 0);
  const nonTrainable = layers.reduce((s, l, i) => s + (l.kind === 'batch_normalization' ? counts[i] / 2 : 0), 0);
  return [`Input: (None, ${inputShape.join(', ')})`, line(header), ...rows.map(line), `Total params: ${total.toLocaleString('en')} (trainable ${(total - nonTrainable).toLocaleString('en')}, non-trainable ${nonTrainable.toLocaleString('en')})`];
}

/** One layer as a Keras user reads it, e.g. `Conv2D 32 3x3 same relu`. */
export function describeLayer(l: SequentialLayer): string {
  switch (l.kind) {
    case 'conv2d':
      return `Conv2D ${l.filters} ${l.kernelSize.join('x')}${l.strides[0] > 1 || l.strides[1] > 1 ? ` /${l.strides.join('x')}` : ''} ${l.padding} ${l.activation}`;
    case 'max_pooling2d':
    case 'average_pooling2d':
      return `${KERAS_CLASS_NAMES[l.kind]} ${l.poolSize.join('x')}${l.strides[0] !== l.poolSize[0] || l.strides[1] !== l.poolSize[1] ? ` /${l.strides.join('x')}` : ''}${l.padding === 'same' ? ' same' : ''}`;
    case 'dense':
      return `Dense ${l.units} ${l.activation}`;
    case 'dropout':
      return `Dropout ${l.rate}`;
    default:
      return KERAS_CLASS_NAMES[l.kind];
  }
}

export { describeShape };
