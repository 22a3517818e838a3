import { describe, expect, it } from 'vitest';
import { cosineDecayRestarts, decayedLr, lrAtEpoch } from '../../src/models/schedules.js';
import { golden } from '../engine/keras-golden.js';

describe('learning-rate schedules', () => {
  it('cosine_restarts equals keras CosineDecayRestarts', () => {
    golden.schedules.cosine_restarts.forEach((v, step) => expect(cosineDecayRestarts(step, 3, 2, 0.8, 0.1)).toBeCloseTo(v, 6));
    golden.schedules.cosine_restarts_tmul1.forEach((v, step) => expect(cosineDecayRestarts(step, 4, 1, 1, 0)).toBeCloseTo(v, 6));
    expect(lrAtEpoch(0.5, { type: 'cosine_restarts', period: 3, t_mul: 2, m_mul: 0.8, alpha: 0.1 }, 7)).toBeCloseTo(0.5 * golden.schedules.cosine_restarts[7], 6);
  });

  it('decay equals keras InverseTimeDecay(lr, 1, decay) at each iteration', () => {
    golden.schedules.inverse_time.forEach((v, it_) => expect(decayedLr(0.1, 0.5, it_)).toBeCloseTo(v, 7));
  });

  it('time_decay, exponential and step follow their formulas', () => {
    expect(lrAtEpoch(0.1, { type: 'time_decay', rate: 0.5 }, 4)).toBeCloseTo(0.1 / 3, 10);
    expect(lrAtEpoch(0.1, { type: 'exponential', k: 0.1 }, 10)).toBeCloseTo(0.1 * Math.exp(-1), 10);
    // lr0 * drop ^ floor((1 + epoch) / every): epochs 0..8 with drop 0.5 every 3
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((e) => lrAtEpoch(1, { type: 'step', drop: 0.5, every: 3 }, e))).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]);
    expect(lrAtEpoch(0.3, null, 9)).toBe(0.3);
  });
});
