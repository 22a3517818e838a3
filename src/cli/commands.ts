/**
 * The commands as plain functions over explicit inputs and an output sink, so tests call them
 * directly. Only main.ts touches argv, process streams and exit codes.
 */
import { resolve } from 'node:path';
import { InterruptedError, UsageError } from '../errors.js';
import { createEngine, gpuLikely, nativeAvailable, type BackendName } from '../engine/index.js';
import type { Engine } from '../engine/runtime.js';
import { cvResults, groupBy } from '../report/summarize.js';
import { formatParams, formatValue, renderClassic, renderCsv, renderGroups, renderJson, renderMarkdown, renderPivot, renderTable, topRows } from '../report/render.js';
import { renderHtmlReport } from '../report/html.js';
import { writeFileAtomic } from '../files.js';
import { gridSampler, gridSize } from '../search/grid.js';
import { randomSampler } from '../search/random.js';
import { tpeSampler } from '../search/tpe.js';
import { bayesSampler, DEFAULT_STARTUP } from '../search/bayes.js';
import type { Sampler, SamplerName } from '../search/sampler.js';
import { formatProblem, loadSpec, parseSpecText, readSpecText } from '../search/spec-file.js';
import type { ParamDef, Spec, SpecIssue } from '../search/spec.js';
import { buildSpace, type Param } from '../search/space.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { StudyRecord } from '../store/types.js';
import { prepareStudy, openStudy } from '../study/prepare.js';
import { runSearch, type Progress, type RunSummary } from '../study/run.js';
import type { WorkerExit } from './workers.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface SearchArgs {
  spec: string;
  db: string;
  backend: BackendName;
  seed?: number;
  budget?: number;
  /** bayes: quasi-random proposals before the GP takes over. */
  startup?: number;
  progress: Progress;
  shouldStop?: () => boolean;
  maxTrials?: number;
}

export function makeSampler(kind: SamplerName, spec: Spec, goal: 'maximize' | 'minimize' = 'maximize', startup = DEFAULT_STARTUP): Sampler {
  switch (kind) {
    case 'grid':
      return gridSampler({ space: spec.space });
    case 'random':
      return randomSampler({ space: spec.space, seed: spec.seed });
    case 'bayes':
      return bayesSampler({ space: spec.space, seed: spec.seed, goal, startup });
    case 'tpe': // integration shim (issue 17): the integrator wires `nnsearch tpe`
      return tpeSampler({ space: spec.space, seed: spec.seed, goal, startup });
  }
}

/**
 * How a run uses the machine's cores (--workers N):
 * - native engine: one process; each round claims N trials and trains all their folds as one stack
 *   spread over N threads.
 * - TensorFlow.js engines (one thread each): N worker processes on the same database
 *   (`spawn` starts them; each runs this command as a 'worker').
 */
export interface Parallelism {
  workers: number;
  isWorker: boolean;
  spawn?: (count: number, progress: Progress) => Promise<WorkerExit[]>;
}

type SearchRole = { kind: 'single'; threads: number } | { kind: 'worker' } | { kind: 'parent'; workers: number; spawn: NonNullable<Parallelism['spawn']> };

function roleOf(backend: BackendName, par: Parallelism): SearchRole {
  if (par.isWorker) return { kind: 'worker' };
  // engines that use several threads (native) or a GPU in one process need no worker processes
  const threaded = backend === 'native' || backend === 'webgpu' || (backend === 'auto' && (nativeAvailable() || gpuLikely()));
  if (par.workers > 1 && !threaded && par.spawn) return { kind: 'parent', workers: par.workers, spawn: par.spawn };
  return { kind: 'single', threads: threaded ? par.workers : 1 };
}

