/** Terminal sparklines: a series as a row of block characters, lowest to highest. Pure. */
const BLOCKS = '▁▂▃▄▅▆▇█';

export function sparkline(values: number[], lo?: number, hi?: number): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const min = lo ?? Math.min(...finite);
  const max = hi ?? Math.max(...finite);
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return '×';
      const t = max > min ? (v - min) / (max - min) : 0.5;
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.round(t * (BLOCKS.length - 1))))];
    })
    .join('');
}
