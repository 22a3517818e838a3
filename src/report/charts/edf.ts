/** Empirical distribution function of the trials' scores (optuna's EDF plot). */
import { AXIS_NAME_STYLE, baseOption, fmtScore, grid, SCORE_LABELS, scoreZoom, TRIAL_COLOR, windowNote, type ChartTrial, type Option, type ScoreWindow } from './common.js';

export function edfOption(trials: ChartTrial[], metric: string, window: ScoreWindow | null): { option: Option; caption: string } {
  const scored = trials.filter((t) => t.value !== null).sort((a, b) => a.value! - b.value!);
  const n = scored.length;
  const steps = scored.map((t, i) => ({ value: [t.value, (i + 1) / n], tip: `${fmtScore(t.value!)}: ${i + 1} of ${n} trials score at most this (trial ${t.number})` }));
  const first = scored.length ? [{ value: [scored[0].value, 0], tip: '' }] : [];
  const option: Option = {
    ...baseOption(),
    grid: grid({ top: 24, bottom: 40 }),
    xAxis: { type: 'value', name: metric, nameLocation: 'middle', nameGap: 26, nameTextStyle: AXIS_NAME_STYLE, scale: true, axisLabel: SCORE_LABELS },
    yAxis: { type: 'value', name: 'fraction of trials', nameLocation: 'middle', nameGap: 40, nameTextStyle: AXIS_NAME_STYLE, min: 0, max: 1 },
    dataZoom: scoreZoom(window, 'x', true),
    series: [{ name: 'EDF', type: 'line', step: 'end', clip: true, showSymbol: true, symbolSize: 5, lineStyle: { color: TRIAL_COLOR, width: 2 }, itemStyle: { color: TRIAL_COLOR }, data: [...first, ...steps] }],
  };
  const caption = `The share of complete trials that score at most each ${metric}: a curve that rises late means most trials did well.${windowNote(window, metric, 'drag the slider below')}`;
  return { option, caption };
}
