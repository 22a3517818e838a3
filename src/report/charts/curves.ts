/** Learning curves of one trial: training loss (solid) and validation or test-fold loss (dashed) per fold. */
import { AXIS_NAME_STYLE, baseOption, FN, grid, PALETTE, type Option } from './common.js';

export interface CurveFold {
  fold: number;
  epochs: { epoch: number; loss: number; valLoss: number | null; testLoss: number }[];
}

export function curvesOption(folds: CurveFold[]): { option: Option; hasValidation: boolean } {
  const hasValidation = folds.some((fd) => fd.epochs.some((e) => e.valLoss !== null));
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : '-');
  const maxEpoch = Math.max(1, ...folds.flatMap((fd) => fd.epochs.map((e) => e.epoch + 1)));
  const series = folds.flatMap((fd) => {
    const color = PALETTE[fd.fold % PALETTE.length];
    const name = `fold ${fd.fold}`;
    const base = { name, type: 'line', showSymbol: false, clip: true, itemStyle: { color } };
    const other = hasValidation ? 'validation' : 'test fold';
    const point = (e: CurveFold['epochs'][number], v: number | null, what: string) => ({ value: [e.epoch + 1, finite(v)], tip: `${name}, epoch ${e.epoch + 1}: ${what} loss ${v === null ? '-' : v.toPrecision(4)}` });
    return [
      { ...base, id: `train-${fd.fold}`, lineStyle: { color, width: 2 }, data: fd.epochs.map((e) => point(e, e.loss, 'training')) },
      { ...base, id: `other-${fd.fold}`, lineStyle: { color, width: 2, type: hasValidation ? 'dashed' : 'dotted' }, data: fd.epochs.map((e) => point(e, hasValidation ? e.valLoss : e.testLoss, other)) },
    ];
  });
  const option: Option = {
    ...baseOption(),
    tooltip: { trigger: 'axis', confine: true, formatter: FN.axisTip, textStyle: { fontSize: 12 } },
    grid: grid({ top: 34 }),
    legend: { top: 4, left: 'center', itemWidth: 18, data: folds.map((fd) => `fold ${fd.fold}`) },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 26, nameTextStyle: AXIS_NAME_STYLE, min: 1, max: maxEpoch, minInterval: 1, splitLine: { show: false } },
    yAxis: { type: 'value', name: 'loss', nameLocation: 'middle', nameGap: 44, nameTextStyle: AXIS_NAME_STYLE, scale: true, axisLabel: { hideOverlap: true } },
    series,
  };
  return { option, hasValidation };
}
