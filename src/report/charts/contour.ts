/**
 * Contour plot of two numeric parameters: the score smoothed over their plane (surface.ts) as
 * coloured cells with iso-lines, and the trials as points, on log axes for log ranges.
 */
import { baseOption, BEST_COLOR, FN, fmtScore, grid, paramAxis, SCORE_COLORS, trialTip, type ChartTrial, type Option, type ScoreWindow, type SpaceParam } from './common.js';
import { isoline, levels, smoothGrid } from './surface.js';

const SIZE = 24;
const LEVELS = 7;

type NumericParam = SpaceParam & { dist: { kind: 'float' | 'int'; low: number; high: number; log: boolean } };

export function isNumeric(p: SpaceParam): p is NumericParam {
  return p.dist.kind !== 'categorical' && p.dist.high > p.dist.low;
}

/** Position in [0, 1] along a numeric parameter's (log) range, and back. */
function unit(p: NumericParam): { to: (v: number) => number; from: (u: number) => number } {
  const { low, high, log } = p.dist;
  const t = (v: number) => (log ? Math.log(v) : v);
  const a = t(low);
  const b = t(high);
  return { to: (v) => (t(v) - a) / (b - a), from: (u) => short(log ? Math.exp(a + u * (b - a)) : a + u * (b - a)) };
}

/** Six significant digits: plenty for a pixel, and a third of the JSON. */
function short(v: number): number {
  return Number(v.toPrecision(6));
}

export function contourOption(px: NumericParam, py: NumericParam, trials: ChartTrial[], goal: 'maximize' | 'minimize', metric: string, window: ScoreWindow | null): Option {
  const ux = unit(px);
  const uy = unit(py);
  const points = trials.filter((t) => t.value !== null && typeof t.params[px.name] === 'number' && typeof t.params[py.name] === 'number');
  const clip = (v: number) => (window ? Math.min(window.hi, Math.max(window.lo, v)) : v);
  const z = smoothGrid(points.map((t) => ({ u: ux.to(t.params[px.name] as number), v: uy.to(t.params[py.name] as number), z: clip(t.value!) })), SIZE);
  const edge = (k: number) => k / SIZE;
  const cells: number[][] = [];
  for (let j = 0; j < SIZE; j++) for (let i = 0; i < SIZE; i++) cells.push([ux.from(edge(i)), uy.from(edge(j)), ux.from(edge(i + 1)), uy.from(edge(j + 1)), short(z[j * SIZE + i])]);
  const lines: (number[] | '-')[] = [];
  for (const level of levels(z, LEVELS)) for (const [u1, v1, u2, v2] of isoline(z, SIZE, level)) lines.push([ux.from(u1), uy.from(v1)], [ux.from(u2), uy.from(v2)], '-');
  let zmin = Infinity;
  let zmax = -Infinity;
  for (const v of z) {
    zmin = Math.min(zmin, v);
    zmax = Math.max(zmax, v);
  }
  const best = points.reduce<ChartTrial | null>((b, t) => (b === null || (goal === 'maximize' ? t.value! > b.value! : t.value! < b.value!) ? t : b), null);
  return {
    ...baseOption(),
    grid: grid({ right: 96, top: 24 }),
    xAxis: { ...paramAxis(px), splitLine: { show: false } },
    yAxis: { ...paramAxis(py), nameGap: 52, splitLine: { show: false } },
    visualMap: {
      type: 'continuous',
      seriesIndex: 0,
      dimension: 4,
      min: zmin,
      max: zmax > zmin ? zmax : zmin + 1e-9,
      precision: 4,
      calculable: false,
      hoverLink: false,
      textStyle: { lineHeight: 15 },
      right: 6,
      top: 'middle',
      itemHeight: 150,
      itemWidth: 14,
      text: scaleText(goal, zmin, zmax),
      textGap: 6,
      inRange: { color: goal === 'maximize' ? SCORE_COLORS : [...SCORE_COLORS].reverse() },
    },
    series: [
      { name: 'surface', type: 'custom', renderItem: FN.cell, silent: true, tooltip: { show: false }, encode: { x: [0, 2], y: [1, 3] }, data: cells, clip: true },
      { name: 'levels', type: 'line', silent: true, tooltip: { show: false }, showSymbol: false, connectNulls: false, lineStyle: { color: 'rgba(0,0,0,0.35)', width: 1 }, data: lines, clip: true },
      {
        name: 'trials',
        type: 'scatter',
        symbolSize: 8,
        itemStyle: { color: '#fff', borderColor: '#222', borderWidth: 1.2 },
        data: points.map((t) => ({
          value: [t.params[px.name], t.params[py.name]],
          tip: trialTip(t, metric),
          ...(t === best ? { symbolSize: 12, itemStyle: { color: BEST_COLOR, borderColor: '#fff', borderWidth: 1.5 } } : {}),
        })),
      },
    ],
  };
}

/** The ends of a colour scale: the value at each, and which is better. */
export function scaleText(goal: 'maximize' | 'minimize', lo: number, hi: number): [string, string] {
  return [`${fmtScore(hi)}\n${goal === 'maximize' ? 'best' : 'worst'}`, `${goal === 'maximize' ? 'worst' : 'best'}\n${fmtScore(lo)}`];
}

/** Pairs of numeric parameters to offer, the most important first (at most `limit`). */
export function contourPairs(space: SpaceParam[], rank: (name: string) => number, limit = 6): [NumericParam, NumericParam][] {
  const numeric = space.filter(isNumeric).sort((a, b) => rank(a.name) - rank(b.name));
  const pairs: [NumericParam, NumericParam][] = [];
  for (let i = 0; i < numeric.length; i++) for (let j = i + 1; j < numeric.length; j++) pairs.push([numeric[i], numeric[j]]);
  return pairs.slice(0, limit);
}

export function contourCaption(metric: string, trials: number, window: ScoreWindow | null): string {
  return `${metric} over two parameters: the ${trials} complete trials (points; red is the best) smoothed over the plane, with iso-lines${window ? `; the scores of trials far from the rest count as the nearest end of ${fmtScore(window.lo)}–${fmtScore(window.hi)}` : ''}. Pick another pair above the plot.`;
}
