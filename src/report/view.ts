/**
 * A study as the HTML report and the dashboard show it: sections of markup (the results table,
 * notes) and charts (ECharts options from charts/), as one JSON-ready value. The static report
 * renders it once; the dashboard sends it again whenever the study changes. Pure.
 */
import type { ModelSpec } from '../spec/schema.js';
import { isActive } from '../spec/activity.js';
import type { Param } from '../search/space.js';
import { contourCaption, contourOption, contourPairs } from './charts/contour.js';
import { esc, scoreWindow, type ChartTrial, type Option } from './charts/common.js';
import { curvesOption, type CurveFold } from './charts/curves.js';
import { edfOption } from './charts/edf.js';
import { historyOption } from './charts/history.js';
import { intermediateOption, type TrialSteps } from './charts/intermediate.js';
import { importanceOption } from './charts/importance.js';
import { parallelOption } from './charts/parallel.js';
import { sliceOption } from './charts/slice.js';
import { formatParams } from './format.js';
import { importances, MIN_TRIALS } from './importance.js';
import type { CvResults, CvRow } from './summarize.js';

export interface ChartView {
  id: string;
  caption: string;
  /** Pixels. */
  height: number;
  /** Spans the whole width of the page. */
  wide: boolean;
  option: Option;
  /** Alternative options the reader picks from (the contour plot's parameter pairs); the first is `option`. */
  variants?: { label: string; option: Option }[];
}

export interface SectionView {
  id: string;
  title: string;
  /** Markup before the charts (a table, a note). */
  html: string;
  charts: ChartView[];
}

export interface ReportView {
  title: string;
  /** The study's name (null: the dashboard of a database without a study yet). */
  study: string | null;
  metaHtml: string;
  bestHtml: string;
  sections: SectionView[];
  counts: { finished: number; complete: number; failed: number; running: number; pruned: number };
}

export interface StudyInfo {
  name: string;
  metric: string;
  goal: 'maximize' | 'minimize';
  folds: number;
  dataSource: string;
  createdAt: string;
}

/** A trial that has not finished, for the dashboard's table. */
export interface UnfinishedTrial {
  number: number;
  state: 'running' | 'interrupted';
  params: Record<string, unknown>;
  foldsDone: number;
}

export interface ViewInput {
  study: StudyInfo;
  /** The metric as axes name it (top_k_accuracy with its k). */
  metricLabel: string;
  space: Param[];
  /** The spec's model section: which optimizer settings a trial used. */
  model: Pick<ModelSpec, 'optimizer' | 'units'> | null;
  results: CvResults;
  /** Learning curves of the best trials. */
  curves: { title: string; folds: CurveFold[] }[];
  /** Every finished trial's intermediate values (per-epoch), for the intermediate-values chart. */
  intermediate?: TrialSteps[];
  unfinished: UnfinishedTrial[];
  generatedAt: string;
  /** A conv net's architecture (Keras model.summary() lines) of the best trial, when the caller resolved it. */
  architecture?: { title: string; lines: string[] };
}

export function chartTrials(results: CvResults): ChartTrial[] {
  return results.rows.map((r) => ({
    number: r.number,
    state: r.state,
    params: r.params,
    value: r.mean,
    reached: r.reached,
    std: r.std,
    folds: r.splitScores.filter((v): v is number => v !== null),
    train: r.meanTrain,
    failReason: r.failReason,
  }));
}

const fmt = (v: number | null, d = 4) => (v === null ? '' : v.toFixed(d));

function tableRow(r: CvRow, train: boolean): string {
  const state = r.state === 'complete' ? '' : ` <span class="state">${esc(r.failReason ?? r.state)}</span>`;
  const splits = r.splitScores.map((v) => `<td>${fmt(v)}</td>`).join('');
  const mean = r.state === 'pruned' ? `<i title="the value it reached when pruned">${fmt(r.reached)}</i>` : `<b>${fmt(r.mean)}</b>`;
  return `<tr class="${r.state}"><td>${r.rank}</td><td>${r.number}</td><td>${esc(r.sampler)}</td><td class="params">${esc(formatParams(r.params))}${state}</td>${splits}<td>${mean}</td><td>${fmt(r.std)}</td>${train ? `<td>${fmt(r.meanTrain)}</td>` : ''}<td>${fmt(r.meanFitTime, 2)}</td><td>${fmt(r.stdFitTime, 2)}</td></tr>`;
}

/** The results table, best first; unfinished trials (dashboard) after the finished ones. */
export function resultsTable(results: CvResults, unfinished: UnfinishedTrial[] = []): string {
  const train = results.trainScores;
  const splits = Array.from({ length: results.folds }, (_, k) => `<th>split${k}</th>`).join('');
  const rows = [...results.rows].sort((a, b) => a.rank - b.rank || a.number - b.number).map((r) => tableRow(r, train));
  const open = unfinished.map(
    (t) => `<tr class="${t.state}"><td></td><td>${t.number}</td><td></td><td class="params">${esc(formatParams(t.params as CvRow['params']))} <span class="state">${t.state}: ${t.foldsDone} of ${results.folds} folds</span></td>${'<td></td>'.repeat(results.folds + 4 + (train ? 1 : 0))}</tr>`,
  );
  return `<div class="scroll"><table id="results"><thead><tr><th>rank</th><th>trial</th><th>sampler</th><th class="params">params</th>${splits}<th>mean</th><th>std</th>${train ? '<th>train</th>' : ''}<th>fit s</th><th>± fit s</th></tr></thead><tbody>${[...rows, ...open].join('')}</tbody></table></div>`;
}

