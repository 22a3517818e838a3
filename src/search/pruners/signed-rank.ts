/**
 * scipy.stats.wilcoxon (scipy 1.10, the one-sample form on differences d) for the alternatives
 * 'less' and 'greater': ranks of |d| (ties averaged), r_plus the sum of the positive ranks (zeros'
 * ranks split in half with zero_method 'zsplit'); p from the exact null distribution when n <= 50 and
 * no difference is zero (r_plus truncated to an integer, as scipy does with ties), else from the
 * normal approximation with the tie correction and no continuity correction.
 */
import { normCdf } from '../gp/special.js';

export type Alternative = 'less' | 'greater';
export type ZeroMethod = 'wilcox' | 'zsplit';

/** scipy.stats.rankdata (method 'average'), 1-based. */
export function rankAverage(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = r;
    i = j + 1;
  }
  return ranks;
}

/** scipy's _get_wilcoxon_distr: the null pmf of r_plus for n pairs (index = r_plus). */
export function signedRankPmf(n: number): Float64Array {
  let c = new Float64Array([1]);
  for (let k = 1; k <= n; k++) {
    const prev = c;
    c = new Float64Array((k * (k + 1)) / 2 + 1);
    const m = prev.length;
    for (let i = 0; i < m; i++) c[i] = prev[i] * 0.5;
    for (let i = 0; i < m; i++) c[c.length - m + i] += prev[i] * 0.5;
  }
  return c;
}

export interface SignedRankResult {
  statistic: number;
  pvalue: number;
  method: 'exact' | 'approx';
}

export function wilcoxonSignedRank(d0: readonly number[], alternative: Alternative, zeroMethod: ZeroMethod = 'wilcox'): SignedRankResult {
  if (d0.length === 0) return { statistic: NaN, pvalue: NaN, method: 'exact' };
  let method: 'exact' | 'approx' = d0.length <= 50 ? 'exact' : 'approx';
  const nZero = d0.filter((x) => x === 0).length;
  if (nZero > 0) method = 'approx';
  let d = [...d0];
  if (method === 'approx' && zeroMethod === 'wilcox') {
    if (nZero === d.length) throw new Error("zero_method 'wilcox' does not work if every difference is zero");
    d = d.filter((x) => x !== 0);
  }
  const count = d.length;
  const r = rankAverage(d.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  let rZero = 0;
  for (let i = 0; i < count; i++) {
    if (d[i] > 0) rPlus += r[i];
    else if (d[i] < 0) rMinus += r[i];
    else rZero += r[i];
  }
  if (zeroMethod === 'zsplit') {
    rPlus += rZero / 2;
    rMinus += rZero / 2;
  }
  const T = rPlus;
  if (method === 'approx') {
    const mn = count * (count + 1) * 0.25;
    let se = count * (count + 1) * (2 * count + 1);
    const groups = new Map<number, number>();
    for (const x of r) groups.set(x, (groups.get(x) ?? 0) + 1);
    for (const t of groups.values()) if (t > 1) se -= 0.5 * t * (t * t - 1);
    se = Math.sqrt(se / 24);
    const z = (T - mn) / se;
    return { statistic: T, pvalue: alternative === 'greater' ? normCdf(-z) : normCdf(z), method };
  }
  const pmf = signedRankPmf(count);
  const k = Math.trunc(rPlus);
  let p = 0;
  if (alternative === 'greater') for (let i = k; i < pmf.length; i++) p += pmf[i];
  else for (let i = 0; i <= Math.min(k, pmf.length - 1); i++) p += pmf[i];
  return { statistic: T, pvalue: Math.min(1, Math.max(0, p)), method };
}
