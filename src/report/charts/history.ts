/** Optimization history: every trial's mean score in trial order, the best so far, pruned and failed trials. */
import { AXIS_NAME_STYLE, baseOption, BEST_COLOR, grid, SCORE_LABELS, scoreZoom, TRIAL_COLOR, trialTip, windowNote, type ChartTrial, type Option, type ScoreWindow } from './common.js';

/** Every complete trial as a point, the best-so-far step line, failed trials as crosses at the bottom. */
export function historyOption(trials: ChartTrial[], goal: 'maximize' | 'minimize', metric: string, window: ScoreWindow | null): { option: Option; caption: string } {
  const sorted = [...trials].sort((a, b) => a.number - b.number);
  const complete = sorted.filter((t) => t.value !== null);
  const failed = sorted.filter((t) => t.state === 'fail');
  const pruned = sorted.filter((t) => t.state === 'pruned' && t.reached != null && Number.isFinite(t.reached));
  let best: ChartTrial | null = null;
  const steps: [number, number][] = [];
  for (const t of complete) {
    if (best === null || (goal === 'maximize' ? t.value! > best.value! : t.value! < best.value!)) best = t;
    steps.push([t.number, best.value!]);
  }
  const lastNumber = Math.max(0, ...sorted.map((t) => t.number));
  if (steps.length) steps.push([lastNumber, steps[steps.length - 1][1]]);
  const floor = window ? window.lo : complete.length ? Math.min(...complete.map((t) => t.value!)) : 0;
  const option: Option = {
    ...baseOption(),
    grid: grid({ right: 36, top: 40 }),
    legend: { top: 4, left: 'center', itemWidth: 18, data: ['trial', 'best so far', ...(pruned.length ? ['pruned'] : []), ...(failed.length ? ['failed'] : [])] },
    xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 26, nameTextStyle: AXIS_NAME_STYLE, min: 0, max: Math.max(1, lastNumber), minInterval: 1, axisLabel: { hideOverlap: true }, splitLine: { show: false } },
    yAxis: { type: 'value', name: metric, nameLocation: 'middle', nameGap: 48, nameTextStyle: AXIS_NAME_STYLE, scale: true, axisLabel: SCORE_LABELS },
    dataZoom: scoreZoom(window, 'y', true),
    series: [
      {
        name: 'trial',
        type: 'scatter',
        clip: true,
        symbolSize: 9,
        itemStyle: { color: TRIAL_COLOR, opacity: 0.85 },
        data: complete.map((t) => ({ value: [t.number, t.value], tip: trialTip(t, metric), ...(t === best ? { symbolSize: 13, itemStyle: { color: BEST_COLOR, borderColor: '#fff', borderWidth: 1 } } : {}) })),
      },
      ...(pruned.length
        ? [{ name: 'pruned', type: 'scatter', clip: true, symbol: 'triangle', symbolRotate: 180, symbolSize: 8, itemStyle: { color: '#9a9a9a', opacity: 0.85 }, data: pruned.map((t) => ({ value: [t.number, t.reached], tip: trialTip(t, metric) })) }]
        : []),
      { name: 'best so far', type: 'line', step: 'end', clip: true, showSymbol: false, silent: true, tooltip: { show: false }, lineStyle: { color: BEST_COLOR, width: 2 }, itemStyle: { color: BEST_COLOR }, data: steps },
      ...(failed.length
        ? [{ name: 'failed', type: 'scatter', clip: false, symbol: 'path://M0,0L10,10M10,0L0,10', symbolSize: 9, itemStyle: { color: '#b33', borderColor: '#b33', borderWidth: 2 }, data: failed.map((t) => ({ value: [t.number, floor], tip: trialTip(t, metric) })) }]
        : []),
    ],
  };
  const caption = `Each trial's mean ${metric} (hover for its parameters); the line is the best so far (${goal}).${pruned.length ? ' Grey triangles are pruned trials, at the value they reached when stopped.' : ''}${failed.length ? ` Crosses at the bottom are failed trials.` : ''}${windowNote(window, metric, 'drag the slider at the right (or shift + wheel over the plot)')}`;
  return { option, caption };
}
