/**
 * bayes and pruned trials, as Optuna's GPSampler (which fits complete trials only): a pruned trial
 * is neither an observation nor a start-up trial, but its configuration is held.
 */
import { describe, expect, it } from 'vitest';
import { bayesSampler } from '../../../src/search/bayes.js';
import type { TrialView } from '../../../src/search/sampler.js';
import type { ParamSpace } from '../../../src/search/space.js';

const space: ParamSpace = [
  { name: 'x', section: 'model', dist: { kind: 'float', low: 0, high: 1, log: false, step: null } },
  { name: 'y', section: 'model', dist: { kind: 'float', low: 0, high: 1, log: false, step: null } },
];
const complete: TrialView[] = [0.1, 0.35, 0.6, 0.85].map((x, i) => ({ params: { x, y: 1 - x }, state: 'complete', value: Math.sin(3 * x) + i / 100 }));
const pruned: TrialView[] = [
  { params: { x: 0.2, y: 0.2 }, state: 'pruned', value: 0.01, prunedStep: 0 },
  { params: { x: 0.9, y: 0.9 }, state: 'pruned', value: 5, prunedStep: 3 },
];

describe('bayes and pruned trials', () => {
  it('fits the GP to complete trials only: the same proposal with or without the pruned ones', () => {
    const s = bayesSampler({ space, seed: 4, goal: 'maximize', startup: 3 });
    expect(s.propose(7, [...complete, ...pruned])).toEqual(s.propose(7, complete));
  });

  it('does not count them as start-up trials', () => {
    const s = bayesSampler({ space, seed: 4, goal: 'maximize', startup: 5 });
    // 4 complete + 2 pruned: still in start-up (Sobol), as with the 4 complete alone
    expect(s.propose(5, [...complete, ...pruned])).toEqual(s.propose(5, complete));
    const started = bayesSampler({ space, seed: 4, goal: 'maximize', startup: 4 });
    expect(started.propose(5, complete)).not.toEqual(s.propose(5, complete));
  });
});
