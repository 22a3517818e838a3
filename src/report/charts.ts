/**
 * The report's charts as SVG strings: optimization history, parallel coordinates, slice plots with
 * fold spread, learning curves, parameter importance. Pure: plain data in, markup out.
 */
import type { Distribution, ParamValue } from '../search/space.js';
import { formatValue } from './render.js';
import { dot, esc, frame, legend, linearScale, logScale, PALETTE, polyline, ramp, svgOpen, tickLabel, xAxis, yAxis, type Scale } from './svg.js';

export interface ScoredTrial {
  number: number;
  params: Record<string, ParamValue>;
  /** Mean CV score; null when the trial failed. */
  value: number | null;
  /** Per-fold scores of complete trials. */
  folds: number[];
}

function extent(xs: number[]): [number, number] {
  return [Math.min(...xs), Math.max(...xs)];
}

/** Scores of every trial in order, and the best so far as a step line. */
export function historyChart(trials: ScoredTrial[], goal: 'maximize' | 'minimize', metric: string): string {
  const f = frame(640, 300);
  const ok = trials.filter((t) => t.value !== null);
  const x = linearScale([0, Math.max(1, ...trials.map((t) => t.number))], [f.left, f.width - f.right]);
  const y = linearScale(ok.length ? extent(ok.map((t) => t.value!)) : [0, 1], [f.height - f.bottom, f.top]);
  let best: number | null = null;
  const steps: [number, number][] = [];
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    if (t.value === null) continue;
    if (best === null || (goal === 'maximize' ? t.value > best : t.value < best)) {
      if (best !== null) steps.push([x(t.number), y(best)]);
      best = t.value;
    }
    steps.push([x(t.number), y(best)]);
  }
  const points = trials.map((t) =>
    t.value === null
      ? `<text class="failed" x="${x(t.number).toFixed(1)}" y="${(f.height - f.bottom - 4).toFixed(1)}" text-anchor="middle" fill="#e15759">×<title>trial ${t.number}: failed</title></text>`
      : dot(x(t.number), y(t.value), '#4e79a7', 3.5, `trial ${t.number}: ${t.value.toFixed(4)}`),
  );
  return [
    svgOpen(f, 'optimization history'),
    yAxis(f, y, metric),
    xAxis(f, x, 'trial'),
    polyline(steps, '#e15759', { width: 2, cls: 'best-line' }),
    ...points,
    legend(f, [{ label: `best so far (${goal})`, color: '#e15759' }]),
    '</svg>',
  ].join('');
}

/** One vertical axis per parameter and one for the score; one line per complete trial. */
export function parallelCoordinates(space: { name: string; dist: Distribution }[], trials: ScoredTrial[], goal: 'maximize' | 'minimize', metric: string): string {
  const ok = trials.filter((t) => t.value !== null);
  const axes = [...space.map((p) => p.name), metric];
  const f = frame(Math.max(480, 150 * axes.length), 340, 40, 40, 30, 60);
  const xs = axes.map((_, i) => f.left + (i * (f.width - f.left - f.right)) / Math.max(1, axes.length - 1));
  const top = f.top;
  const bottom = f.height - f.bottom;
  const scales: ((v: ParamValue) => number)[] = space.map((p) => {
    const d = p.dist;
    if (d.kind === 'categorical') {
      const keys = d.choices.map((c) => JSON.stringify(c));
      return (v) => bottom - ((keys.indexOf(JSON.stringify(v)) + 0.5) / keys.length) * (bottom - top);
    }
    const s = d.log ? logScale([d.low, d.high], [bottom, top]) : linearScale([d.low, d.high], [bottom, top]);
    return (v) => s(v as number);
  });
  const vals = ok.map((t) => t.value!);
  const [lo, hi] = vals.length ? extent(vals) : [0, 1];
  const scoreScale = linearScale([lo, hi], [bottom, top]);
  const quality = (v: number) => (hi > lo ? (goal === 'maximize' ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo)) : 1);
  const lines = [...ok]
    .sort((a, b) => quality(a.value!) - quality(b.value!))
    .map((t) => polyline([...space.map((p, i) => [xs[i], scales[i](t.params[p.name])] as [number, number]), [xs[axes.length - 1], scoreScale(t.value!)]], ramp(quality(t.value!)), { width: 1.6, cls: 'trial-line' }));
  const axisMarks = space.map((p, i) => {
    const d = p.dist;
    const labels =
      d.kind === 'categorical'
        ? d.choices.map((c) => ({ y: scales[i](c), text: formatValue(c) }))
        : (d.log ? logScale([d.low, d.high], [bottom, top]) : linearScale([d.low, d.high], [bottom, top])).ticks.map((t) => ({ y: scales[i](t), text: tickLabel(t) }));
    return axisAt(xs[i], top, bottom, p.name, labels);
  });
  axisMarks.push(axisAt(xs[axes.length - 1], top, bottom, metric, scoreScale.ticks.map((t) => ({ y: scoreScale(t), text: tickLabel(t) }))));
  return [svgOpen(f, 'parallel coordinates'), ...lines, ...axisMarks, '</svg>'].join('');
}

function axisAt(x: number, top: number, bottom: number, title: string, labels: { y: number; text: string }[]): string {
  const ticks = labels.map((l) => `<g transform="translate(${x.toFixed(1)},${l.y.toFixed(1)})"><line x2="-4" stroke="#333"/><text x="-6" dy="3.5" text-anchor="end" fill="#333" paint-order="stroke" stroke="#fff" stroke-width="3">${esc(l.text)}</text></g>`).join('');
  return `<g class="pc-axis"><line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#333"/>${ticks}<text x="${x.toFixed(1)}" y="${top - 10}" text-anchor="middle" font-weight="600" fill="#111">${esc(title)}</text></g>`;
}

