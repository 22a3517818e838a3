/**
 * The HTML report: one self-contained, offline file (inline CSS, inline SVG, no scripts, no network)
 * with the results table, optimization history, parallel coordinates, slice plots with fold spread,
 * learning curves of the best trials and parameter importance. Pure: data in, HTML out.
 */
import type { Param } from '../search/space.js';
import { historyChart, importanceChart, learningCurves, parallelCoordinates, sliceChart, type CurveFold, type ScoredTrial } from './charts.js';
import { importances } from './importance.js';
import { formatParams } from './render.js';
import type { CvResults } from './summarize.js';
import { esc } from './svg.js';

export interface HtmlReportInput {
  study: { name: string; metric: string; goal: 'maximize' | 'minimize'; folds: number; dataSource: string; createdAt: string };
  space: Param[];
  results: CvResults;
  /** Learning curves of the best trials. */
  curves: { title: string; folds: CurveFold[] }[];
  generatedAt: string;
}

const CSS = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:13px}.best{background:#f3f8f1;border:1px solid #cfe3c8;padding:8px 12px;border-radius:6px;margin:12px 0;font-size:14px}
table{border-collapse:collapse;font-size:12px;width:100%}th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:right;white-space:nowrap}
th{background:#fafafa;position:sticky;top:0}td.params,th.params{text-align:left;white-space:normal}tr.fail td{color:#b33}
.grid{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #eee;border-radius:6px;padding:6px;background:#fff}
figcaption{font-size:12px;color:#555;margin-top:2px}.scroll{overflow-x:auto}.note{font-size:12px;color:#666}
`;

function scoredTrials(results: CvResults): ScoredTrial[] {
  return results.rows.map((r) => ({ number: r.number, params: r.params, value: r.mean, folds: r.splitScores.filter((v): v is number => v !== null) }));
}

function figure(id: string, svg: string, caption: string): string {
  return `<figure class="chart-box" data-chart="${esc(id)}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function table(results: CvResults): string {
  const splits = Array.from({ length: results.folds }, (_, k) => `<th>split${k}</th>`).join('');
  const rows = [...results.rows]
    .sort((a, b) => a.rank - b.rank)
    .map((r) => {
      const fmt = (v: number | null, d = 4) => (v === null ? '' : v.toFixed(d));
      const cells = r.splitScores.map((v) => `<td>${fmt(v)}</td>`).join('');
      const state = r.state === 'complete' ? '' : ` (${esc(r.failReason ?? r.state)})`;
      return `<tr class="${r.state}"><td>${r.rank}</td><td>${r.number}</td><td>${esc(r.sampler)}</td><td class="params">${esc(formatParams(r.params))}${state}</td>${cells}<td>${fmt(r.mean)}</td><td>${fmt(r.std)}</td><td>${fmt(r.meanFitTime, 2)}</td></tr>`;
    })
    .join('');
  return `<div class="scroll"><table id="results"><thead><tr><th>rank</th><th>trial</th><th>sampler</th><th class="params">params</th>${splits}<th>mean</th><th>std</th><th>fit s</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const { study, space, results } = input;
  const trials = scoredTrials(results);
  const best = results.bestIndex >= 0 ? results.rows[results.bestIndex] : null;
  const complete = results.rows.filter((r) => r.state === 'complete');
  const failed = results.rows.length - complete.length;
  const sections: string[] = [];
  sections.push(`<h2>Results</h2>${table(results)}`);
  sections.push(`<h2>Optimization history</h2><div class="grid">${figure('history', historyChart(trials, study.goal, study.metric), `Every trial's mean ${study.metric}; the line is the best so far.`)}</div>`);
  if (space.length > 0) {
    sections.push(`<h2>Parallel coordinates</h2><div class="grid scroll">${figure('parallel', parallelCoordinates(space, trials, study.goal, study.metric), 'One line per complete trial, darker is better.')}</div>`);
    sections.push(`<h2>Slices</h2><div class="grid">${space.map((p) => figure(`slice-${p.name}`, sliceChart(p, trials, study.metric), `${study.metric} against ${p.name}; bars span the folds' scores.`)).join('')}</div>`);
    const imp = importances(complete.map((r) => ({ params: r.params, value: r.mean! })), space);
    sections.push(`<h2>Parameter importance</h2><div class="grid">${figure('importance', importanceChart(imp), 'Share of the variance of the mean scores that each parameter explains on its own (eta squared, normalized).')}</div>`);
  }
  if (input.curves.length > 0) {
    sections.push(`<h2>Learning curves of the best trials</h2><div class="grid">${input.curves.map((c, i) => figure(`curves-${i}`, learningCurves(c.title, c.folds), c.title)).join('')}</div><p class="note">Colors are folds. Without a validation split the dotted line is the test fold, recorded for monitoring only.</p>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>nnsearch report: ${esc(study.name)}</title><style>${CSS}</style></head>
<body>
<h1>nnsearch report: ${esc(study.name)}</h1>
<div class="meta">${results.rows.length} finished trials (${complete.length} complete, ${failed} failed) · ${study.folds}-fold CV on ${esc(study.dataSource)} · metric ${esc(study.metric)} (${study.goal}) · study created ${esc(study.createdAt.slice(0, 19).replace('T', ' '))} · report ${esc(input.generatedAt)}</div>
${best ? `<div class="best">Best: ${best.mean!.toFixed(4)} ± ${best.std!.toFixed(4)} using ${esc(formatParams(best.params))} (trial ${best.number})</div>` : '<div class="best">No trial completed yet.</div>'}
${sections.join('\n')}
</body></html>
`;
}
