/**
 * How a parameter's values are grouped and ordered in summaries (`report --by`): categories in the
 * order the spec lists them, numbers ascending, and a continuous parameter (more distinct values
 * than a table can show) in equal-width bins of its (log) range. Pure.
 */
import type { Distribution, ParamValue } from '../search/space.js';
import { formatValue } from './format.js';

/** A parameter with more distinct numeric values than this is binned. */
export const MAX_LEVELS = 8;
export const BINS = 5;

export interface Group {
  /** Identity of the group (JSON of the value, or the bin's index). */
  key: string;
  /** What a table shows: the value itself, or the bin as `[lo, hi)`. */
  label: string;
  /** The value of an unbinned group (null for a missing value); for a bin, its lower edge. */
  value: ParamValue;
  /** Position in the ordering. */
  order: number;
}

export type Grouper = (v: ParamValue | undefined) => Group;

/** Groups of `values` (the values trials took) of a parameter with distribution `dist` (when known). */
export function grouper(values: readonly (ParamValue | undefined)[], dist?: Distribution): Grouper {
  const present = values.filter((v): v is ParamValue => v !== undefined && v !== null);
  const numbers = present.filter((v): v is number => typeof v === 'number');
  const distinct = [...new Set(numbers)].sort((a, b) => a - b);
  const numeric = numbers.length === present.length && present.length > 0 && dist?.kind !== 'categorical';
  if (numeric && distinct.length > MAX_LEVELS) return binner(distinct, dist !== undefined && dist.log && distinct[0] > 0, dist?.kind === 'int');
  const keys = present.map((v) => JSON.stringify(v));
  const choices = dist?.kind === 'categorical' ? dist.choices.map((c) => JSON.stringify(c)) : [];
  const rank = (v: ParamValue): number => {
    if (numeric) return distinct.indexOf(v as number);
    const k = JSON.stringify(v);
    const i = choices.indexOf(k);
    return i >= 0 ? i : choices.length + keys.indexOf(k);
  };
  return (v) => {
    if (v === undefined || v === null) return { key: 'null', label: 'null', value: null, order: Infinity };
    return { key: JSON.stringify(v), label: formatValue(v), value: v, order: rank(v) };
  };
}

/** Equal-width bins over [min, max] (in log space for a log parameter; integer edges for an int). */
function binner(sorted: number[], log: boolean, int: boolean): Grouper {
  const t = (v: number) => (log ? Math.log(v) : v);
  const inv = (u: number) => (log ? Math.exp(u) : u);
  const lo = t(sorted[0]);
  const hi = t(sorted[sorted.length - 1]);
  let edges = Array.from({ length: BINS + 1 }, (_, i) => inv(lo + ((hi - lo) * i) / BINS));
  edges[0] = sorted[0];
  edges[BINS] = sorted[sorted.length - 1];
  if (int) edges = [...new Set(edges.map((e, i) => (i === 0 ? e : i === BINS ? e : Math.ceil(e))))];
  else edges = edges.map((e, i) => (i === 0 || i === edges.length - 1 ? e : Number(e.toPrecision(3))));
  const last = edges.length - 2;
  return (v) => {
    if (v === undefined || v === null || typeof v !== 'number') return { key: 'null', label: 'null', value: null, order: Infinity };
    let i = 0;
    while (i < last && v >= edges[i + 1]) i++;
    const label = `[${formatValue(edges[i])}, ${formatValue(edges[i + 1])}${i === last ? ']' : ')'}`;
    return { key: `bin${i}`, label, value: edges[i], order: i };
  };
}

/** The distinct groups of `values`, in order. */
export function orderedGroups(values: readonly (ParamValue | undefined)[], group: Grouper): Group[] {
  const byKey = new Map<string, Group>();
  for (const v of values) {
    const g = group(v);
    if (!byKey.has(g.key)) byKey.set(g.key, g);
  }
  return [...byKey.values()].sort((a, b) => a.order - b.order);
}
