/**
 * The search spec: the zod schema of the YAML file, its defaults, and the per-field helpers the
 * parameter space is checked with. Pure. Reading the file is spec/file.ts; the checks zod cannot
 * express are spec/validate.ts; building the parameter space is spec/space.ts.
 *
 * Shape (every section optional but `params` for a search; unknown keys are errors):
 *   name, seed, data{...}, model{...}, train{...}, cv{...}, metric{name, goal}, params{name: def}
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { keyword } from './keyword.js';
import { ConvBlocksSchema, LayerItemSchema } from './layers-spec.js';
import {
  ACTIVATIONS,
  DATASETS,
  INITIALIZERS,
  INITIALIZER_ALIASES,
  LOSSES,
  LOSS_ALIASES,
  METRICS,
  METRIC_ALIASES,
  OPTIMIZERS,
  SCALINGS,
  type Activation,
  type Initializer,
  type Loss,
  type MetricName,
  type OptimizerName,
} from './vocabulary.js';
import type { ParamSpace } from '../search/space.js';
import { PRUNER_NAMES, type PrunerConfig } from '../search/pruners/index.js';

/** A problem found in a spec: where (a path into the YAML) and what. */
export interface SpecIssue {
  path: (string | number)[];
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; issues: SpecIssue[] };

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const rate = z.number().min(0).lt(1);
const units = z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]);

export const ModelSchema = z.strictObject({
  /** Hidden layer widths: one width (with `layers`) or a list, one entry per hidden layer. */
  units: units.default(64),
  /**
   * Number of hidden layers when `units` is one number; or a Keras Sequential list of layers
   * (spec/layers-spec.ts), the output Dense added from the data.
   */
  layers: z.union([z.number().int().min(0), z.array(LayerItemSchema).min(1)]).optional(),
  /** The compact form of a conv net: blocks of Conv2D and pooling, then the MLP head of `units` (spec/layers-spec.ts). */
  conv_blocks: ConvBlocksSchema.optional(),
  activation: keyword(ACTIVATIONS, 'activation').default('relu'),
  /** 'auto': softmax for several classes, sigmoid for binary_crossentropy, linear for regression. */
  output_activation: z.union([z.literal('auto'), keyword(ACTIVATIONS, 'activation')]).default('auto'),
  init: keyword(INITIALIZERS, 'initializer', INITIALIZER_ALIASES).default('glorot_uniform'),
  /** Dropout rate after each hidden layer: one rate, or one per hidden layer. */
  dropout: z.union([rate, z.array(rate).min(1)]).default(0),
  l1: nonNegative.default(0),
  l2: nonNegative.default(0),
  batch_norm: z.boolean().default(false),
  /** Keras MaxNorm(max_value) on every kernel; null for none. */
  max_norm: positive.nullable().default(null),
  loss: z.union([z.literal('auto'), keyword(LOSSES, 'loss', LOSS_ALIASES)]).default('auto'),
  optimizer: keyword(OPTIMIZERS, 'optimizer').default('adam'),
  /** null: the optimizer's Keras default (sgd 0.01, the others 0.001). */
  learning_rate: positive.nullable().default(null),
  momentum: rate.optional(),
  nesterov: z.boolean().default(false),
  /** Keras 2 `decay`: lr / (1 + decay * iterations), for every optimizer. */
  decay: nonNegative.default(0),
  beta_1: rate.optional(),
  beta_2: rate.optional(),
  epsilon: positive.optional(),
  rho: rate.optional(),
  centered: z.boolean().default(false),
});
export type ModelSpec = z.output<typeof ModelSchema>;

const EarlyStoppingSchema = z.strictObject({
  monitor: z.string().min(1).default('val_loss'),
  patience: z.number().int().min(0).default(0),
  min_delta: nonNegative.default(0),
  mode: z.enum(['auto', 'min', 'max']).default('auto'),
  restore_best: z.boolean().default(false),
  start_from_epoch: z.number().int().min(0).default(0),
});
export type EarlyStoppingSpec = z.output<typeof EarlyStoppingSchema>;

/** Learning-rate schedules, evaluated at the start of each epoch (0-based) like Keras's LearningRateScheduler. */
const LrScheduleSchema = z.discriminatedUnion('type', [
  /** lr0 / (1 + rate * epoch) */
  z.strictObject({ type: z.literal('time_decay'), rate: nonNegative }),
  /** lr0 * exp(-k * epoch) */
  z.strictObject({ type: z.literal('exponential'), k: nonNegative }),
  /** lr0 * drop ^ floor((1 + epoch) / every) */
  z.strictObject({ type: z.literal('step'), drop: z.number().gt(0).max(1), every: z.number().int().positive() }),
  /** Keras CosineDecayRestarts with epochs as steps: first period, t_mul, m_mul, alpha. */
  z.strictObject({
    type: z.literal('cosine_restarts'),
    period: z.number().int().positive(),
    t_mul: positive.default(2),
    m_mul: positive.default(1),
    alpha: z.number().min(0).max(1).default(0),
  }),
], { error: (iss) => (iss.code === 'invalid_union' ? 'must be one of: time_decay, exponential, step, cosine_restarts' : undefined) });
export type LrScheduleSpec = z.output<typeof LrScheduleSchema>;

