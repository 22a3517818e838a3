/**
 * Report output: the classic GridSearchCV printout, a grouped table, CSV and JSON with the
 * cv_results_ columns. Pure: results in, text out.
 */
import type { Distribution } from '../search/space.js';
import { formatParams, formatValue } from './format.js';
import { grouper, orderedGroups } from './groups.js';

export { formatParams, formatValue };
import type { CvResults, CvRow, GroupRow } from './summarize.js';

function score(v: number | null, digits = 4): string {
  return v === null ? 'nan' : v.toFixed(digits);
}

/** The line a finished trial gets: `mean=0.9647 std=0.0014 {init: uniform}`, or its failure. */
export function trialLine(r: Pick<CvRow, 'mean' | 'std' | 'params' | 'state' | 'failReason' | 'error' | 'sampler'> & { reached?: number | null }): string {
  // grid trials keep the classic form; other samplers are named after the parameters
  const by = r.sampler && r.sampler !== 'grid' ? ` [${r.sampler}]` : '';
  if (r.state === 'complete') return `mean=${score(r.mean)} std=${score(r.std)} ${formatParams(r.params)}${by}`;
  if (r.state === 'pruned') return `pruned (reached ${score(r.reached ?? null)}) ${formatParams(r.params)}${by}`;
  return `failed (${r.failReason ?? 'error'}) ${formatParams(r.params)}${by}${r.failReason === 'error' && r.error ? `: ${r.error}` : ''}`;
}

export function bestLine(results: CvResults): string {
  if (results.bestIndex < 0) return 'Best: none (no trial completed)';
  const best = results.rows[results.bestIndex];
  return `Best: ${score(best.mean)} using ${formatParams(best.params)}`;
}

/** Rows in rank order, the best first, at most `top` of them. */
export function topRows(results: CvResults, top: number): CvRow[] {
  return [...results.rows].sort((a, b) => a.rank - b.rank || a.number - b.number).slice(0, top);
}

/** The classic printout: the best line, then one line per finished trial (trial order, or the `top` best). */
export function renderClassic(results: CvResults, opts: { best?: boolean; top?: number } = {}): string {
  const lines = [bestLine(results)];
  if (!opts.best) for (const r of opts.top !== undefined ? topRows(results, opts.top) : results.rows) lines.push(trialLine(r));
  return lines.join('\n');
}

/** A GitHub-flavoured markdown table of the results, best first. */
export function renderMarkdown(results: CvResults, top = Infinity): string {
  const train = results.trainScores ? ['mean train'] : [];
  const head = ['rank', 'trial', 'sampler', ...results.paramNames, ...Array.from({ length: results.folds }, (_, k) => `split${k}`), 'mean', 'std', ...train, 'fit s'];
  const cell = (v: number | null, d = 4) => (v === null ? '' : v.toFixed(d));
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h) => (h === 'sampler' || results.paramNames.includes(h) ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of topRows(results, top)) {
    const params = results.paramNames.map((p) => (r.params[p] === undefined ? '' : formatValue(r.params[p])));
    const mean = r.state === 'complete' ? cell(r.mean) : r.state === 'pruned' ? `pruned (${cell(r.reached)})` : `failed (${r.failReason ?? 'error'})`;
    lines.push(`| ${[String(r.rank), String(r.number), r.sampler, ...params, ...r.splitScores.map((v) => cell(v)), mean, cell(r.std), ...(train.length ? [cell(r.meanTrain)] : []), cell(r.meanFitTime, 2)].join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Two-way summary: values of `a` down, values of `b` across (each in order, continuous ones binned),
 * the mean of the complete trials' scores in each cell.
 */
export function renderPivot(results: CvResults, a: string, b: string, dists: Record<string, Distribution | undefined> = {}): string {
  const groupA = grouper(results.rows.map((r) => r.params[a]), dists[a]);
  const groupB = grouper(results.rows.map((r) => r.params[b]), dists[b]);
  const rowsA = orderedGroups(results.rows.map((r) => r.params[a]), groupA);
  const colsB = orderedGroups(results.rows.map((r) => r.params[b]), groupB);
  const cells = rowsA.map((ga) => [
    ga.label,
    ...colsB.map((gb) => {
      const means = results.rows.filter((r) => groupA(r.params[a]).key === ga.key && groupB(r.params[b]).key === gb.key && r.mean !== null).map((r) => r.mean!);
      return means.length ? (means.reduce((x, y) => x + y, 0) / means.length).toFixed(4) + (means.length > 1 ? ` (${means.length})` : '') : '-';
    }),
  ]);
  return renderTable([`${a} \\ ${b}`, ...colsB.map((g) => g.label)], cells);
}

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderGroups(param: string, groups: GroupRow[]): string {
  return renderTable(
    [param, 'trials', 'complete', 'mean', 'best'],
    groups.map((g) => [g.label, String(g.trials), String(g.complete), score(g.mean), score(g.best)]),
  );
}

/** cv_results_ as columns (sklearn's names) plus nnsearch's trial number, sampler and state. */
export function cvResultsColumns(results: CvResults): Record<string, unknown[]> {
  const cols: Record<string, unknown[]> = {
    trial: results.rows.map((r) => r.number),
    sampler: results.rows.map((r) => r.sampler),
    state: results.rows.map((r) => r.state),
    params: results.rows.map((r) => r.params),
  };
  for (const p of results.paramNames) cols[`param_${p}`] = results.rows.map((r) => r.params[p] ?? null);
  for (let k = 0; k < results.folds; k++) cols[`split${k}_test_score`] = results.rows.map((r) => r.splitScores[k]);
  cols.mean_test_score = results.rows.map((r) => r.mean);
  cols.std_test_score = results.rows.map((r) => r.std);
  cols.rank_test_score = results.rows.map((r) => r.rank);
  if (results.trainScores) {
    for (let k = 0; k < results.folds; k++) cols[`split${k}_train_score`] = results.rows.map((r) => r.splitTrainScores[k]);
    cols.mean_train_score = results.rows.map((r) => r.meanTrain);
    cols.std_train_score = results.rows.map((r) => r.stdTrain);
  }
  cols.mean_fit_time = results.rows.map((r) => r.meanFitTime);
  cols.std_fit_time = results.rows.map((r) => r.stdFitTime);
  cols.mean_score_time = results.rows.map((r) => r.meanScoreTime);
  cols.std_score_time = results.rows.map((r) => r.stdScoreTime);
  cols.fail_reason = results.rows.map((r) => r.failReason);
  // nnsearch's: a pruned trial's value where it was stopped (null for the others)
  cols.pruned_value = results.rows.map((r) => r.reached);
  return cols;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(results: CvResults): string {
  const cols = cvResultsColumns(results);
  const names = Object.keys(cols);
  const lines = [names.join(',')];
  for (let i = 0; i < results.rows.length; i++) lines.push(names.map((n) => csvCell(cols[n][i])).join(','));
  return lines.join('\n');
}

export function renderJson(results: CvResults, study: Record<string, unknown>): string {
  const best = results.bestIndex >= 0 ? results.rows[results.bestIndex] : null;
  return JSON.stringify(
    {
      ...study,
      best_index: results.bestIndex >= 0 ? results.bestIndex : null,
      best_score: best?.mean ?? null,
      best_params: best?.params ?? null,
      cv_results: cvResultsColumns(results),
    },
    null,
    2,
  );
}
