/**
 * Parameter importance as the share of the score variance each parameter explains on its own
 * (the correlation ratio eta^2 = between-group variance / total variance), with numeric parameters
 * grouped into quantile bins (in log space for log parameters). Normalized to sum to 1. A cheap,
 * transparent stand-in for fANOVA that needs no model; interactions are not attributed.
 */
import type { Distribution, ParamValue } from '../search/space.js';

export interface ImportanceInput {
  params: Record<string, ParamValue>;
  value: number;
}

/** Group key of a value: the category itself, or a quantile bin of the (log) value. */
function grouper(dist: Distribution, values: ParamValue[], bins: number): (v: ParamValue) => string {
  if (dist.kind === 'categorical') return (v) => JSON.stringify(v);
  const t = (v: ParamValue) => (dist.log ? Math.log(v as number) : (v as number));
  const sorted = values.map(t).sort((a, b) => a - b);
  const edges = Array.from({ length: bins - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / bins)]);
  return (v) => String(edges.filter((e) => t(v) >= e).length);
}

export function etaSquared(rows: ImportanceInput[], name: string, dist: Distribution, bins = 4): number {
  const xs = rows.filter((r) => r.params[name] !== undefined);
  if (xs.length < 3) return 0;
  const mean = xs.reduce((a, r) => a + r.value, 0) / xs.length;
  const total = xs.reduce((a, r) => a + (r.value - mean) ** 2, 0);
  if (total === 0) return 0;
  const key = grouper(dist, xs.map((r) => r.params[name]), Math.min(bins, Math.max(2, Math.floor(xs.length / 3))));
  const groups = new Map<string, number[]>();
  for (const r of xs) {
    const k = key(r.params[name]);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r.value);
  }
  let between = 0;
  for (const g of groups.values()) {
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    between += g.length * (m - mean) ** 2;
  }
  return between / total;
}

export function importances(rows: ImportanceInput[], space: { name: string; dist: Distribution }[]): { name: string; importance: number }[] {
  const raw = space.map((p) => ({ name: p.name, importance: etaSquared(rows, p.name, p.dist) }));
  const sum = raw.reduce((a, r) => a + r.importance, 0);
  return raw.map((r) => ({ name: r.name, importance: sum > 0 ? r.importance / sum : 0 }));
}