export const TrainSchema = z.strictObject({
  epochs: z.number().int().positive().default(10),
  batch_size: z.number().int().positive().default(32),
  shuffle: z.boolean().default(true),
  /** Fraction of each training fold held out for val_* metrics and early stopping (never the test fold). */
  validation_split: rate.default(0),
  early_stopping: EarlyStoppingSchema.nullable().default(null),
  lr_schedule: LrScheduleSchema.nullable().default(null),
});
export type TrainSpec = z.output<typeof TrainSchema>;

const DataSchema = z.strictObject({
  dataset: keyword(DATASETS, 'dataset').default('mnist'),
  /** fashion-mnist / idx: a directory with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]. */
  path: z.string().min(1).optional(),
  /** idx: explicit image and label files instead of `path`. */
  images: z.string().min(1).optional(),
  labels: z.string().min(1).optional(),
  /** csv: the file, its target column (name or 0-based index; default the last), header row. */
  file: z.string().min(1).optional(),
  target: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  header: z.boolean().default(true),
  task: z.enum(['classification', 'regression']).default('classification'),
  /** Number of classes; labels must lie in 0..classes-1. Default: inferred (10 for mnist and fashion-mnist). */
  classes: z.number().int().min(2).optional(),
  /** Use this many samples: a seeded random subset, the same for every trial. */
  limit: z.number().int().positive().optional(),
  /** One sample's shape, [height, width, channels] or [height, width], for a conv net on CSV (or IDX) data. */
  shape: z.array(z.number().int().positive()).min(2).max(3).optional(),
  /** Feature scaling fitted on each training fold only. Image pixels are always divided by 255 first. */
  scaling: keyword(SCALINGS, 'scaling').default('none'),
});
export type DataSpec = z.output<typeof DataSchema>;

const CvSchema = z.strictObject({
  folds: z.number().int().min(2, { error: 'must be >= 2 (k-fold cross-validation needs at least two folds)' }).default(3),
  /** default: true for classification */
  stratified: z.boolean().optional(),
  shuffle: z.boolean().default(true),
  /** default: the spec's seed */
  seed: z.number().int().min(0).optional(),
  /** scikit-learn's return_train_score: also score each fold's model on its training part (default false). */
  return_train_score: z.boolean().optional(),
});
export type CvSpec = z.output<typeof CvSchema>;

const MetricSchema = z.strictObject({
  name: keyword(METRICS, 'metric', METRIC_ALIASES),
  goal: z.enum(['maximize', 'minimize']).optional(),
  /** top_k_accuracy: a prediction counts when the true class is among the k most probable (default 2, as scikit-learn). */
  k: z.number().int().min(1).optional(),
});

const count = (min: number) => z.number({ error: `expected an integer >= ${min}` }).int({ error: `expected an integer >= ${min}` }).min(min, { error: `expected an integer >= ${min}` });
const autoOr = (t: z.ZodType) => z.union([z.literal('auto'), t], { error: "expected 'auto' or an integer >= 1" });
/** Each pruner's parameters, with Optuna's names (the defaults are Optuna's: search/pruners/). */
const PRUNER_PARAMS: Record<Exclude<PrunerConfig['name'], 'none'>, Record<string, z.ZodType>> = {
  median: { n_startup_trials: count(0), n_warmup_steps: count(0), interval_steps: count(1), n_min_trials: count(1) },
  asha: { min_resource: autoOr(count(1)), reduction_factor: count(2), min_early_stopping_rate: count(0), bootstrap_count: count(0) },
  hyperband: { min_resource: count(1), max_resource: autoOr(count(1)), reduction_factor: count(2), bootstrap_count: count(0) },
  wilcoxon: { p_threshold: z.number({ error: 'expected a number from 0 to 1' }).min(0, { error: 'expected a number from 0 to 1' }).max(1, { error: 'expected a number from 0 to 1' }), n_startup_steps: count(0) },
};

/**
 * `pruner: median` or `pruner: {name: asha, reduction_factor: 3}`: Optuna's pruners by name with
 * Optuna's parameter names; `none` (the default) prunes nothing.
 */
