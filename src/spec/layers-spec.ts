/**
 * Keras Sequential layers as a spec writes them, and the compact `conv_blocks` form. Pure.
 *
 *   model:
 *     layers:                                   # a Keras Sequential list; the output Dense is added from the data
 *       - Conv2D: {filters: 32, kernel_size: 3, padding: same}
 *       - MaxPooling2D                          # a bare name: every argument at its Keras default
 *       - Flatten
 *       - Dense: {units: 128}
 *       - Dropout: {rate: 0.5}
 *
 * Class names are Keras's (Conv2D, MaxPooling2D / MaxPool2D, AveragePooling2D / AvgPool2D, Flatten,
 * GlobalAveragePooling2D / GlobalAvgPool2D, Dense, Dropout, BatchNormalization), matched without
 * regard to case or underscores (conv2d, max_pooling2d); arguments are Keras's names
 * (kernel_initializer, or init as elsewhere in the spec). A layer item parses to `{ClassName: args}`,
 * which parses again to itself (the stored spec is validated again by report and export).
 */
import { z } from 'zod';
import { ACTIVATIONS, BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, INITIALIZERS, INITIALIZER_ALIASES } from './vocabulary.js';
import { keyword } from './keyword.js';

const positiveInt = z.number().int().positive();
/** An int, or [height, width] (Keras accepts both for kernel_size, strides, pool_size). */
const pair = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);
const padding = z.enum(['valid', 'same'], { error: "must be 'valid' or 'same'" });
const activation = keyword(ACTIVATIONS, 'activation');
const initializer = keyword(INITIALIZERS, 'initializer', INITIALIZER_ALIASES);
const nonNegative = z.number().nonnegative();

/** Kernel settings shared by Conv2D and Dense; each falls back to the model-level field of that name. */
const kernelArgs = {
  activation: activation.optional(),
  kernel_initializer: initializer.optional(),
  /** The spec's short name for kernel_initializer. */
  init: initializer.optional(),
  l1: nonNegative.optional(),
  l2: nonNegative.optional(),
  max_norm: z.number().positive().nullable().optional(),
};

export const LAYER_ARGS = {
  Conv2D: z.strictObject({ filters: positiveInt, kernel_size: pair, strides: pair.default(1), padding: padding.default('valid'), ...kernelArgs }),
  MaxPooling2D: z.strictObject({ pool_size: pair.default(2), strides: pair.nullable().default(null), padding: padding.default('valid') }),
  AveragePooling2D: z.strictObject({ pool_size: pair.default(2), strides: pair.nullable().default(null), padding: padding.default('valid') }),
  Flatten: z.strictObject({}),
  GlobalAveragePooling2D: z.strictObject({}),
  Dense: z.strictObject({ units: positiveInt, ...kernelArgs }),
  Dropout: z.strictObject({ rate: z.number().min(0).lt(1) }),
  BatchNormalization: z.strictObject({ momentum: z.number().min(0).lt(1).default(BATCH_NORM_MOMENTUM), epsilon: z.number().positive().default(BATCH_NORM_EPSILON) }),
} as const;
export type LayerClass = keyof typeof LAYER_ARGS;
export const LAYER_CLASSES = Object.keys(LAYER_ARGS) as LayerClass[];

/** Arguments that take one number (so a {min, max} range can search them), and which are integers. */
const INT_ARGS = new Set(['filters', 'kernel_size', 'strides', 'pool_size', 'units']);
const FLOAT_ARGS = new Set(['l1', 'l2', 'max_norm', 'rate', 'momentum', 'epsilon']);

/** Keras's aliases, keyed without case or underscores. */
const CLASS_KEYS: Record<string, LayerClass> = {
  ...Object.fromEntries(LAYER_CLASSES.map((c) => [c.toLowerCase(), c])),
  maxpool2d: 'MaxPooling2D',
  avgpool2d: 'AveragePooling2D',
  globalavgpool2d: 'GlobalAveragePooling2D',
  convolution2d: 'Conv2D',
};

export function layerClass(name: string): LayerClass | undefined {
  return CLASS_KEYS[name.replace(/_/g, '').toLowerCase()];
}

