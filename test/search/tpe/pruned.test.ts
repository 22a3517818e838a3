/**
 * TPE's ranking of pruned trials, as Optuna 3.1's _get_observation_pairs gives it for the same
 * study (maximize; x: complete 0.9; pruned with intermediate values {0: 0.3, 3: 0.5}; pruned with
 * {0: 0.3, 1: nan}; pruned without any):
 *   [(-inf, [-0.9]), (-3, [-0.5]), (-1, [inf]), (1, [0.0])]
 */
import { describe, expect, it } from 'vitest';
import type { TrialView } from '../../../src/search/sampler.js';
import type { ParamSpace } from '../../../src/search/space.js';
import { observations, splitObservations } from '../../../src/search/tpe.js';

const space: ParamSpace = [{ name: 'x', section: 'model', dist: { kind: 'float', low: 0, high: 1, log: false, step: null } }];

describe('TPE and pruned trials', () => {
  const history: TrialView[] = [
    { params: { x: 0.1 }, state: 'complete', value: 0.9 },
    { params: { x: 0.2 }, state: 'pruned', value: 0.5, prunedStep: 3 },
    { params: { x: 0.3 }, state: 'pruned', value: NaN, prunedStep: 1 },
    { params: { x: 0.4 }, state: 'pruned', value: null, prunedStep: null },
  ];

  it("ranks them as Optuna 3.1's TPE: after complete trials, deeper steps first, then by value", () => {
    const obs = observations(space, [0], history, 'maximize', false);
    expect(obs.map((o) => [o.step, o.value])).toEqual([
      [-Infinity, -0.9],
      [-3, -0.5],
      [-1, Infinity],
      [1, 0],
    ]);
    expect(splitObservations(obs, 2).below).toEqual([0, 1]);
  });

  it('counts them as finished (they are not running)', () => {
    expect(observations(space, [0], history, 'maximize', true).filter((o) => o.step < Infinity)).toHaveLength(4);
  });
});