const PrunerSchema = z
  .union([z.string(), z.record(z.string(), z.unknown())], { error: `expected a pruner name (one of: ${PRUNER_NAMES.join(', ')}) or {name: ..., parameters}` })
  .transform((v, ctx): PrunerConfig => {
    const fields: Record<string, unknown> = typeof v === 'string' ? { name: v } : { ...v };
    const raw = fields.name;
    delete fields.name;
    const name = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (!(PRUNER_NAMES as readonly string[]).includes(name)) {
      const guess = typeof raw === 'string' ? didYouMean(name, PRUNER_NAMES) : null;
      const what = raw === undefined ? 'needs a name' : `unknown pruner '${String(raw)}'`;
      ctx.addIssue({ code: 'custom', message: `${what} (expected one of: ${PRUNER_NAMES.join(', ')}${guess ? `; did you mean '${guess}'?` : ''})`, path: typeof v === 'string' ? [] : ['name'] });
      return z.NEVER;
    }
    if (name === 'none') {
      for (const key of Object.keys(fields)) ctx.addIssue({ code: 'custom', message: 'pruner none takes no parameters', path: [key] });
      return { name: 'none' };
    }
    const known = PRUNER_PARAMS[name as keyof typeof PRUNER_PARAMS];
    const out: Record<string, unknown> = { name };
    for (const [key, value] of Object.entries(fields)) {
      const schema = known[key];
      if (!schema) {
        const guess = didYouMean(key, Object.keys(known));
        ctx.addIssue({ code: 'custom', message: `unknown parameter of pruner ${name} (expected one of: ${Object.keys(known).join(', ')}${guess ? `; did you mean '${guess}'?` : ''})`, path: [key] });
        continue;
      }
      const r = schema.safeParse(value);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? 'invalid value', path: [key] });
        continue;
      }
      out[key] = r.data;
    }
    if (name === 'hyperband' && (out.bootstrap_count as number | undefined) && (out.max_resource ?? 'auto') === 'auto') {
      ctx.addIssue({ code: 'custom', message: "bootstrap_count > 0 needs an integer max_resource (Optuna refuses it with 'auto')", path: ['bootstrap_count'] });
    }
    return out as PrunerConfig;
  });

const Scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const ParamValue = z.union([Scalar, z.array(Scalar)]);
/**
 * When a parameter applies, W&B-nested / Optuna define-by-run style: every named parameter (searched
 * before this one) must take one of the listed values, e.g. `when: {optimizer: [sgd, rmsprop]}`.
 */
const WhenSchema = z.record(z.string(), z.union([ParamValue, z.array(ParamValue)]));
const RangeSchema = z.strictObject({
  when: WhenSchema.optional(),
  min: z.number(),
  max: z.number(),
  log: z.boolean().optional(),
  type: z.enum(['int', 'float']).optional(),
  step: positive.optional(),
  /** W&B sweep names: uniform, log_uniform_values, int_uniform, q_uniform (with q). */
  distribution: z.enum(['uniform', 'log_uniform_values', 'int_uniform', 'q_uniform']).optional(),
  q: positive.optional(),
});
export const ParamDefSchema = z.union([
  z.array(ParamValue).min(1, { error: 'needs at least one value' }),
  z.strictObject({ values: z.array(ParamValue).min(1, { error: 'needs at least one value' }), when: WhenSchema.optional() }),
  z.strictObject({ value: ParamValue, when: WhenSchema.optional() }),
  RangeSchema,
], { error: 'expected a list of values, {values: [...]}, {value: x} or {min, max}' });
export type ParamDef = z.output<typeof ParamDefSchema>;
export type RangeDef = z.output<typeof RangeSchema>;

export const SpecSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, { error: 'use letters, digits, _ . - only' }),
  seed: z.number().int().min(0).default(0),
  data: DataSchema.default(DataSchema.parse({})),
  model: ModelSchema.default(ModelSchema.parse({})),
  train: TrainSchema.default(TrainSchema.parse({})),
  cv: CvSchema.default(CvSchema.parse({})),
  metric: MetricSchema.optional(),
  /** Stops unpromising trials early (not part of the study's identity: a search may change it). */
  pruner: PrunerSchema.default({ name: 'none' }),
  params: z.record(z.string(), ParamDefSchema).default({}),
});
export type RawSpec = z.output<typeof SpecSchema>;

/** The study's metric: its name, which way it improves, and top_k_accuracy's k when given. */
export interface MetricSpec {
  name: MetricName;
  goal: 'maximize' | 'minimize';
  k?: number;
}

/** A validated spec: raw sections plus the parameter space built from `params`. */
export interface Spec extends Omit<RawSpec, 'params' | 'metric'> {
  metric: MetricSpec | null;
  params: Record<string, ParamDef>;
  space: ParamSpace;
}

