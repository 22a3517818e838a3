/**
 * The sampler contract every sampler keeps: never a configuration the study holds (any state) while
 * an untried one exists; null once a finite space is exhausted; same seed and history, same proposal.
 */
import { describe, expect, it } from 'vitest';
import { BayesSampler } from '../../src/search/bayes.js';
import { gridSampler } from '../../src/search/grid.js';
import { randomSampler, untriedConfiguration } from '../../src/search/random.js';
import { Rng } from '../../src/rng.js';
import type { Sampler, TrialView } from '../../src/search/sampler.js';
import { paramsKey, spaceSize, type Params, type ParamSpace } from '../../src/search/space.js';
import { TpeSampler } from '../../src/search/tpe.js';
import { specFrom } from '../helpers.js';

const small = specFrom(`
name: s
params:
  optimizer: [sgd, adam, rmsprop]
  units: {min: 1, max: 4}
  dropout: {min: 0.0, max: 0.2, step: 0.1}
`).space; // 3 x 4 x 3 = 36 configurations

const mixed = specFrom(`
name: m
params:
  optimizer: [sgd, adam]
  learning_rate: {min: 0.0001, max: 0.1, log: true}
  units: {min: 16, max: 64, step: 16}
`).space;

const f = (p: Params) => (p.optimizer === 'adam' ? 0 : 0.3) + Math.abs((p.units as number) - 3) * 0.1 + Math.abs((p.dropout as number) - 0.1);

const samplers: [string, (space: ParamSpace, seed: number) => Sampler][] = [
  ['random', (space, seed) => randomSampler({ space, seed })],
  ['bayes', (space, seed) => new BayesSampler({ space, seed, goal: 'minimize', startup: 5 })],
  ['tpe', (space, seed) => new TpeSampler({ space, seed, goal: 'minimize', startup: 5 })],
];

/** Runs a sampler to exhaustion, failing or leaving running some trials, as several workers would. */
function exhaust(sampler: Sampler, space: ParamSpace, f: (p: Params) => number): TrialView[] {
  const history: TrialView[] = [];
  for (let i = 0; i < spaceSize(space); i++) {
    const params = sampler.propose(i, history);
    expect(params, `proposal ${i}`).not.toBeNull();
    const state = i % 7 === 3 ? 'running' : i % 11 === 5 ? 'fail' : i % 13 === 6 ? 'interrupted' : 'complete';
    history.push({ params: params!, state, value: state === 'complete' ? f(params!) : null, failReason: state === 'fail' ? 'diverged' : null });
  }
  return history;
}

describe('space helpers', () => {
  it('paramsKey ignores field order and extra fields, and survives a JSON round trip', () => {
    const p = { optimizer: 'adam', units: 2, dropout: 0.1 };
    expect(paramsKey(small, { dropout: 0.1, units: 2, optimizer: 'adam', other: 1 })).toBe(paramsKey(small, p));
    expect(paramsKey(small, JSON.parse(JSON.stringify(p)) as Params)).toBe(paramsKey(small, p));
    expect(paramsKey(small, { ...p, units: 3 })).not.toBe(paramsKey(small, p));
  });

  it('spaceSize is the product of the sizes, Infinity with a continuous range', () => {
    expect(spaceSize(small)).toBe(36);
    expect(spaceSize(mixed)).toBe(Infinity);
    expect(spaceSize([])).toBe(1);
    expect(spaceSize(specFrom('name: s\nparams:\n  units: {min: 16, max: 512, log: true}\n').space)).toBe(497);
  });
});

describe.each(samplers)('%s never repeats a configuration', (_, make) => {
  it('visits all 36 configurations of a finite space exactly once, then returns null', () => {
    const sampler = make(small, 3);
    expect(sampler.size).toBe(36);
    const history = exhaust(sampler, small, f);
    expect(new Set(history.map((t) => paramsKey(small, t.params))).size).toBe(36);
    expect(sampler.propose(36, history)).toBeNull();
  });

  it('avoids what other workers hold (running, failed, interrupted) in a mixed space', () => {
    const sampler = make(mixed, 4);
    const history: TrialView[] = [];
    for (let i = 0; i < 30; i++) {
      const params = sampler.propose(i, history)!;
      expect(history.some((t) => paramsKey(mixed, t.params) === paramsKey(mixed, params))).toBe(false);
      history.push({ params, state: i % 3 === 0 ? 'running' : 'complete', value: i % 3 === 0 ? null : (params.learning_rate as number) });
    }
  });

  it('is deterministic for a seed and history', () => {
    const a = exhaust(make(small, 9), small, f).map((t) => t.params);
    const b = exhaust(make(small, 9), small, f).map((t) => t.params);
    expect(b).toEqual(a);
  });
});

describe('grid with trials of other samplers', () => {
  it('skips configurations the study holds, and ends with null', () => {
    const g = gridSampler({ space: small });
    expect(g.propose(0, [])).toEqual({ optimizer: 'sgd', units: 1, dropout: 0 });
    const held: TrialView[] = [{ params: { optimizer: 'sgd', units: 1, dropout: 0 }, state: 'complete', value: 1 }];
    expect(g.propose(0, held)).toEqual({ optimizer: 'sgd', units: 1, dropout: 0.1 });
    expect(g.propose(36, held)).toBeNull();
  });
});

describe('untriedConfiguration', () => {
  it('picks uniformly among the untried configurations of a nearly exhausted space', () => {
    const all = exhaust(randomSampler({ space: small, seed: 1 }), small, f);
    const held = new Set(all.slice(0, 33).map((t) => paramsKey(small, t.params)));
    const left = new Set(all.slice(33).map((t) => paramsKey(small, t.params)));
    const rng = new Rng(5);
    const seen = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const k = paramsKey(small, untriedConfiguration(small, held, rng)!);
      expect(left.has(k)).toBe(true);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    expect(seen.size).toBe(3);
    for (const n of seen.values()) expect(n).toBeGreaterThan(150);
    expect(untriedConfiguration(small, new Set(all.map((t) => paramsKey(small, t.params))), rng)).toBeNull();
  });
});