export type LayerArgs<C extends LayerClass = LayerClass> = z.output<(typeof LAYER_ARGS)[C]>;
/** One parsed layer: its Keras class name and arguments (defaults filled in). */
export type LayerItem = { [C in LayerClass]: { [K in C]: LayerArgs<C> } }[LayerClass];

/** The class and arguments of a parsed layer item. */
export function itemParts(item: LayerItem): { cls: LayerClass; args: Record<string, unknown> } {
  const cls = Object.keys(item)[0] as LayerClass;
  return { cls, args: (item as Record<string, Record<string, unknown>>)[cls] };
}

const classList = LAYER_CLASSES.join(', ');

export const LayerItemSchema = z.unknown().transform((raw, ctx): LayerItem => {
  let name: string;
  let args: unknown;
  if (typeof raw === 'string') [name, args] = [raw, {}];
  else if (raw && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 1) {
    [name, args] = Object.entries(raw)[0];
    if (args === null || args === undefined) args = {};
  } else {
    ctx.addIssue({ code: 'custom', message: `expected a layer: a Keras class name, or {ClassName: {arguments}} (classes: ${classList})`, input: raw });
    return z.NEVER;
  }
  const cls = layerClass(name);
  if (!cls) {
    ctx.addIssue({ code: 'custom', message: `unknown layer '${name}' (expected one of: ${classList})`, input: raw });
    return z.NEVER;
  }
  const a = args as Record<string, unknown>;
  if (a && typeof a === 'object' && 'init' in a && 'kernel_initializer' in a) {
    ctx.addIssue({ code: 'custom', message: 'give kernel_initializer or init, not both', path: [name, 'init'], input: raw });
    return z.NEVER;
  }
  const keras = kerasKernelArgs(args, name, ctx, raw);
  if (keras === null) return z.NEVER;
  args = keras;
  const parsed = LAYER_ARGS[cls].safeParse(args, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const missing = issue.path.length === 1 && (args === null || typeof args !== 'object' || !(String(issue.path[0]) in (args as object)));
      if (missing) ctx.addIssue({ code: 'custom', message: `is required (${cls} needs ${String(issue.path[0])})`, path: [name, ...issue.path], input: raw });
      else ctx.addIssue({ ...(issue as z.core.$ZodIssue), path: [name, ...issue.path] } as never);
    }
    return z.NEVER;
  }
  const out = { ...parsed.data } as Record<string, unknown>;
  if ('init' in out) {
    if (out.init !== undefined) out.kernel_initializer = out.init;
    delete out.init;
  }
  return { [cls]: out } as LayerItem;
});

/**
 * Keras's own spelling of the kernel settings, `kernel_regularizer: {l1: .., l2: ..}` (keras.regularizers.L1L2)
 * and `kernel_constraint: {max_norm: ..}` (keras.constraints.MaxNorm), read as the flat l1, l2,
 * max_norm arguments. Null (with an issue) when one is malformed or given twice.
 */
function kerasKernelArgs(args: unknown, name: string, ctx: z.RefinementCtx, raw: unknown): unknown {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return args;
  const out: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  const forms: [string, string[]][] = [['kernel_regularizer', ['l1', 'l2']], ['kernel_constraint', ['max_norm']]];
  for (const [key, fields] of forms) {
    if (!(key in out)) continue;
    const v = out[key];
    delete out[key];
    if (!v || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).some((k) => !fields.includes(k))) {
      ctx.addIssue({ code: 'custom', message: `expected {${fields.join(', ')}} (or the flat ${fields.join(', ')} arguments)`, path: [name, key], input: raw });
      return null;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k in out) {
        ctx.addIssue({ code: 'custom', message: `${k} is given twice (in ${key} and as an argument)`, path: [name, key, k], input: raw });
        return null;
      }
      out[k] = x;
    }
  }
  return out;
}

/**
 * The compact form of a conv net's feature extractor: `count` blocks, block b holding `convs`
 * Conv2D layers of filters * growth^b (rounded) filters, then (batch_norm) BatchNormalization, a
 * pooling layer, and (dropout > 0) Dropout; then Flatten (or GlobalAveragePooling2D) and the MLP
 * head that `units`, `layers`, `dropout` and `batch_norm` describe, as for an MLP.
 */
