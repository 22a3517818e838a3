/**
 * What the report's charts share: the trials as charts see them, their hover text, axes for a
 * parameter (log, linear or category with labels that rotate or wrap), the score window that zooms
 * past outliers, and the names of the browser functions an option refers to. Every chart module
 * returns an Apache ECharts option as plain JSON; the page's script (client/app.ts) replaces each
 * "@fn:name" string with that function before rendering. Pure.
 */
import type { TrialState } from '../../records.js';
import type { Distribution, ParamValue } from '../../search/space.js';
import { formatValue } from '../format.js';

export type Option = Record<string, unknown>;

/** Browser functions an option may name (client/app.ts defines them). */
export const FN = {
  /** tooltip formatter: the hovered item's `tip` (HTML). */
  tip: '@fn:tip',
  /** axis tooltip formatter: the `tip` of every item at the hovered position. */
  axisTip: '@fn:axisTip',
  /** custom series: a trial's mean with its folds' range as a bar (slice plots). */
  slicePoint: '@fn:slicePoint',
  /** custom series: one rectangle of the contour grid, coloured by the visual map. */
  cell: '@fn:cell',
} as const;

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
/** Colours from the worst score to the best (parallel coordinates, contour). */
export const SCORE_COLORS = ['#fde0c5', '#facba6', '#9ecae1', '#4292c6', '#2171b5', '#08306b'];
export const BEST_COLOR = '#e15759';
export const TRIAL_COLOR = '#4e79a7';
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export interface ChartTrial {
  number: number;
  state: TrialState;
  params: Record<string, ParamValue>;
  /** Mean test score (complete trials). */
  value: number | null;
  /** A pruned trial's value where it was stopped. */
  reached?: number | null;
  std: number | null;
  /** Per-fold test scores. */
  folds: number[];
  /** Mean training-part score, when recorded. */
  train: number | null;
  failReason: string | null;
}

export interface SpaceParam {
  name: string;
  dist: Distribution;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A score as the charts print it. */
export function fmtScore(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4);
}

/** The hover text of a trial: number, state, scores, every parameter, the folds (HTML). */
export function trialTip(t: ChartTrial, metric: string): string {
  const head = `<b>trial ${t.number}</b>${t.state === 'complete' ? '' : ` <i>${esc(t.failReason ?? t.state)}</i>`}`;
  const score =
    t.value !== null ? `${esc(metric)} <b>${fmtScore(t.value)}</b>${t.std !== null ? ` ± ${fmtScore(t.std)}` : ''}`
    : t.reached != null && Number.isFinite(t.reached) ? `${esc(metric)} ${fmtScore(t.reached)} when pruned`
    : '';
  const train = t.train !== null ? `train ${fmtScore(t.train)}` : '';
  const params = Object.entries(t.params).map(([k, v]) => `${esc(k)}: ${esc(formatValue(v))}`);
  const folds = t.folds.length ? `folds: ${t.folds.map((v) => fmtScore(v)).join(', ')}` : '';
  return [head, score, train, ...params, folds].filter(Boolean).join('<br>');
}

/** The common frame of every chart: SVG-friendly fonts, no animation (the tests read positions), hover tooltips. */
export function baseOption(): Option {
  return {
    animation: false,
    textStyle: { fontFamily: FONT, fontSize: 11, color: '#333' },
    tooltip: { trigger: 'item', confine: true, formatter: FN.tip, textStyle: { fontSize: 12 }, extraCssText: 'max-width:320px;white-space:normal' },
  };
}

/**
 * A chart's grid: the rectangle inside which ECharts 6 lays out the plot together with its axis
 * labels and names (outerBoundsMode 'same': it shrinks the plot until they fit).
 */
export function grid(extra: Option = {}): Option {
  return { left: 8, right: 16, top: 36, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'all', ...extra };
}

/** Axis names stand out from tick labels. */
export const AXIS_NAME_STYLE = { fontWeight: 600, color: '#222' };

/** Labels of a score axis that can be zoomed: its ends fall anywhere, so only the inner ticks are labelled. */
export const SCORE_LABELS = { hideOverlap: true, showMinLabel: false, showMaxLabel: false };

