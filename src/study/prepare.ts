/**
 * Everything a search needs before the first trial, checked before the database is touched: the spec,
 * the data, the folds, the metric, and every grid point's configuration. Bad input fails here.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { studyFolds, type StudyFolds } from '../cv/evaluate.js';
import { loadDataset } from '../data/load.js';
import type { Dataset } from '../data/dataset.js';
import { SpecError, StorageError } from '../errors.js';
import { monitorableNames } from '../engine/fit.js';
import { resolveMetric, resolveTrial, type DataShape, type TrialConfig } from '../models/config.js';
import { scalerFoldable } from '../models/layers.js';
import { gridAt, gridAxes, gridCount } from '../search/grid.js';
import type { Params, ParamSpace } from '../search/space.js';
import { isSequentialSpec } from '../models/sequential.js';
import type { MetricSpec, Spec } from '../spec/schema.js';
import { validateSpec } from '../spec/validate.js';
import { epochMetric, type MetricName } from '../spec/vocabulary.js';
import type { Storage } from '../store/storage.js';
import type { StudyRecord } from '../store/types.js';

export interface PreparedStudy {
  spec: Spec;
  specPath: string;
  data: Dataset;
  test: Dataset | null;
  folds: StudyFolds;
  metric: MetricSpec;
  /** The spec's model and train sections before any parameter, resolved on the data. */
  baseConfig: TrialConfig;
}

/** Grid points checked up front (each is a pure merge + validate); beyond this, checked per trial. */
const GRID_CHECK_LIMIT = 10_000;

/** The spec with its data paths made absolute (relative ones are relative to the spec file). */
export function withAbsolutePaths(spec: Spec, specPath: string): Spec {
  const base = dirname(specPath);
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(base, p));
  return { ...spec, data: { ...spec.data, path: abs(spec.data.path), images: abs(spec.data.images), labels: abs(spec.data.labels), file: abs(spec.data.file) } };
}

export function prepareStudy(specIn: Spec, specPath: string, opts: { checkGrid: boolean }): PreparedStudy {
  // Stored with the study, the spec must find its data from anywhere (report, export).
  const spec = withAbsolutePaths(specIn, specPath);
  const { train: data, test } = loadDataset(spec.data, dirname(specPath), spec.seed);
  const shape = { d: data.d, task: data.task, nClasses: data.nClasses, ...(data.shape ? { shape: data.shape } : {}) };
  const metric = resolveMetric(spec, shape);
  // The base configuration must resolve on this data even before any parameter is applied.
  const baseConfig = checkTrialConfig(spec, {}, shape, metric.name);
  if (opts.checkGrid) {
    const axes = gridAxes(spec.space);
    const size = gridCount(spec.space, axes);
    for (let i = 0; i < Math.min(size, GRID_CHECK_LIMIT); i++) checkTrialConfig(spec, gridAt(spec.space, i, axes), shape, metric.name);
  } else if (isSequentialSpec(spec.model)) {
    // random / bayes: a layer's shape fails at a bound of its range (larger kernels, more blocks), so
    // every combination of the ranges' bounds with the listed values is checked
    const corners = cornerSpace(spec.space);
    const axes = gridAxes(corners);
    const size = gridCount(corners, axes);
    for (let i = 0; i < Math.min(size, GRID_CHECK_LIMIT); i++) checkTrialConfig(spec, gridAt(corners, i, axes), shape, metric.name);
  }
  const folds = studyFolds(data, spec.cv, spec.data, spec.seed);
  return { spec, specPath, data, test, folds, metric, baseConfig };
}

/** The space with each numeric range reduced to its two bounds. */
export function cornerSpace(space: ParamSpace): ParamSpace {
  return space.map((p) => (p.dist.kind === 'categorical' ? p : { ...p, dist: { kind: 'categorical', choices: p.dist.low === p.dist.high ? [p.dist.low] : [p.dist.low, p.dist.high] } }));
}

/** Resolves a trial's configuration and checks what only the data can tell (monitor names). */
export function checkTrialConfig(spec: Spec, params: Params, shape: DataShape, metric: MetricName) {
  const config = resolveTrial(spec, params, shape);
  const layers = config.model.layers;
  if (layers && spec.data.scaling !== 'none' && !scalerFoldable(layers)) {
    throw new SpecError(`data.scaling: ${spec.data.scaling} scales each input feature on its own, which a convolution's shared kernel cannot take over in the exported model; use scaling: none (image pixels are already divided by 255)`);
  }
  const es = config.train.earlyStopping;
  if (es) {
    const names = monitorableNames(epochMetric(metric), config.train.validationSplit > 0);
    if (!names.includes(es.monitor)) {
      throw new SpecError(`train.early_stopping.monitor: '${es.monitor}' is not logged (available: ${names.join(', ')})`);
    }
  }
  return config;
}

/**
 * The spec as stored with the study: canonical JSON (sorted keys), without the derived space and
 * without the pruner (a search may change it; every trial's meaning stays the same). The
 * order of `params` is kept: it is the grid's order, so reordering params makes another study.
 */
export function canonicalSpecJson(spec: Spec): string {
  // the pruner is chosen per search (as Optuna's load_study(pruner=...)), not part of the study
  const { space: _space, params, metric, pruner: _pruner, ...all } = spec;
  // what validateSpec accepts back: no metric key when the spec had none
  const rest = metric ? { ...all, metric } : all;
  const sorted = sortKeys(rest) as Record<string, unknown>;
  return JSON.stringify({ ...sorted, params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, sortKeys(v)])) });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** The first path where two JSON values differ, e.g. 'model.init'. */
export function firstDifference(a: unknown, b: unknown, path: string[] = []): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k]);
      if (d) return d;
    }
  }
  return path.join('.') || '(root)';
}

/** The spec a study was created from, validated again (for report, show and export). */
export function storedSpec(specJson: string): Spec {
  const r = validateSpec(JSON.parse(specJson));
  if (!r.ok) throw new StorageError(`the study's stored spec no longer validates (${r.issues[0].path.join('.')}: ${r.issues[0].message})`);
  return r.value;
}

/** Refuses a study of the spec's name that was made from another spec (naming what differs). */
export function checkSameSpec(existing: StudyRecord, spec: Spec, location: string): void {
  const specJson = canonicalSpecJson(spec);
  if (existing.specJson === specJson) return;
  const first = firstDifference(JSON.parse(existing.specJson), JSON.parse(specJson));
  const where = first === 'params' ? 'the order of params, which is the grid order,' : first;
  throw new SpecError(`study '${spec.name}' in ${location} was created from a different spec (${where} differs); give the spec a new name to start a new study`);
}

/** Opens or creates the study; refuses a study of the same name made from another spec. */
export async function openStudy(store: Storage, p: PreparedStudy): Promise<StudyRecord> {
  const specJson = canonicalSpecJson(p.spec);
  const existing = await store.getStudy(p.spec.name);
  if (existing) checkSameSpec(existing, p.spec, store.location);
  return (
    existing ??
    store.createStudy({
      name: p.spec.name,
      specJson,
      metric: p.metric.name,
      goal: p.metric.goal,
      dataSource: p.data.source,
      nSamples: p.data.n,
      folds: p.folds.folds.length,
    })
  );
}
