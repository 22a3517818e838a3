import { describe, expect, it } from 'vitest';
import { dLogH, erfcx, logEI, logH, normCdf, normPdf } from '../../../src/search/gp/special.js';

// scipy.special.erfcx
const ERFCX: [number, number][] = [
  [-3, 16205.988853999586], [-2, 108.94090438997797], [-1, 5.008980080762283], [-0.5, 1.952360489182557], [0, 1.0],
  [0.5, 0.6156903441929258], [1, 0.427583576155807], [1.9, 0.26650937366167254], [2, 0.2553956763105058],
  [2.1, 0.24511912334517244], [3, 0.17900115118138998], [5, 0.11070463773306861], [10, 0.05614099274382259],
  [100, 0.005641613782989433], [1e4, 5.641895807268084e-5],
];
// mpmath at 50 digits: log(npdf(z) + z * ncdf(z))
const LOG_H: [number, number][] = [
  [-1e5, -5000000023.94479], [-1000, -500014.73445209116], [-100, -5010.12957880025], [-40, -808.29856835662], [-30, -457.724653760598],
  [-10, -55.55312203612235], [-5, -16.74430116266099], [-3, -7.869686059603029], [-2.5, -6.212541645443513], [-2, -4.768783523917114],
  [-1.5, -3.52993592080571], [-1, -2.4851210257126413], [-0.5, -1.6205162643873199], [0, -0.9189385332046728], [0.3, -0.567817153677937],
  [1, 0.08002621884930694], [2, 0.6973835457882284], [3, 1.0987396653277077], [5, 1.6094379231264313], [10, 2.302585092994046],
];

describe('special functions', () => {
  it('erfcx matches scipy to 1e-13 relative', () => {
    for (const [x, v] of ERFCX) expect(Math.abs(erfcx(x) - v) / v, `erfcx(${x})`).toBeLessThan(1e-13);
  });

  it('log h(z) = log E[max(0, Z + z)] matches 50-digit values across 11 orders of magnitude', () => {
    for (const [z, v] of LOG_H) expect(Math.abs(logH(z) - v) / Math.max(1, Math.abs(v)), `logH(${z})`).toBeLessThan(1e-10);
  });

  it('agrees with direct EI where that is stable', () => {
    for (const [mean, variance, best] of [[1, 0.25, 0.5], [0, 1, 0], [-1, 4, 1], [0.2, 0.01, 0.25]]) {
      const s = Math.sqrt(variance);
      const z = (mean - best) / s;
      const direct = s * (normPdf(z) + z * normCdf(z));
      expect(logEI(mean, variance, best)).toBeCloseTo(Math.log(direct), 12);
    }
  });

  it('stays finite where direct EI underflows to zero', () => {
    const v = logEI(-50, 1, 0);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeLessThan(-1000);
    expect(logEI(-50, 1, 0)).toBeLessThan(logEI(-49, 1, 0)); // still ordered
  });

  it('d log h / dz matches finite differences', () => {
    for (const z of [-1e3, -40, -5, -1.2, -1, -0.9, 0, 2, 8]) {
      const h = 1e-6 * Math.max(1, Math.abs(z));
      const fd = (logH(z + h) - logH(z - h)) / (2 * h);
      expect(Math.abs(dLogH(z) - fd) / Math.max(1, Math.abs(fd)), `z=${z}`).toBeLessThan(1e-5);
    }
  });
});