/** Score against one parameter: the mean of each trial with its folds' range as an error bar. */
export function sliceChart(param: { name: string; dist: Distribution }, trials: ScoredTrial[], metric: string): string {
  const f = frame(320, 240);
  const ok = trials.filter((t) => t.value !== null && t.params[param.name] !== undefined);
  const all = ok.flatMap((t) => [t.value!, ...t.folds]);
  const y = linearScale(all.length ? extent(all) : [0, 1], [f.height - f.bottom, f.top]);
  const d = param.dist;
  let x: (v: ParamValue) => number;
  let axis: string;
  if (d.kind === 'categorical') {
    const keys = d.choices.map((c) => JSON.stringify(c));
    const width = (f.width - f.left - f.right) / keys.length;
    x = (v) => f.left + width * (keys.indexOf(JSON.stringify(v)) + 0.5);
    const s = Object.assign((i: number) => f.left + width * (i + 0.5), { ticks: keys.map((_, i) => i) }) as Scale;
    axis = xAxis(f, s, param.name, (i) => formatValue(d.choices[i]));
  } else {
    const s = d.log ? logScale([d.low, d.high], [f.left, f.width - f.right]) : linearScale([d.low, d.high], [f.left, f.width - f.right]);
    x = (v) => s(v as number);
    axis = xAxis(f, s, param.name);
  }
  // categorical values get a little jitter so repeated trials stay visible
  const jitter = (t: ScoredTrial) => (d.kind === 'categorical' ? ((t.number * 37) % 11) - 5 : 0);
  const bars = ok.map((t) => {
    const cx = x(t.params[param.name]) + jitter(t);
    const [lo, hi] = t.folds.length ? extent(t.folds) : [t.value!, t.value!];
    return `<g class="slice-point"><line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(lo).toFixed(1)}" y2="${y(hi).toFixed(1)}" stroke="#4e79a7" stroke-opacity="0.6" stroke-width="2"/>${dot(cx, y(t.value!), '#4e79a7', 3.5, `trial ${t.number}: ${t.value!.toFixed(4)} (folds ${t.folds.map((v) => v.toFixed(3)).join(', ')})`)}</g>`;
  });
  return [svgOpen(f, `slice ${param.name}`), yAxis(f, y, metric), axis, ...bars, '</svg>'].join('');
}

export interface CurveFold {
  fold: number;
  epochs: { epoch: number; loss: number; valLoss: number | null; testLoss: number }[];
}

/** Training loss (solid) and validation loss (dashed; the test fold, dotted, when no validation split) per fold. */
export function learningCurves(title: string, folds: CurveFold[]): string {
  const f = frame(420, 260);
  const series = folds.flatMap((fd) => fd.epochs.flatMap((e) => [e.loss, e.valLoss ?? e.testLoss]).filter((v) => Number.isFinite(v)));
  const maxEpoch = Math.max(1, ...folds.flatMap((fd) => fd.epochs.map((e) => e.epoch + 1)));
  const x = linearScale([1, maxEpoch], [f.left, f.width - f.right]);
  const y = linearScale(series.length ? extent(series) : [0, 1], [f.height - f.bottom, f.top + 14]);
  const hasVal = folds.some((fd) => fd.epochs.some((e) => e.valLoss !== null));
  const lines = folds.flatMap((fd) => {
    const color = PALETTE[fd.fold % PALETTE.length];
    const finite = (pts: [number, number][]) => pts.filter(([, v]) => Number.isFinite(v));
    const train = finite(fd.epochs.map((e) => [x(e.epoch + 1), y(e.loss)]));
    const other = finite(fd.epochs.map((e) => [x(e.epoch + 1), y(hasVal ? (e.valLoss ?? NaN) : e.testLoss)]));
    return [polyline(train, color, { cls: 'curve-train' }), polyline(other, color, { dash: hasVal ? '5 3' : '2 2', cls: 'curve-val' })];
  });
  return [
    svgOpen(f, title),
    yAxis(f, y, 'loss'),
    xAxis(f, x, 'epoch'),
    ...lines,
    legend(f, [
      { label: 'train', color: '#555' },
      { label: hasVal ? 'validation' : 'test fold', color: '#555', dash: hasVal ? '5 3' : '2 2' },
    ]),
    '</svg>',
  ].join('');
}

/** Horizontal bars, largest first. */
export function importanceChart(items: { name: string; importance: number }[]): string {
  const sorted = [...items].sort((a, b) => b.importance - a.importance);
  const f = frame(520, 40 + 28 * Math.max(1, sorted.length), 130, 34, 10, 50);
  const x = linearScale([0, Math.max(1e-9, ...sorted.map((s) => s.importance))], [f.left, f.width - f.right]);
  const bars = sorted.map((s, i) => {
    const yTop = f.top + 6 + i * 28;
    return `<g class="bar"><rect x="${f.left}" y="${yTop}" width="${Math.max(0, x(s.importance) - f.left).toFixed(1)}" height="18" fill="#59a14f"><title>${esc(s.name)}: ${s.importance.toFixed(3)}</title></rect><text x="${f.left - 6}" y="${yTop + 13}" text-anchor="end" fill="#111">${esc(s.name)}</text><text x="${(x(s.importance) + 4).toFixed(1)}" y="${yTop + 13}" fill="#333">${s.importance.toFixed(2)}</text></g>`;
  });
  return [svgOpen(f, 'parameter importance'), xAxis(f, x, 'share of score variance explained'), ...bars, '</svg>'].join('');
}
