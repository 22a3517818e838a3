/**
 * Intermediate values (optuna-dashboard's chart of the same name): every trial's value at each
 * step (an epoch: the mean over folds of its test-fold score), one line per trial; complete trials
 * in blue, pruned ones in grey ending in a red cross at the step where they were stopped.
 */
import { AXIS_NAME_STYLE, baseOption, grid, SCORE_LABELS, scoreZoom, TRIAL_COLOR, trialTip, windowNote, type ChartTrial, type Option, type ScoreWindow } from './common.js';

export interface TrialSteps {
  number: number;
  /** [step, value] in step order. */
  values: [number, number][];
}

const PRUNED_COLOR = '#9a9a9a';
const PRUNED_MARK = '#b33';

export function intermediateOption(trials: readonly ChartTrial[], steps: readonly TrialSteps[], metric: string, window: ScoreWindow | null): { option: Option; caption: string } {
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  const shown = steps.filter((s) => s.values.length > 0 && byNumber.has(s.number)).sort((a, b) => a.number - b.number);
  const finite = (v: number) => (Number.isFinite(v) ? v : '-');
  const maxStep = Math.max(1, ...shown.flatMap((s) => s.values.map(([step]) => step + 1)));
  const lines = shown.map((s) => {
    const t = byNumber.get(s.number)!;
    const pruned = t.state === 'pruned';
    const color = pruned ? PRUNED_COLOR : TRIAL_COLOR;
    return {
      name: pruned ? 'pruned' : 'complete',
      id: `trial-${s.number}`,
      type: 'line',
      showSymbol: false,
      clip: true,
      emphasis: { focus: 'series' },
      lineStyle: { color, width: pruned ? 1 : 1.5, opacity: pruned ? 0.8 : 0.9 },
      itemStyle: { color },
      data: s.values.map(([step, v]) => ({ value: [step + 1, finite(v)], tip: `${trialTip(t, metric)}<br>epoch ${step + 1}: ${Number.isFinite(v) ? v.toFixed(4) : v}` })),
    };
  });
  const ends = shown
    .filter((s) => byNumber.get(s.number)!.state === 'pruned')
    .map((s) => {
      const [step, v] = s.values[s.values.length - 1];
      return { value: [step + 1, finite(v)], tip: `${trialTip(byNumber.get(s.number)!, metric)}<br>pruned after epoch ${step + 1}` };
    });
  const hasPruned = ends.length > 0;
  const option: Option = {
    ...baseOption(),
    grid: grid({ right: 36, top: 40 }),
    legend: { top: 4, left: 'center', itemWidth: 18, data: ['complete', ...(hasPruned ? ['pruned'] : [])] },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 26, nameTextStyle: AXIS_NAME_STYLE, min: 1, max: maxStep, minInterval: 1, splitLine: { show: false } },
    yAxis: { type: 'value', name: metric, nameLocation: 'middle', nameGap: 48, nameTextStyle: AXIS_NAME_STYLE, scale: true, axisLabel: SCORE_LABELS },
    dataZoom: scoreZoom(window, 'y', true),
    series: [
      ...lines,
      ...(hasPruned
        ? [{ name: 'pruned', id: 'pruned-at', type: 'scatter', clip: true, symbol: 'path://M0,0L10,10M10,0L0,10', symbolSize: 8, z: 5, itemStyle: { color: PRUNED_MARK, borderColor: PRUNED_MARK, borderWidth: 2 }, data: ends }]
        : []),
    ],
  };
  const caption = `Each trial's ${metric} after every epoch, the mean over its folds of the test-fold value (what the pruner compares)${hasPruned ? `; grey lines are pruned trials, the cross where each was stopped` : ''}.${windowNote(window, metric, 'drag the slider at the right (or shift + wheel over the plot)')}`;
  return { option, caption };
}