/** An axis for a parameter: log for log-scaled ranges, linear for other ranges, categories otherwise. */
export function paramAxis(p: SpaceParam): Option {
  const d = p.dist;
  const common = { name: p.name, nameLocation: 'middle', nameGap: 28, nameTextStyle: AXIS_NAME_STYLE, axisLabel: { hideOverlap: true } };
  if (d.kind === 'categorical') {
    const labels = d.choices.map((c) => formatValue(c));
    // the page script rotates or wraps the labels to the width the chart gets
    return { ...common, type: 'category', data: labels, axisLabel: { interval: 0, hideOverlap: true, overflow: 'break', width: 110 }, axisTick: { alignWithLabel: true } };
  }
  // the end labels lean inwards, clear of the other axis's labels
  const numeric = { ...common, axisLabel: { hideOverlap: true, alignMinLabel: 'left', alignMaxLabel: 'right' }, min: d.low, max: d.high };
  return d.log ? { ...numeric, type: 'log', logBase: 10 } : { ...numeric, type: 'value' };
}

/** The position of a parameter value on its axis: the category's index, or the number. */
export function axisValue(p: SpaceParam, v: ParamValue | undefined): number | null {
  if (v === undefined) return null;
  if (p.dist.kind === 'categorical') {
    const i = p.dist.choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(v));
    return i >= 0 ? i : null;
  }
  return typeof v === 'number' ? v : null;
}

/** Score axis range: the data's, or the window that leaves out outliers. */
export interface ScoreWindow {
  lo: number;
  hi: number;
  /** Complete trials outside the window (far on the bad side of the rest). */
  outliers: ChartTrial[];
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  return sorted[i] + (sorted[Math.min(i + 1, sorted.length - 1)] - sorted[i]) * (pos - i);
}

/**
 * The default score window: when some trials lie far on the bad side of the rest (beyond three
 * interquartile ranges from the quartile, or anywhere off a run of equal scores), the window
 * covers the others with a margin, so that one zero-init trial does not flatten every other point.
 * Null when nothing is far out (or there are too few trials to tell).
 */
export function scoreWindow(trials: ChartTrial[], goal: 'maximize' | 'minimize'): ScoreWindow | null {
  const scored = trials.filter((t) => t.value !== null && Number.isFinite(t.value));
  if (scored.length < 5) return null;
  const sorted = scored.map((t) => t.value!).sort((a, b) => a - b);
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  const far = (v: number) => (goal === 'maximize' ? v < q1 - 3 * iqr : v > q3 + 3 * iqr);
  const outliers = scored.filter((t) => far(t.value!));
  const inliers = scored.filter((t) => !far(t.value!)).map((t) => t.value!);
  if (outliers.length === 0 || outliers.length > scored.length / 4) return null;
  const a = Math.min(...inliers);
  const b = Math.max(...inliers);
  const pad = Math.max((b - a) * 0.08, Math.abs(b) * 1e-3, 1e-9);
  return { lo: a - pad, hi: b + pad, outliers };
}

/** The sentence a chart's caption gets about what its zoom leaves out. */
export function windowNote(w: ScoreWindow | null, metric: string, how: string): string {
  if (!w) return '';
  const list = w.outliers.slice(0, 3).map((t) => `trial ${t.number}: ${fmtScore(t.value!)}`).join(', ');
  const more = w.outliers.length > 3 ? `, and ${w.outliers.length - 3} more` : '';
  return ` Zoomed to ${fmtScore(w.lo)}–${fmtScore(w.hi)}: ${w.outliers.length} trial${w.outliers.length > 1 ? 's' : ''} far from the rest (${list}${more}) ${w.outliers.length > 1 ? 'are' : 'is'} off the ${metric} scale; ${how} to see ${w.outliers.length > 1 ? 'them' : 'it'}.`;
}

/** The score axis zoom: a slider (and shift + wheel inside the plot) starting at the window. */
export function scoreZoom(w: ScoreWindow | null, axis: 'x' | 'y', slider: boolean): Option[] {
  const index = axis === 'x' ? { xAxisIndex: 0 } : { yAxisIndex: 0 };
  const range = w ? { startValue: w.lo, endValue: w.hi } : { start: 0, end: 100 };
  const zooms: Option[] = [{ type: 'inside', ...index, filterMode: 'none', zoomOnMouseWheel: 'shift', moveOnMouseWheel: false, moveOnMouseMove: false, ...range }];
  if (slider) {
    const place = axis === 'y' ? { right: 6, width: 14, top: 40, bottom: 40 } : { bottom: 6, height: 14, left: 60, right: 30 };
    zooms.push({ type: 'slider', ...index, filterMode: 'none', ...place, showDetail: false, brushSelect: false, showDataShadow: false, ...range });
  }
  return zooms;
}
