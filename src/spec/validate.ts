/**
 * Validating a parsed spec: the zod schema first, then the checks zod cannot express (data source
 * fields, model shape, optimizer fields, early-stopping monitor), then the parameter space. Pure.
 */
import { fromZodIssue, SpecSchema, type DataSpec, type ModelSpec, type Result, type Spec, type SpecIssue, type TrainSpec } from './schema.js';
import { paramDefShapeIssues } from './param-def.js';
import { buildSpace } from './space.js';
import { metricGoal } from './vocabulary.js';

/** Validates a parsed YAML document (plain JS data) into a Spec. */
export function validateSpec(input: unknown): Result<Spec> {
  if (input === null || input === undefined) return { ok: false, issues: [{ path: [], message: 'the spec is empty' }] };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, issues: [{ path: [], message: 'the spec must be a mapping (name: ..., params: ...)' }] };
  }
  // params entries first, by hand: zod's union errors would name the wrong branch
  const rawParams = (input as { params?: unknown }).params;
  const shapeIssues = rawParams && typeof rawParams === 'object' && !Array.isArray(rawParams)
    ? Object.entries(rawParams as Record<string, unknown>).flatMap(([k, def]) => paramDefShapeIssues(def, ['params', k]))
    : [];
  if (shapeIssues.length > 0) {
    const rest = SpecSchema.safeParse({ ...(input as object), params: {} }, { reportInput: true });
    return { ok: false, issues: [...(rest.success ? [] : rest.error.issues.flatMap((i) => fromZodIssue(i))), ...shapeIssues] };
  }
  const parsed = SpecSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.flatMap((i) => fromZodIssue(i)) };
  }
  const raw = parsed.data;
  const issues: SpecIssue[] = [];
  issues.push(...checkData(raw.data));
  issues.push(...checkModelShape(raw.model, ['model']));
  issues.push(...checkLayerFields((input as { model?: unknown }).model, raw.model, Object.keys(raw.params)));
  issues.push(...checkOptimizerFields(raw.model, new Set(Object.keys(raw.params))));
  issues.push(...checkTrain(raw.train));
  if (raw.metric?.k !== undefined && raw.metric.name !== 'top_k_accuracy') issues.push({ path: ['metric', 'k'], message: `only applies to metric top_k_accuracy, not ${raw.metric.name}` });
  const space = buildSpace(raw.params, issues, raw.model);
  if (issues.length > 0) return { ok: false, issues };
  const metric = raw.metric ? { name: raw.metric.name, goal: raw.metric.goal ?? metricGoal(raw.metric.name), ...(raw.metric.k !== undefined ? { k: raw.metric.k } : {}) } : null;
  return { ok: true, value: { ...raw, metric, space } };
}

function checkData(d: DataSpec): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (d.dataset === 'csv' && !d.file) out.push({ path: ['data', 'file'], message: "is required for dataset 'csv'" });
  if (d.dataset === 'idx' && !d.path && !(d.images && d.labels)) {
    out.push({ path: ['data', 'path'], message: "dataset 'idx' needs path (a directory) or both images and labels" });
  }
  if ((d.images && !d.labels) || (!d.images && d.labels)) {
    out.push({ path: ['data', d.images ? 'labels' : 'images'], message: 'images and labels go together' });
  }
  if (d.dataset !== 'csv' && d.task === 'regression') out.push({ path: ['data', 'task'], message: `dataset '${d.dataset}' is a classification task` });
  for (const key of ['file', 'target'] as const) {
    if (d[key] !== undefined && d.dataset !== 'csv') out.push({ path: ['data', key], message: `only applies to dataset 'csv'` });
  }
  return out;
}

