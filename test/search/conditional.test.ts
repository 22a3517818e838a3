/**
 * Conditional parameters (`when:`): a parameter that does not apply to a configuration takes no
 * value, in the grid, in random and Bayesian proposals (once stored), and in what the study holds.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bayesSampler } from '../../src/search/bayes.js';
import { encode } from '../../src/search/gp/encode.js';
import { gridAt, gridSampler, gridSize } from '../../src/search/grid.js';
import { randomSampler } from '../../src/search/random.js';
import type { TrialView } from '../../src/search/sampler.js';
import { activeOnly, paramsKey, spaceSize } from '../../src/search/space.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { openStudy, prepareStudy } from '../../src/study/prepare.js';
import { runSearch } from '../../src/study/run.js';
import { workdir } from '../cli/run-cli.js';
import { FakeEngine } from '../fixtures/fake-engine.js';
import { specFrom } from '../helpers.js';

const PARAMS = `params:
  optimizer: [sgd, adam, rmsprop]
  momentum: {values: [0.0, 0.9], when: {optimizer: [sgd, rmsprop]}}
  nesterov: {values: [true, false], when: {optimizer: sgd}}
  learning_rate: [0.01, 0.1]
`;
const spec = specFrom(`name: cond\n${PARAMS}`);
const withRange = specFrom('name: r\nparams:\n  optimizer: [sgd, adam]\n  momentum: {min: 0, max: 0.99, when: {optimizer: sgd}}\n');

describe('conditional parameters', () => {
  it('the grid holds each configuration once, without the parameters that do not apply (sgd 8 + adam 2 + rmsprop 4)', () => {
    expect(gridSize(spec.space)).toBe(14);
    expect(spaceSize(spec.space)).toBe(14);
    const all = Array.from({ length: 14 }, (_, i) => gridAt(spec.space, i));
    expect(all[0]).toEqual({ optimizer: 'sgd', momentum: 0, nesterov: true, learning_rate: 0.01 });
    expect(all[8]).toEqual({ optimizer: 'adam', learning_rate: 0.01 });
    expect(all[13]).toEqual({ optimizer: 'rmsprop', momentum: 0.9, learning_rate: 0.1 });
    expect(new Set(all.map((p) => JSON.stringify(p))).size).toBe(14);
    for (const p of all) expect(activeOnly(spec.space, p)).toEqual(p);
    expect(() => gridAt(spec.space, 14)).toThrow(RangeError);
  });

  it('a proposal and the stored configuration it becomes have one key', () => {
    expect(paramsKey(spec.space, { optimizer: 'adam', momentum: 0.9, nesterov: false, learning_rate: 0.1 })).toBe(paramsKey(spec.space, { optimizer: 'adam', learning_rate: 0.1 }));
  });

  it('random search proposes every configuration once, then says the space is exhausted', () => {
    const sampler = randomSampler({ space: spec.space, seed: 3 });
    const history: TrialView[] = [];
    for (let i = 0; i < 14; i++) {
      const p = sampler.propose(i, history);
      expect(p, `proposal ${i}`).not.toBeNull();
      history.push({ params: activeOnly(spec.space, p!), state: 'complete', value: Math.random() });
    }
    expect(new Set(history.map((t) => paramsKey(spec.space, t.params))).size).toBe(14);
    expect(sampler.propose(14, history)).toBeNull();
  });

  it('the Gaussian process learns from trials that lack inactive parameters', () => {
    const sampler = bayesSampler({ space: spec.space, seed: 1, goal: 'maximize', startup: 4 });
    // adam (no momentum, no nesterov) is far better; each of the other trials lacks some parameter too
    const history: TrialView[] = [
      { params: { optimizer: 'adam', learning_rate: 0.1 }, state: 'complete', value: 0.95 },
      { params: { optimizer: 'sgd', momentum: 0.9, nesterov: true, learning_rate: 0.1 }, state: 'complete', value: 0.4 },
      { params: { optimizer: 'rmsprop', momentum: 0.0, learning_rate: 0.01 }, state: 'complete', value: 0.42 },
      { params: { optimizer: 'sgd', momentum: 0.0, nesterov: false, learning_rate: 0.01 }, state: 'complete', value: 0.38 },
      { params: { optimizer: 'rmsprop', momentum: 0.9, learning_rate: 0.1 }, state: 'complete', value: 0.41 },
    ];
    // every trial reaches the GP: an inactive categorical is a category of its own, an inactive number the middle of its range
    expect([...encode(spec.space, history[0].params)]).toEqual([1, -1, -1, 1]);
    expect([...encode(withRange.space, { optimizer: 'adam' })]).toEqual([1, 0.5]);
    const next = activeOnly(spec.space, sampler.propose(5, history)!);
    expect(history.map((t) => paramsKey(spec.space, t.params))).not.toContain(paramsKey(spec.space, next));
  });

  it('a study stores only the parameters that apply, and a grid search trains the 14 configurations', async () => {
    const dir = workdir();
    const s = specFrom(`name: cond\nseed: 2\ndata:\n  dataset: csv\n  file: blobs.csv\ntrain:\n  epochs: 2\ncv:\n  folds: 3\n${PARAMS}`);
    const prepared = prepareStudy(s, join(dir, 'spec.yaml'), { checkGrid: true });
    const store = new MemoryStore();
    const study = await openStudy(store, prepared);
    const summary = await runSearch(store, study, prepared, { sampler: gridSampler({ space: s.space }), budget: Infinity, engine: new FakeEngine() });
    expect(summary).toMatchObject({ trialsRun: 14, complete: 14 });
    const trials = await store.listTrials(study.id);
    expect(trials.filter((t) => t.params.optimizer === 'adam').every((t) => !('momentum' in t.params) && !('nesterov' in t.params))).toBe(true);
    expect(trials.filter((t) => t.params.optimizer === 'rmsprop').every((t) => 'momentum' in t.params && !('nesterov' in t.params))).toBe(true);
  });
});
