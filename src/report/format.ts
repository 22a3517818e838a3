/** Parameter values and configurations as reports print them: `1.235e-4`, `[64, 32]`, `{lr: 0.01, init: zero}`. Pure. */
import type { Params, ParamValue } from '../search/space.js';

export function formatValue(v: ParamValue | unknown): string {
  if (typeof v === 'number') {
    const abs = Math.abs(v);
    if (Number.isInteger(v) && abs < 1e6) return String(v);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(3).replace(/\.?0+e/, 'e') : String(Number(v.toPrecision(4)));
  }
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v === null) return 'null';
  return String(v);
}

export function formatParams(params: Params): string {
  return `{${Object.entries(params).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ')}}`;
}
