/**
 * Parallel coordinates: one axis per parameter (log axes for log ranges, categories for choices)
 * and one for the score; one line per complete trial, coloured by its score on a visible scale.
 */
import { formatValue } from '../format.js';
import { scaleText } from './contour.js';
import { AXIS_NAME_STYLE, axisValue, baseOption, fmtScore, SCORE_COLORS, SCORE_LABELS, trialTip, windowNote, type ChartTrial, type Option, type ScoreWindow, type SpaceParam } from './common.js';

/** Tick labels drawn over the lines stay legible. */
const LABEL = { hideOverlap: true, textBorderColor: '#fff', textBorderWidth: 3 };

export function parallelOption(space: SpaceParam[], trials: ChartTrial[], goal: 'maximize' | 'minimize', metric: string, window: ScoreWindow | null): { option: Option; caption: string } {
  const complete = trials.filter((t) => t.value !== null);
  const values = complete.map((t) => t.value!);
  const lo = window ? window.lo : Math.min(...values);
  const hi = window ? window.hi : Math.max(...values);
  const pad = hi > lo ? 0 : Math.abs(hi) * 0.01 || 0.01;
  const axes: Option[] = space.map((p, dim) => {
    const d = p.dist;
    const common = { dim, name: p.name, nameLocation: 'end', nameGap: 12, nameTextStyle: AXIS_NAME_STYLE, axisLabel: { ...LABEL, width: 90, overflow: 'break' } };
    if (d.kind === 'categorical') return { ...common, type: 'category', data: d.choices.map((c) => formatValue(c)) };
    return { ...common, type: d.log ? 'log' : 'value', min: d.low, max: d.high };
  });
  axes.push({ dim: space.length, name: metric, nameLocation: 'end', nameGap: 12, nameTextStyle: AXIS_NAME_STYLE, type: 'value', min: lo - pad, max: hi + pad, axisLabel: { ...LABEL, ...SCORE_LABELS } });
  const clamp = (v: number) => Math.min(hi + pad, Math.max(lo - pad, v));
  // the best lines last, so that they are drawn on top
  const order = [...complete].sort((a, b) => (goal === 'maximize' ? a.value! - b.value! : b.value! - a.value!));
  const option: Option = {
    ...baseOption(),
    parallel: { left: Math.max(40, 12 + (space[0]?.name.length ?? 0) * 3.8), right: 150, top: 44, bottom: 28, layout: 'horizontal', parallelAxisDefault: { axisLine: { lineStyle: { color: '#555' } } } },
    parallelAxis: axes,
    visualMap: {
      type: 'continuous',
      dimension: space.length,
      min: lo - pad,
      max: hi + pad,
      precision: 4,
      calculable: false,
      hoverLink: false,
      textStyle: { lineHeight: 15 },
      right: 8,
      top: 'middle',
      itemHeight: 150,
      itemWidth: 14,
      text: scaleText(goal, lo - pad, hi + pad),
      textGap: 6,
      inRange: { color: goal === 'maximize' ? SCORE_COLORS : [...SCORE_COLORS].reverse() },
    },
    series: [
      {
        name: 'trials',
        type: 'parallel',
        smooth: false,
        lineStyle: { width: 2, opacity: 0.85 },
        emphasis: { lineStyle: { width: 4, opacity: 1 } },
        inactiveOpacity: 0.05,
        data: order.map((t) => ({
          value: [...space.map((p) => axisValue(p, t.params[p.name])), clamp(t.value!)],
          tip: trialTip(t, metric),
          ...(window?.outliers.includes(t) ? { lineStyle: { type: 'dashed' } } : {}),
        })),
      },
    ],
  };
  const caption = `One line per complete trial, coloured by its ${metric} (see the colour scale; drag along an axis to pick out the trials that pass through a range, hover a line for its trial).${windowNote(window, metric, `their dashed lines end at the ${metric} axis's ${goal === 'maximize' ? 'bottom' : 'top'}, hover them`)} Range ${fmtScore(lo)} to ${fmtScore(hi)}.`;
  return { option, caption };
}
