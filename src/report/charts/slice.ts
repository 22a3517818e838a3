/** Slice plots: the score against one parameter, each trial's mean with its folds' range. */
import { AXIS_NAME_STYLE, axisValue, baseOption, FN, grid, paramAxis, SCORE_LABELS, scoreZoom, TRIAL_COLOR, trialTip, type ChartTrial, type Option, type ScoreWindow, type SpaceParam } from './common.js';

/** Spreads trials that share a category sideways (px), deterministic by trial number. */
function jitter(p: SpaceParam, t: ChartTrial): number {
  return p.dist.kind === 'categorical' ? (((t.number * 37) % 11) - 5) * 1.6 : 0;
}

export function sliceOption(p: SpaceParam, trials: ChartTrial[], metric: string, window: ScoreWindow | null): { option: Option; caption: string } {
  const points = trials.filter((t) => t.value !== null && axisValue(p, t.params[p.name]) !== null);
  const option: Option = {
    ...baseOption(),
    grid: grid({ top: 24, right: 16 }),
    xAxis: { ...paramAxis(p), splitLine: { show: false } },
    yAxis: { type: 'value', name: metric, nameLocation: 'middle', nameGap: 44, nameTextStyle: AXIS_NAME_STYLE, scale: true, axisLabel: SCORE_LABELS },
    dataZoom: scoreZoom(window, 'y', false),
    series: [
      {
        name: p.name,
        type: 'custom',
        clip: true,
        renderItem: FN.slicePoint,
        itemStyle: { color: TRIAL_COLOR },
        encode: { x: 0, y: [1, 2, 3] },
        data: points.map((t) => {
          const lo = t.folds.length ? Math.min(...t.folds) : t.value!;
          const hi = t.folds.length ? Math.max(...t.folds) : t.value!;
          return { value: [axisValue(p, t.params[p.name]), t.value, lo, hi, jitter(p, t)], tip: trialTip(t, metric) };
        }),
      },
    ],
  };
  const caption = `${metric} against ${p.name}${p.dist.kind !== 'categorical' && p.dist.log ? ' (log axis)' : ''}: each trial's mean, with a bar over its folds' scores.${window ? ` Zoomed like the history (shift + wheel to zoom).` : ''}`;
  return { option, caption };
}