export const ConvBlocksSchema = z.strictObject({
  count: positiveInt.default(2),
  filters: positiveInt.default(32),
  growth: z.number().min(1).default(2),
  convs: positiveInt.default(1),
  kernel_size: pair.default(3),
  padding: padding.default('same'),
  pool: z.enum(['max', 'average', 'none'], { error: "must be 'max', 'average' or 'none'" }).default('max'),
  pool_size: pair.default(2),
  batch_norm: z.boolean().default(false),
  dropout: z.number().min(0).lt(1).default(0),
  global_pooling: z.boolean().default(false),
});
export type ConvBlocksSpec = z.output<typeof ConvBlocksSchema>;
const CONV_BLOCK_INT = new Set(['count', 'filters', 'convs', 'kernel_size', 'pool_size']);
const CONV_BLOCK_FLOAT = new Set(['growth', 'dropout']);

/** A whole layer searched by its class name (every argument at its default). */
const layerName = z.string({ error: 'expected a layer class name' }).transform((s, ctx) => {
  const r = LayerItemSchema.safeParse(s);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
  return z.NEVER;
});

/** A searched field inside the model's layers: its schema and whether it takes one number. */
export interface NestedField {
  schema: z.ZodType;
  numeric: boolean;
  int: boolean;
  /** Values stay as written (a whole layer's class name), not as their parsed form. */
  keepRaw?: boolean;
}

/**
 * A dotted parameter name into the layers: `layers.N` (the whole layer, by class name),
 * `layers.N.arg`, or `conv_blocks.field`. Returns the field, an error message, or null when the name
 * is not dotted.
 */
export function nestedField(name: string, model: { layers?: unknown; conv_blocks?: unknown }): NestedField | string | null {
  const parts = name.split('.');
  if (parts.length < 2) return null;
  if (parts[0] === 'conv_blocks') {
    if (parts.length !== 2 || !(parts[1] in ConvBlocksSchema.shape)) return `unknown conv_blocks field '${parts.slice(1).join('.')}' (fields: ${Object.keys(ConvBlocksSchema.shape).join(', ')})`;
    if (!model.conv_blocks) return `searches model.conv_blocks, which the spec does not set (write conv_blocks: {} for the defaults)`;
    return { schema: ConvBlocksSchema.shape[parts[1] as keyof typeof ConvBlocksSchema.shape], numeric: CONV_BLOCK_INT.has(parts[1]) || CONV_BLOCK_FLOAT.has(parts[1]), int: CONV_BLOCK_INT.has(parts[1]) };
  }
  if (parts[0] !== 'layers') return null;
  const list = Array.isArray(model.layers) ? (model.layers as LayerItem[]) : null;
  if (!list) return 'searches a layer of model.layers, which is not a list of layers';
  if (!/^\d+$/.test(parts[1]) || Number(parts[1]) >= list.length) return `layer ${parts[1]} does not exist (model.layers holds layers 0..${list.length - 1})`;
  if (parts.length === 2) return { schema: layerName, numeric: false, int: false, keepRaw: true };
  if (parts.length !== 3) return `expected layers.N or layers.N.argument, got '${name}'`;
  const { cls } = itemParts(list[Number(parts[1])]);
  const arg = parts[2];
  const shape = LAYER_ARGS[cls].shape as Record<string, z.ZodType>;
  if (!(arg in shape)) return `${cls} (layer ${parts[1]}) has no argument '${arg}'${Object.keys(shape).length ? ` (its arguments: ${Object.keys(shape).join(', ')})` : ''}`;
  return { schema: shape[arg], numeric: INT_ARGS.has(arg) || FLOAT_ARGS.has(arg), int: INT_ARGS.has(arg) };
}

/** `model` with one dotted parameter set (the result is parsed again by the caller). */
export function setNested(model: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split('.');
  if (parts[0] === 'conv_blocks') {
    model.conv_blocks = { ...(model.conv_blocks as object), [parts[1]]: value };
    return;
  }
  const list = [...(model.layers as unknown[])];
  const i = Number(parts[1]);
  if (parts.length === 2) list[i] = value;
  else {
    const { cls, args } = typeof list[i] === 'string' ? { cls: list[i] as string, args: {} } : itemParts(list[i] as LayerItem);
    list[i] = { [cls]: { ...args, [parts[2]]: value } };
  }
  model.layers = list;
}
