import { describe, expect, it } from 'vitest';
import { gridAt, gridSampler, gridSize } from '../../src/search/grid.js';
import { specFrom } from '../helpers.js';

describe('grid', () => {
  const spec = specFrom(`
name: g
params:
  init: [uniform, normal, zero]
  batch_size: {min: 16, max: 64, step: 16}
  dropout: {min: 0.1, max: 0.3, step: 0.1}
`);

  it('has the product of the axis sizes', () => {
    expect(gridSize(spec.space)).toBe(3 * 4 * 3);
  });

  it('enumerates like itertools.product, last parameter fastest', () => {
    expect(gridAt(spec.space, 0)).toEqual({ init: 'uniform', batch_size: 16, dropout: 0.1 });
    expect(gridAt(spec.space, 1)).toEqual({ init: 'uniform', batch_size: 16, dropout: 0.2 });
    expect(gridAt(spec.space, 2)).toEqual({ init: 'uniform', batch_size: 16, dropout: 0.3 });
    expect(gridAt(spec.space, 3)).toEqual({ init: 'uniform', batch_size: 32, dropout: 0.1 });
    expect(gridAt(spec.space, 12)).toEqual({ init: 'normal', batch_size: 16, dropout: 0.1 });
    expect(gridAt(spec.space, 35)).toEqual({ init: 'zero', batch_size: 64, dropout: 0.3 });
  });

  it('visits every combination exactly once', () => {
    const keys = new Set(Array.from({ length: 36 }, (_, i) => JSON.stringify(gridAt(spec.space, i))));
    expect(keys.size).toBe(36);
    expect(() => gridAt(spec.space, 36)).toThrow(RangeError);
  });

  it('keeps stepped floats free of rounding noise', () => {
    const values = Array.from({ length: 3 }, (_, i) => gridAt(spec.space, i).dropout);
    expect(values).toEqual([0.1, 0.2, 0.3]);
  });

  it('refuses continuous ranges, naming the parameter', () => {
    const s = specFrom('name: g\nparams:\n  learning_rate: {min: 0.001, max: 0.1, log: true}\n');
    expect(() => gridSampler({ space: s.space })).toThrow(/params\.learning_rate: grid search needs/);
  });

  it('is one trial for an empty space', () => {
    expect(gridSize(specFrom('name: g\n').space)).toBe(1);
  });
});
