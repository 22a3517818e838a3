/**
 * bayes and pruned trials: a pruned trial is an observation at the value it reached (Optuna's
 * `consider_pruned_trials` in SkoptSampler and CmaEsSampler: the last intermediate value), and it
 * counts toward the start-up trials (as Optuna's TPE counts pruned trials).
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
  { params: { x: 0.9, y: 0.9 }, state: 'pruned', value: 0.3, prunedStep: 3 },
];
const asComplete = (ts: TrialView[]): TrialView[] => ts.map((t) => ({ params: t.params, state: 'complete', value: t.value }));

describe('bayes and pruned trials', () => {
  it('fits the GP to a pruned trial at the value it reached', () => {
    const s = bayesSampler({ space, seed: 4, goal: 'maximize', startup: 3 });
    const withPruned = s.propose(7, [...complete, ...pruned]);
    // the same proposal as from complete trials with those values, not the one from the complete trials alone
    expect(withPruned).toEqual(s.propose(7, [...complete, ...asComplete(pruned)]));
    expect(withPruned).not.toEqual(s.propose(7, complete));
  });

  it('counts them as start-up trials', () => {
    const s = bayesSampler({ space, seed: 4, goal: 'maximize', startup: 6 });
    // 4 complete + 2 pruned: the GP has taken over (as with no start-up at all), not the Sobol sequence
    const gp = bayesSampler({ space, seed: 4, goal: 'maximize', startup: 0 });
    expect(s.propose(6, [...complete, ...pruned])).toEqual(gp.propose(6, [...complete, ...pruned]));
    expect(s.propose(6, complete)).not.toEqual(gp.propose(6, complete));
  });

  it('stays away from where the pruner stopped trials', () => {
    // 1-D: the complete trials rise to the right; the right third is where every trial was pruned early
    const line: ParamSpace = [{ name: 'x', section: 'model', dist: { kind: 'float', low: 0, high: 1, log: false, step: null } }];
    const rising: TrialView[] = [0.05, 0.2, 0.35, 0.5].map((x) => ({ params: { x }, state: 'complete', value: 0.5 + x }));
    const stopped: TrialView[] = [0.7, 0.8, 0.9, 1.0].map((x, i) => ({ params: { x }, state: 'pruned', value: 0.2, prunedStep: i % 2 }));
    const s = bayesSampler({ space: line, seed: 2, goal: 'maximize', startup: 3 });
    const next = s.propose(8, [...rising, ...stopped])!.x as number;
    expect(next).toBeLessThan(0.65);
    // without them, the rising trend sends the search into that region
    const blind = bayesSampler({ space: line, seed: 2, goal: 'maximize', startup: 3 }).propose(8, rising)!.x as number;
    expect(blind).toBeGreaterThan(0.7);
  });
});