/** Fields a search may vary, by their bare name. */
export const SEARCHABLE_FIELDS = {
  model: Object.keys(ModelSchema.shape) as (keyof ModelSpec)[],
  train: Object.keys(TrainSchema.shape) as (keyof TrainSpec)[],
};
const INT_FIELDS = new Set(['units', 'layers', 'epochs', 'batch_size']);
const FLOAT_FIELDS = new Set(['dropout', 'l1', 'l2', 'max_norm', 'learning_rate', 'momentum', 'decay', 'beta_1', 'beta_2', 'epsilon', 'rho', 'validation_split']);

/** Which section a searchable name belongs to; undefined for an unknown name. */
export function sectionOf(name: string): 'model' | 'train' | undefined {
  if ((SEARCHABLE_FIELDS.model as string[]).includes(name)) return 'model';
  if ((SEARCHABLE_FIELDS.train as string[]).includes(name)) return 'train';
  return undefined;
}

/** The zod schema of one searchable field. */
export function fieldSchema(name: string): z.ZodType {
  const section = sectionOf(name);
  if (section === 'model') return ModelSchema.shape[name as keyof typeof ModelSchema.shape];
  if (section === 'train') return TrainSchema.shape[name as keyof typeof TrainSchema.shape];
  throw new Error(`not a searchable field: ${name}`);
}

export function isIntField(name: string): boolean {
  return INT_FIELDS.has(name);
}

/** Fields that take one number, so a {min, max} range makes sense for them. */
export function isNumericField(name: string): boolean {
  return INT_FIELDS.has(name) || FLOAT_FIELDS.has(name);
}

/** Turns a zod issue into our one-line form, with messages a user can act on. */
export function fromZodIssue(issue: z.core.$ZodIssue, prefix: (string | number)[] = []): SpecIssue[] {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ path: [...path, k], message: `unknown key${knownKeysHint(path, k)}` }));
    case 'invalid_type': {
      const got = describe(issue.input);
      if (issue.input === undefined) return [{ path, message: `is required (${issue.expected})` }];
      return [{ path, message: issue.message.startsWith('expected ') && !issue.message.startsWith('Invalid') ? `${issue.message}, got ${got}` : `expected ${issue.expected}, got ${got}` }];
    }
    case 'too_small':
      if (issue.message && !issue.message.startsWith('Too small')) return [{ path, message: issue.message }];
      return [{ path, message: issue.origin === 'array' ? `needs at least ${issue.minimum} entries` : `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}` }];
    case 'too_big':
      return [{ path, message: issue.origin === 'array' ? `allows at most ${issue.maximum} entries` : `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}` }];
    case 'invalid_value':
      return [{ path, message: `must be one of: ${issue.values.map(String).join(', ')}` }];
    case 'invalid_union': {
      if ('errors' in issue && issue.errors.length > 0) {
        const branches = issue.errors.map((branch) => ({ raw: branch, mapped: branch.flatMap((i) => fromZodIssue(i as z.core.$ZodIssue, path)) })).filter((b) => b.mapped.length > 0);
        // our own messages (unknown keyword, with the choices) say the most
        const custom = branches.find((b) => b.raw.some((i) => i.code === 'custom'));
        if (custom) return custom.mapped.slice(0, 1);
        // else the branch that got furthest into the value
        const deepest = [...branches].sort((a, b) => maxDepth(b.mapped) - maxDepth(a.mapped));
        if (deepest.length > 0 && maxDepth(deepest[0].mapped) > path.length) return deepest[0].mapped.slice(0, 1);
        // else the type the value should have had
        const types = [...new Set(branches.flatMap((b) => b.raw.filter((i) => i.code === 'invalid_type').map((i) => (i as { expected: string }).expected)))];
        if (types.length > 0 && issue.input !== undefined) return [{ path, message: `expected ${types.join(' or ')}, got ${describe(issue.input)}` }];
      }
      return [{ path, message: issue.message }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** The first problem of a failed field parse, in nnsearch's wording. */
export function zodMessage(error: z.ZodError): string {
  const [first] = error.issues.flatMap((i) => fromZodIssue(i));
  return first?.message ?? 'invalid value';
}

function maxDepth(issues: SpecIssue[]): number {
  return Math.max(...issues.map((i) => i.path.length));
}

function knownKeysHint(path: (string | number)[], key: string): string {
  const shapes: Record<string, z.ZodObject | undefined> = {
    '': SpecSchema,
    model: ModelSchema,
    train: TrainSchema,
    data: DataSchema,
    cv: CvSchema,
    metric: MetricSchema,
    'train.early_stopping': EarlyStoppingSchema,
  };
  const shape = shapes[path.join('.')];
  if (!shape) return '';
  const known = Object.keys(shape.shape);
  const guess = didYouMean(key, known);
  return ` (expected one of: ${known.join(', ')}${guess ? `; did you mean '${guess}'?` : ''})`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** Re-export for modules that build a trial's configuration. */
export type { Activation, Initializer, Loss, OptimizerName };