/** Structural checks across model fields, run on the base model and on every trial's merged model. */
export function checkModelShape(m: ModelSpec, at: (string | number)[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (Array.isArray(m.layers)) return out; // a Keras layer list: checked against the data's shape (models/config.ts)
  const widths = Array.isArray(m.units) ? m.units : null;
  if (widths && m.layers !== undefined && m.layers !== widths.length) {
    out.push({ path: [...at, 'layers'], message: `is ${m.layers} but units lists ${widths.length} widths` });
  }
  const nHidden = widths ? widths.length : (m.layers ?? 1);
  if (Array.isArray(m.dropout) && m.dropout.length !== nHidden) {
    out.push({ path: [...at, 'dropout'], message: `lists ${m.dropout.length} rates for ${nHidden} hidden layers` });
  }
  return out;
}

/** MLP-only fields written (or searched) beside a Keras layer list, and a list beside conv_blocks. */
function checkLayerFields(input: unknown, m: ModelSpec, searched: string[]): SpecIssue[] {
  if (!Array.isArray(m.layers)) return [];
  const out: SpecIssue[] = [];
  // the stored spec holds every default, so only a value other than the default counts as written
  const defaults: Record<string, unknown> = { units: 64, dropout: 0, batch_norm: false };
  const written = input && typeof input === 'object' ? Object.keys(input).filter((k) => JSON.stringify((input as Record<string, unknown>)[k]) !== JSON.stringify(defaults[k])) : [];
  if (m.conv_blocks) out.push({ path: ['model', 'conv_blocks'], message: 'goes with an MLP head (units), not with a layers list: put the Conv2D and pooling layers in the list' });
  const mlpOnly = ['units', 'dropout', 'batch_norm'];
  for (const key of mlpOnly) {
    if (written.includes(key)) out.push({ path: ['model', key], message: `describes an MLP's hidden layers; with a layers list, write ${key === 'units' ? 'Dense' : key === 'dropout' ? 'Dropout' : 'BatchNormalization'} layers in the list` });
  }
  for (const key of searched) {
    const name = key.replace(/^model\./, '');
    if ([...mlpOnly, 'layers'].includes(name)) out.push({ path: ['params', key], message: `searches the MLP field '${name}', which a layers list does not use (search a layer's field, e.g. layers.0.filters)` });
  }
  return out;
}

/**
 * Optimizer settings given for an optimizer that does not use them. Checked on the base model only,
 * and only when none of the fields involved is searched: a momentum searched beside optimizer
 * [sgd, adam] is simply unused by the adam trials, as in Keras.
 */
function checkOptimizerFields(m: ModelSpec, searched: ReadonlySet<string>): SpecIssue[] {
  const involved = ['optimizer', 'nesterov', 'momentum', 'beta_1', 'beta_2', 'rho', 'centered'];
  if (involved.some((n) => searched.has(n))) return [];
  const at = (field: string) => ['model', field];
  const out: SpecIssue[] = [];
  if (m.nesterov && m.optimizer !== 'sgd') out.push({ path: at('nesterov'), message: "only applies to optimizer 'sgd'" });
  if (m.momentum !== undefined && m.optimizer !== 'sgd' && m.optimizer !== 'rmsprop') {
    out.push({ path: at('momentum'), message: "only applies to optimizers 'sgd' and 'rmsprop'" });
  }
  if (m.nesterov && !(m.momentum && m.momentum > 0)) out.push({ path: at('nesterov'), message: 'needs momentum > 0' });
  if ((m.beta_1 !== undefined || m.beta_2 !== undefined) && m.optimizer !== 'adam' && m.optimizer !== 'adamax') {
    out.push({ path: at(m.beta_1 !== undefined ? 'beta_1' : 'beta_2'), message: "only applies to optimizers 'adam' and 'adamax'" });
  }
  if (m.rho !== undefined && m.optimizer !== 'rmsprop' && m.optimizer !== 'adadelta') {
    out.push({ path: at('rho'), message: "only applies to optimizers 'rmsprop' and 'adadelta'" });
  }
  if (m.centered && m.optimizer !== 'rmsprop') out.push({ path: at('centered'), message: "only applies to optimizer 'rmsprop'" });
  return out;
}

function checkTrain(t: TrainSpec): SpecIssue[] {
  const out: SpecIssue[] = [];
  const es = t.early_stopping;
  if (es && es.monitor.startsWith('val_') && t.validation_split === 0) {
    out.push({
      path: ['train', 'early_stopping', 'monitor'],
      message: `'${es.monitor}' needs train.validation_split > 0 (the test fold is never used for early stopping)`,
    });
  }
  return out;
}