export function buildView(input: ViewInput): ReportView {
  const { study, results, space } = input;
  const metric = input.metricLabel;
  const trials = chartTrials(results);
  const complete = results.rows.filter((r) => r.state === 'complete');
  const pruned = results.rows.filter((r) => r.state === 'pruned').length;
  const failed = results.rows.length - complete.length - pruned;
  const running = input.unfinished.filter((t) => t.state === 'running').length;
  const window = scoreWindow(trials, study.goal);
  const sections: SectionView[] = [];
  const chart = (id: string, option: Option, caption: string, height: number, wide = false): ChartView => ({ id, option, caption, height, wide });

  sections.push({ id: 'results', title: 'Results', html: resultsTable(results, input.unfinished), charts: [] });
  if (input.architecture) {
    sections.push({ id: 'architecture', title: 'Architecture', html: `<p class="note">${esc(input.architecture.title)}</p><pre class="summary">${esc(input.architecture.lines.join('\n'))}</pre>`, charts: [] });
  }
  if (complete.length === 0) {
    sections.push({ id: 'waiting', title: 'Charts', html: '<p class="note">The charts appear when a trial completes.</p>', charts: [] });
  } else {
    const h = historyOption(trials, study.goal, metric, window);
    sections.push({ id: 'history-section', title: 'Optimization history', html: '', charts: [chart('history', h.option, h.caption, 360, true)] });
    if (input.intermediate?.some((s) => s.values.length > 0)) {
      // unzoomed: early epochs lie below the final scores the window is made for
      const iv = intermediateOption(trials, input.intermediate, metric, null);
      sections.push({ id: 'intermediate-section', title: 'Intermediate values', html: '', charts: [chart('intermediate', iv.option, iv.caption, 360, true)] });
    }
    if (space.length > 0) {
      const pc = parallelOption(space, trials, study.goal, metric, window);
      sections.push({ id: 'parallel-section', title: 'Parallel coordinates', html: '', charts: [chart('parallel', pc.option, pc.caption, 380, true)] });
      sections.push({
        id: 'slices',
        title: 'Slices',
        html: '',
        charts: space.map((p) => {
          const s = sliceOption(p, trials, metric, window);
          return chart(`slice-${p.name}`, s.option, s.caption, 300);
        }),
      });
    }
    const imp = importances(
      complete.map((r) => ({ params: r.params, value: r.mean! })),
      space,
      (name, params) => (input.model ? isActive(name, params, input.model) : params[name] !== undefined),
    );
    const rank = (name: string) => {
      const i = imp.params.findIndex((p) => p.name === name);
      return imp.params[i]?.importance === null ? 100 + i : i;
    };
    const pairs = contourPairs(space, rank);
    if (pairs.length > 0) {
      const variants = pairs.map(([x, y]) => ({ label: `${x.name} × ${y.name}`, option: contourOption(x, y, trials, study.goal, metric, window) }));
      sections.push({ id: 'contour-section', title: 'Contour', html: '', charts: [{ ...chart('contour', variants[0].option, contourCaption(metric, complete.length, window), 420, true), variants }] });
    }
    const e = edfOption(trials, metric, window);
    const edf = chart('edf', e.option, e.caption, 300);
    if (space.length > 0) {
      const note = imp.ranked
        ? `<p class="note">Rests on ${imp.complete} complete trials: the share of the variance of the mean scores that each parameter explains on its own (eta squared, numeric parameters in quantile bins), each over the trials where it was active.${unranked(imp.params)}</p>`
        : `<p class="note">Too few trials to rank parameters: ${imp.complete} complete, at least ${MIN_TRIALS} needed.</p>`;
      const charts = imp.ranked && imp.params.some((p) => p.importance !== null) ? [chart('importance', importanceOption(imp), 'Parameter importance, largest first; each bar says how many trials it rests on.', 60 + 34 * imp.params.filter((p) => p.importance !== null).length)] : [];
      sections.push({ id: 'importance-section', title: 'Parameter importance', html: note, charts });
    }
    sections.push({ id: 'edf-section', title: 'Empirical distribution', html: '', charts: [edf] });
    if (input.curves.length > 0) {
      const curves = input.curves.map((c, i) => {
        const { option, hasValidation } = curvesOption(c.folds);
        return chart(`curves-${i}`, option, `${c.title}. Solid: training loss; ${hasValidation ? 'dashed: validation loss' : 'dotted: the test fold, recorded for monitoring only'}; colours are folds.`, 280);
      });
      sections.push({ id: 'curves', title: 'Learning curves of the best trials', html: '', charts: curves });
    }
  }
  const best = results.bestIndex >= 0 ? results.rows[results.bestIndex] : null;
  return {
    title: `nnsearch report: ${study.name}`,
    study: study.name,
    metaHtml: `${results.rows.length} finished trials (${complete.length} complete, ${pruned ? `${pruned} pruned, ` : ''}${failed} failed)${running ? `, ${running} running` : ''} · ${study.folds}-fold CV on ${esc(study.dataSource)} · metric ${esc(metric)} (${study.goal}) · study created ${esc(study.createdAt.slice(0, 19).replace('T', ' '))} · ${esc(input.generatedAt)}`,
    bestHtml: best ? `Best: ${best.mean!.toFixed(4)} ± ${best.std!.toFixed(4)} using ${esc(formatParams(best.params))} (trial ${best.number})` : 'No trial completed yet.',
    sections,
    counts: { finished: results.rows.length, complete: complete.length, failed, running, pruned },
  };
}

function unranked(params: { name: string; importance: number | null; trials: number }[]): string {
  const left = params.filter((p) => p.importance === null);
  if (left.length === 0) return '';
  return ` Not ranked: ${left.map((p) => `${esc(p.name)} (active in ${p.trials} trial${p.trials === 1 ? '' : 's'}, fewer than ${MIN_TRIALS})`).join(', ')}.`;
}