/** grid / random / bayes: validate everything, then open the database and search. */
export async function searchCommand(kind: SamplerName, args: SearchArgs, io: Output, par: Parallelism = { workers: 1, isWorker: false }): Promise<RunSummary | null> {
  const role = roleOf(args.backend, par);
  const specPath = resolve(args.spec);
  const spec = loadSpec(args.spec, { seed: args.seed });
  if (kind !== 'grid' && args.budget === undefined) throw new UsageError(`${kind}: --budget N is required (the number of trials the study should reach)`);
  if (kind === 'grid' && args.budget !== undefined) throw new UsageError('grid: --budget does not apply (the grid decides the number of trials)');
  if (spec.space.length === 0 && kind !== 'grid') throw new UsageError(`${args.spec}: params: nothing to search (add params)`);
  const prepared = prepareStudy(spec, specPath, { checkGrid: kind === 'grid' });
  const sampler = makeSampler(kind, spec, prepared.metric.goal, args.startup);
  const budget = kind === 'grid' ? Infinity : (args.budget as number);
  // created even by a parent of worker processes: a missing backend fails here, before the database
  let engine: Engine | null = await createEngine(args.backend, { threads: role.kind === 'single' ? role.threads : 1 });
  if (role.kind === 'parent') {
    await engine.dispose();
    engine = null;
  }
  const store = SqliteStore.open(args.db, { create: true });
  try {
    const study = openStudy(store, prepared);
    if (role.kind !== 'worker') {
      const plan = kind === 'grid' ? `${gridSize(spec.space)} grid points` : `budget ${args.budget}${kind === 'bayes' ? `, ${args.startup ?? DEFAULT_STARTUP} start-up trials` : ''}`;
      const how =
        role.kind === 'parent' ? `${role.workers} worker processes`
        : engine!.trialsPerRound ? `engine ${engine!.name}, up to ${engine!.trialsPerRound} trials per round`
        : `engine ${engine!.name}${role.threads > 1 ? `, ${role.threads} threads` : ''}`;
      io.err(`study ${study.name}: ${kind} search, ${plan}, ${prepared.folds.folds.length}-fold CV on ${prepared.data.source}, metric ${prepared.metric.name} (${prepared.metric.goal}), ${how}`);
    }
    let summary: RunSummary | null = null;
    if (role.kind === 'parent') {
      const { total, done } = planned(store, study, sampler, budget);
      args.progress.start(total, done);
      let exits: WorkerExit[];
      try {
        exits = await role.spawn(role.workers, args.progress);
      } finally {
        args.progress.stop();
      }
      if (exits.some((e) => e.code === 130)) throw new InterruptedError('interrupted; run the same command again to continue');
      const failed = exits.find((e) => e.code !== 0);
      if (failed?.code === 2) throw new UsageError(failed.lastError.replace(/^nnsearch: /, ''));
      if (failed) throw new Error(`a worker failed (exit ${failed.code}): ${failed.lastError}`);
    } else {
      summary = await runSearch(store, study, prepared, {
        sampler,
        budget,
        engine: engine!,
        progress: args.progress,
        shouldStop: args.shouldStop,
        maxTrials: args.maxTrials,
        trialsPerRound: engine!.trialsPerRound ?? (role.kind === 'single' ? role.threads : 1),
      });
    }
    if (role.kind !== 'worker') io.out(reportText(store, study, { format: 'table' }));
    return summary;
  } finally {
    store.close();
    await engine?.dispose();
  }
}

/** The run's target and how much of it is done, for the progress bar. */
function planned(store: SqliteStore, study: StudyRecord, sampler: Sampler, budget: number): { total: number; done: number } {
  const trials = store.listTrials(study.id);
  const finished = trials.filter((t) => t.state === 'complete' || t.state === 'fail');
  if (Number.isFinite(sampler.size)) return { total: sampler.size, done: finished.filter((t) => t.sampler === sampler.name).length };
  return { total: budget, done: finished.length };
}

export interface ReportArgs {
  db: string;
  study?: string;
  best?: boolean;
  /** One parameter: a grouped summary; two: a pivot table. */
  by?: string[];
  top?: number;
  format: 'table' | 'csv' | 'json' | 'markdown';
  /** Also write the HTML report to this file. */
  html?: string;
}

export function pickStudy(store: SqliteStore, name: string | undefined): StudyRecord {
  if (name) {
    const s = store.getStudy(name);
    if (!s) {
      const names = store.listStudies().map((x) => x.name);
      throw new UsageError(`--study: no study '${name}' in ${store.path}${names.length ? ` (studies: ${names.join(', ')})` : ''}`);
    }
    return s;
  }
  const all = store.listStudies();
  if (all.length === 0) throw new UsageError(`${store.path}: holds no studies yet`);
  if (all.length > 1) throw new UsageError(`${store.path} holds several studies (${all.map((s) => s.name).join(', ')}); pass --study NAME`);
  return all[0];
}

export function studyResults(store: SqliteStore, study: StudyRecord) {
  return cvResults(store.listTrials(study.id), store.foldsByTrial(study.id), study.folds, study.goal);
}

