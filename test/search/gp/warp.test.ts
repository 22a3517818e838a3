import { describe, expect, it } from 'vitest';
import { fitYeoJohnson, warpScores, yeoJohnson } from '../../../src/search/gp/warp.js';

/**
 * Expected values from SciPy 1.10 (Debian's python3-scipy):
 *   /usr/bin/python3 -c "from scipy import stats; import numpy as np; print(stats.yeojohnson(np.array(x, dtype=float)))"
 */
const CASES: { x: number[]; lambda: number; t: number[] }[] = [
  {
    x: [0.1, 0.5, -0.3, 2.0, -1.2, 0.05, 3.5, -0.7, 0.9, 0.0],
    lambda: 0.32214539813476023,
    t: [0.096788459879, 0.433137386261, -0.329606573219, 1.318134880638, -1.641594071642, 0.049175611305, 1.935195865579, -0.855796346761, 0.713032216771, 0.0],
  },
  {
    x: [-5.0, -0.2, -0.1, 0.0, 0.1, 0.15, 0.2, 0.22, 0.3, 0.31, 0.33],
    lambda: 3.9697282642616885,
    t: [-0.492795870973, -0.153174523524, -0.086898184066, 0.0, 0.115847188873, 0.186819367104, 0.267571697948, 0.302801399813, 0.46187193188, 0.483918348978, 0.529535284486],
  },
  {
    x: [1, 2, 3, 4, 5, 6, 7, 8, 30],
    lambda: -0.3516063037579916,
    t: [0.615145330031, 0.911300805902, 1.097241506683, 1.229058242563, 1.32934181801, 1.409256442038, 1.475065595065, 1.53060342048, 1.993792045062],
  },
];

describe('Yeo-Johnson output warping', () => {
  it.each(CASES)('finds the maximum-likelihood exponent and transforms as SciPy does (lambda $lambda)', ({ x, lambda, t }) => {
    const l = fitYeoJohnson(Float64Array.from(x));
    expect(l).toBeCloseTo(lambda, 5);
    x.forEach((v, i) => expect(yeoJohnson(v, lambda)).toBeCloseTo(t[i], 10));
  });

  it('keeps the order of the scores, standardizes them, and pulls in a far outlier', () => {
    const y = [-0.05, -0.049, -0.051, -0.052, -0.048, -0.887, -0.0495, -0.05, -0.887];
    const w = warpScores(y);
    const order = (v: ArrayLike<number>) => [...Array(v.length).keys()].sort((a, b) => v[a] - v[b]);
    expect(order(w)).toEqual(order(y));
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 10);
    expect(w.reduce((a, b) => a + b * b, 0) / w.length).toBeCloseTo(1, 10);
    // plain standardization leaves the good scores within 0.02 sd of each other; the warp spreads them
    const sd = (v: number[]) => Math.sqrt(v.reduce((a, b) => a + (b - v.reduce((c, d) => c + d) / v.length) ** 2, 0) / v.length);
    const good = [0, 1, 2, 3, 4, 6, 7];
    const plainSpread = (Math.max(...good.map((i) => y[i])) - Math.min(...good.map((i) => y[i]))) / sd(y);
    const warpedSpread = Math.max(...good.map((i) => w[i])) - Math.min(...good.map((i) => w[i]));
    expect(warpedSpread).toBeGreaterThan(3 * plainSpread);
  });
});
