import { describe, expect, it } from 'vitest';
import { fitScaler } from '../../src/cv/scaling.js';
import { takeRows } from '../../src/engine/batches.js';

describe('scaling fitted on the training fold only', () => {
  // 4 rows x 2 features
  const x = Float32Array.from([0, 10, 2, 10, 4, 10, 100, -50]);
  const train = [0, 1, 2];

  it('minmax uses the training rows min and range; a constant feature keeps scale 1', () => {
    const s = fitScaler('minmax', x, 2, train)!;
    expect([...s.offset]).toEqual([0, 10]);
    expect([...s.factor]).toEqual([0.25, 1]);
    expect([...takeRows(x, 2, [3], s)]).toEqual([25, -60]);
  });

  it('standard uses the training mean and population std', () => {
    const s = fitScaler('standard', x, 2, train)!;
    expect(s.offset[0]).toBeCloseTo(2);
    expect(1 / s.factor[0]).toBeCloseTo(Math.sqrt(8 / 3));
    expect(s.factor[1]).toBe(1);
  });

  it('does not change when a test row changes (no leakage)', () => {
    const a = fitScaler('standard', x, 2, train)!;
    const y = Float32Array.from(x);
    y[6] = 1e6;
    const b = fitScaler('standard', y, 2, train)!;
    expect([...b.offset]).toEqual([...a.offset]);
    expect([...b.factor]).toEqual([...a.factor]);
  });

  it('is null for none', () => {
    expect(fitScaler('none', x, 2, train)).toBeNull();
    expect([...takeRows(x, 2, [1, 3], null)]).toEqual([2, 10, 100, -50]);
  });
});