export function reportText(store: SqliteStore, study: StudyRecord, args: Pick<ReportArgs, 'best' | 'by' | 'format' | 'top'>): string {
  const results = studyResults(store, study);
  const by = args.by ?? [];
  for (const p of by) {
    if (!results.paramNames.includes(p)) throw new UsageError(`--by: study '${study.name}' has no parameter '${p}' (parameters: ${results.paramNames.join(', ') || 'none'})`);
  }
  if (by.length > 2) throw new UsageError('--by: give one parameter (a summary) or two (a pivot table)');
  if (args.format === 'csv') return renderCsv(results);
  if (args.format === 'json') return renderJson(results, { study: study.name, metric: study.metric, goal: study.goal, folds: study.folds, data: study.dataSource });
  if (args.format === 'markdown') return renderMarkdown(results, args.top);
  if (by.length === 2) return renderPivot(results, by[0], by[1]);
  if (by.length === 1) return renderGroups(by[0], groupBy(results, by[0]));
  return renderClassic(results, { best: args.best, top: args.top });
}

/** The study's parameter space, rebuilt from the params of the spec stored with it. */
export function studySpace(study: StudyRecord): Param[] {
  const issues: SpecIssue[] = [];
  const space = buildSpace((JSON.parse(study.specJson) as { params?: Record<string, ParamDef> }).params ?? {}, issues);
  return issues.length === 0 ? space : [];
}

export function htmlReport(store: SqliteStore, study: StudyRecord, curvesOf = 3): string {
  const results = studyResults(store, study);
  const best = topRows(results, curvesOf).filter((r) => r.state === 'complete');
  const trials = store.listTrials(study.id);
  const curves = best.map((r) => {
    const trial = trials.find((t) => t.number === r.number)!;
    const epochs = store.getEpochs(trial.id);
    const folds = [...new Set(epochs.map((e) => e.fold))].map((fold) => ({ fold, epochs: epochs.filter((e) => e.fold === fold) }));
    return { title: `trial ${r.number}: ${r.mean!.toFixed(4)} ${formatParams(r.params)}`, folds };
  });
  return renderHtmlReport({ study, space: studySpace(study), results, curves, generatedAt: new Date().toISOString().slice(0, 19).replace('T', ' ') });
}

export function reportCommand(args: ReportArgs, io: Output): void {
  const store = SqliteStore.open(args.db, { create: false });
  try {
    const study = pickStudy(store, args.study);
    const text = reportText(store, study, args);
    if (args.html) {
      writeFileAtomic(args.html, htmlReport(store, study));
      io.err(`wrote ${args.html}`);
    }
    io.out(text);
  } finally {
    store.close();
  }
}

export function studiesCommand(args: { db: string }, io: Output): void {
  const store = SqliteStore.open(args.db, { create: false });
  try {
    const rows = store.listStudies().map((s) => [s.name, String(s.trials), String(s.complete), String(s.failed), String(s.running), s.best === null ? '-' : s.best.toFixed(4), `${s.metric} (${s.goal})`, s.createdAt.slice(0, 19).replace('T', ' ')]);
    io.out(rows.length ? renderTable(['study', 'trials', 'complete', 'failed', 'running', 'best', 'metric', 'created'], rows) : `${args.db}: no studies yet`);
  } finally {
    store.close();
  }
}

/** validate: every problem of the spec, one per line; data checked too. Returns the exit code. */
export function validateCommand(args: { spec: string; seed?: number }, io: Output): number {
  const text = readSpecText(args.spec);
  const r = parseSpecText(text, { seed: args.seed });
  if (!r.ok) {
    for (const p of r.problems) io.err(formatProblem(args.spec, p));
    return 2;
  }
  const spec = r.spec;
  let plan: string;
  try {
    plan = `grid of ${gridSize(spec.space)} trials`;
  } catch {
    plan = 'continuous ranges: random or bayes only';
  }
  const prepared = prepareStudy(spec, resolve(args.spec), { checkGrid: !plan.startsWith('continuous') });
  const params = spec.space.map((p) => `${p.name}: ${p.dist.kind === 'categorical' ? p.dist.choices.map(formatValue).join(' | ') : `${p.dist.kind} ${p.dist.low}..${p.dist.high}${p.dist.log ? ' log' : ''}${p.dist.step ? ` step ${p.dist.step}` : ''}`}`);
  io.out(`${args.spec}: ok — study ${spec.name}; ${plan}; ${prepared.folds.folds.length}-fold CV on ${prepared.data.source}; metric ${prepared.metric.name} (${prepared.metric.goal})`);
  for (const line of params) io.out(`  ${line}`);
  return 0;
}
