/**
 * Parameter importance as the share of the score variance each parameter explains on its own
 * (the correlation ratio eta^2 = between-group variance / total variance), with numeric parameters
 * grouped into quantile bins (in log space for log parameters), over the trials in which the
 * parameter was active. Normalized to sum to 1; nothing is ranked on fewer than MIN_TRIALS trials. A
 * cheap, transparent stand-in for fANOVA that needs no model; interactions are not attributed.
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
  // scores equal up to rounding: nothing to explain (0/0 would be noise)
  if (total <= 1e-12 * xs.length * Math.max(1, mean * mean)) return 0;
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

/** Complete trials needed before parameters are ranked (and per parameter, trials where it was active). */
export const MIN_TRIALS = 8;

export interface ParamImportance {
  name: string;
  /** Share of the explained variance, summing to 1 over the ranked parameters; null when not ranked. */
  importance: number | null;
  /** Complete trials in which the parameter was active (the ones its importance rests on). */
  trials: number;
}

export interface Importances {
  /** Complete trials of the study. */
  complete: number;
  /** Whether there were enough to rank anything (MIN_TRIALS). */
  ranked: boolean;
  /** Ranked parameters first, largest share first; then those active in too few trials. */
  params: ParamImportance[];
}

/**
 * Each parameter's share, computed only over the trials where `active` says it had an effect; a
 * parameter active in fewer than MIN_TRIALS trials is listed unranked, and with fewer than
 * MIN_TRIALS complete trials nothing is ranked.
 */
export function importances(rows: ImportanceInput[], space: { name: string; dist: Distribution }[], active: (name: string, params: Record<string, ParamValue>) => boolean = (n, p) => p[n] !== undefined): Importances {
  const per = space.map((p) => {
    const used = rows.filter((r) => active(p.name, r.params));
    return { name: p.name, trials: used.length, eta: used.length >= MIN_TRIALS ? etaSquared(used, p.name, p.dist) : null };
  });
  const ranked = rows.length >= MIN_TRIALS;
  const sum = per.reduce((a, r) => a + (r.eta ?? 0), 0);
  const params = per.map((r) => ({ name: r.name, trials: r.trials, importance: ranked && r.eta !== null ? (sum > 0 ? r.eta / sum : 0) : null }));
  params.sort((a, b) => (b.importance ?? -1) - (a.importance ?? -1));
  return { complete: rows.length, ranked, params };
}
