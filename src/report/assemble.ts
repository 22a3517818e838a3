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
  const space = buildSpace((JSON.parse(study.specJson) as { params?: Record<string, ParamDef> }).params ?? {}, issues);
  return issues.length === 0 ? space : [];
}

/** The self-contained HTML report, with the learning curves of the `curvesOf` best trials. */
export async function htmlReport(store: Storage, study: StudyRecord, curvesOf = 3): Promise<string> {
  const results = await studyResults(store, study);
  const best = topRows(results, curvesOf).filter((r) => r.state === 'complete');
  const trials = await store.listTrials(study.id);
  const curves = [];
  for (const r of best) {
    const trial = trials.find((t) => t.number === r.number)!;
    const epochs = await store.getEpochs(trial.id);
    const folds = [...new Set(epochs.map((e) => e.fold))].map((fold) => ({ fold, epochs: epochs.filter((e) => e.fold === fold) }));
    curves.push({ title: `trial ${r.number}: ${r.mean!.toFixed(4)} ${formatParams(r.params)}`, folds });
  }
  return renderHtmlReport({ study, space: studySpace(study), results, curves, generatedAt: new Date().toISOString().slice(0, 19).replace('T', ' ') });
}
