/** Parameter importance as horizontal bars, each saying how many trials it rests on. */
import type { Importances } from '../importance.js';
import { baseOption, grid, type Option } from './common.js';

export function importanceOption(imp: Importances): Option {
  const ranked = imp.params.filter((p) => p.importance !== null);
  return {
    ...baseOption(),
    grid: grid({ left: 12, right: 110, top: 12, bottom: 12 }),
    xAxis: { type: 'value', min: 0, max: 1, interval: 0.25, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'category', inverse: true, data: ranked.map((p) => p.name), axisLabel: { width: 120, overflow: 'break', fontWeight: 600 } },
    series: [
      {
        name: 'importance',
        type: 'bar',
        barMaxWidth: 22,
        itemStyle: { color: '#59a14f' },
        label: { show: true, position: 'right' },
        data: ranked.map((p) => ({
          value: p.importance,
          label: { formatter: `${p.importance!.toFixed(2)} · ${p.trials} trials` },
          tip: `<b>${p.name}</b>: ${p.importance!.toFixed(3)} of the explained variance, over the ${p.trials} complete trials where it was active`,
        })),
      },
    ],
  };
}
