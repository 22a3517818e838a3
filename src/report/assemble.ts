/**
 * Assembling reports from a storage: a study's cv_results_, the text report in each format, the
 * parameter space as stored with the study, and the HTML report with its learning curves.
 */
import { buildSpace } from '../spec/space.js';
import type { ParamDef, SpecIssue } from '../spec/schema.js';
import type { Param } from '../search/space.js';
import type { Storage } from '../store/storage.js';
import type { StudyRecord } from '../store/types.js';
import { renderHtmlReport } from './html.js';
import { formatParams, renderClassic, renderCsv, renderGroups, renderJson, renderMarkdown, renderPivot, topRows } from './render.js';
import { cvResults, groupBy, type CvResults } from './summarize.js';
import type { ViewInput } from './view.js';
import { DEFAULT_TOP_K } from '../spec/vocabulary.js';

export type ReportFormat = 'table' | 'csv' | 'json' | 'markdown';

export interface ReportOptions {
  best?: boolean;
  /** One parameter: a grouped summary; two: a pivot table (table format only). */
  by?: string[];
  top?: number;
  format: ReportFormat;
}

export async function studyResults(store: Storage, study: StudyRecord): Promise<CvResults> {
  return cvResults(await store.listTrials(study.id), await store.foldsByTrial(study.id), study.folds, study.goal);
}

/**
 * The report of one study as text; `by` must name parameters of the study, and csv / json take no
 * `by`, `best` or `top` (cli/ checks both).
 */
export function renderReport(results: CvResults, study: StudyRecord, opts: ReportOptions): string {
  const by = opts.by ?? [];
  if (opts.format === 'csv') return renderCsv(results);
  if (opts.format === 'json') return renderJson(results, { study: study.name, metric: study.metric, goal: study.goal, folds: study.folds, data: study.dataSource });
  if (opts.format === 'markdown') return renderMarkdown(results, opts.best ? 1 : opts.top);
  const dists = Object.fromEntries(studySpace(study).map((p) => [p.name, p.dist]));
  if (by.length === 2) return renderPivot(results, by[0], by[1], dists);
  if (by.length === 1) return renderGroups(by[0], groupBy(results, by[0], dists[by[0]]));
  return renderClassic(results, { best: opts.best, top: opts.top });
}

/** The study's parameter space, rebuilt from the params of the spec stored with it. */
export function studySpace(study: StudyRecord): Param[] {
  const issues: SpecIssue[] = [];
  const stored = JSON.parse(study.specJson) as { params?: Record<string, ParamDef>; model?: { layers?: unknown; conv_blocks?: unknown } };
  const space = buildSpace(stored.params ?? {}, issues, stored.model ?? {});
  return issues.length === 0 ? space : [];
}

/** The metric as charts name it: top_k_accuracy with its k. */
export function metricLabel(study: StudyRecord): string {
  const k = (JSON.parse(study.specJson) as { metric?: { k?: number } }).metric?.k;
  return study.metric === 'top_k_accuracy' ? `top_${k ?? DEFAULT_TOP_K}_accuracy` : study.metric;
}

/** The spec's model section as stored with the study (what optimizer settings a trial used). */
function storedModel(study: StudyRecord): ViewInput['model'] {
  const model = (JSON.parse(study.specJson) as { model?: ViewInput['model'] }).model;
  return model ?? null;
}

/**
 * Everything a study view shows, read from the storage: cv_results_, the learning curves of the
 * `curvesOf` best trials, and (`unfinished`) the trials still running or interrupted.
 */
export async function studyViewInput(store: Storage, study: StudyRecord, opts: { curvesOf?: number; unfinished?: boolean } = {}): Promise<ViewInput> {
  const trials = await store.listTrials(study.id);
  const folds = await store.foldsByTrial(study.id);
  const results = cvResults(trials, folds, study.folds, study.goal);
  const best = topRows(results, opts.curvesOf ?? 3).filter((r) => r.state === 'complete');
  const curves = [];
  for (const r of best) {
    const trial = trials.find((t) => t.number === r.number)!;
    const epochs = await store.getEpochs(trial.id);
    const byFold = [...new Set(epochs.map((e) => e.fold))].map((fold) => ({ fold, epochs: epochs.filter((e) => e.fold === fold) }));
    curves.push({ title: `trial ${r.number}: ${r.mean!.toFixed(4)} ${formatParams(r.params)}`, folds: byFold });
  }
  const steps = new Map<number, [number, number][]>();
  for (const v of await store.intermediateValues(study.id)) if (v.kind === 'step') steps.set(v.trialId, [...(steps.get(v.trialId) ?? []), [v.step, v.value]]);
  const finished = new Set(results.rows.map((r) => r.number));
  const intermediate = trials.filter((t) => finished.has(t.number) && steps.has(t.id)).map((t) => ({ number: t.number, values: steps.get(t.id)! }));
  const unfinished = opts.unfinished
    ? trials.filter((t) => t.state === 'running' || t.state === 'interrupted').map((t) => ({ number: t.number, state: t.state as 'running' | 'interrupted', params: t.params, foldsDone: folds.get(t.id)?.length ?? 0 }))
    : [];
  return {
    study,
    metricLabel: metricLabel(study),
    space: studySpace(study),
    model: storedModel(study),
    results,
    curves,
    intermediate,
    unfinished,
    generatedAt: `report ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`,
  };
}

/** The self-contained HTML report, with the learning curves of the `curvesOf` best trials. */
export async function htmlReport(store: Storage, study: StudyRecord, curvesOf = 3, architecture?: ViewInput['architecture']): Promise<string> {
  return renderHtmlReport({ ...(await studyViewInput(store, study, { curvesOf })), ...(architecture ? { architecture } : {}) });
}
