/**
 * nnsearch's TPE against numbers Optuna 3.1 produced itself (test/fixtures/optuna/make_tpe_fixture.py):
 * the Parzen estimators' weights, bandwidths, densities and samples, and whole proposals after a
 * history, fed the same numpy uniforms (MT19937) Optuna drew.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/rng.js';
import type { TrialView } from '../../../src/search/sampler.js';
import type { Distribution, ParamSpace, Params } from '../../../src/search/space.js';
import { TpeSampler, type TpeOptions } from '../../../src/search/tpe.js';
import { defaultWeights, numpyArgsort, ParzenEstimator, parzenDim } from '../../../src/search/tpe/parzen.js';
import { branin } from '../../../bench/objectives.js';
import { MT19937 } from './mt19937.js';

interface ParzenCase {
  label: string;
  multivariate: boolean;
  considerEndpoints: boolean;
  names: string[];
  observations: Record<string, number[]>;
  weights: number[];
  mus: Record<string, number[] | null>;
  sigmas: Record<string, number[] | null>;
  categoricalWeights: Record<string, number[][] | null>;
  points: Record<string, number[]>;
  logPdf: number[];
  sampleSeed: number;
  samples: Record<string, number[]>;
  samplesLogPdf: number[];
}

interface ProposalCase {
  label: string;
  direction: 'minimize' | 'maximize';
  options: { multivariate?: boolean; constant_liar?: boolean; n_startup_trials?: number; gamma?: string };
  seed: number;
  history: TrialView[];
  proposal: Params;
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/optuna/tpe.json', import.meta.url), 'utf8')) as {
  optuna: string;
  space: { name: string; dist: Distribution }[];
  argsort: { values: number[]; order: number[] }[];
  parzen: ParzenCase[];
  proposals: ProposalCase[];
  trajectories: { seed: number; params: [number, number][]; values: number[] }[];
};
const space: ParamSpace = fixture.space.map(({ name, dist }) => ({ name, section: 'model', dist }));
const distOf = (name: string) => space.find((p) => p.name === name)!.dist;

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 10): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] === Infinity || expected[i] === -Infinity) expect(actual[i]).toBe(expected[i]);
    else expect(actual[i], `element ${i}`).toBeCloseTo(expected[i], digits);
  }
}

describe("numpy's RandomState", () => {
  it('is reproduced (MT19937 + random_sample)', () => {
    const r = new MT19937(5);
    expectClose([r.next(), r.next(), r.next()], [0.22199317108973948, 0.8707323061773764, 0.20671915533942642], 16);
  });
});

describe("numpy's argsort", () => {
  it('orders ties as numpy does (the bandwidths of tied observations depend on it)', () => {
    for (const { values, order } of fixture.argsort) expect(numpyArgsort(values)).toEqual(order);
  });

  it('sorts adversarial inputs too (sorted, reversed, organ pipe, all equal, random ties)', () => {
    const rng = new Rng(3);
    const inputs = [
      Array.from({ length: 300 }, (_, i) => i),
      Array.from({ length: 300 }, (_, i) => -i),
      Array.from({ length: 301 }, (_, i) => Math.min(i, 300 - i)),
      new Array(200).fill(1),
      Array.from({ length: 1000 }, () => rng.int(7)),
    ];
    for (const v of inputs) {
      const order = numpyArgsort(v);
      expect([...order].sort((a, b) => a - b)).toEqual([...v.keys()]);
      for (let i = 1; i < order.length; i++) expect(v[order[i - 1]]).toBeLessThanOrEqual(v[order[i]]);
    }
  });
});

describe(`Parzen estimator = Optuna ${fixture.optuna}'s _ParzenEstimator`, () => {
  for (const c of fixture.parzen) {
    it(c.label, () => {
      const dims = c.names.map((n) => parzenDim(distOf(n)));
      const pe = new ParzenEstimator(
        c.names.map((n) => Float64Array.from(c.observations[n])),
        dims,
        { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: c.considerEndpoints, weights: defaultWeights, multivariate: c.multivariate },
      );
      expectClose(pe.weights, c.weights, 14);
      c.names.forEach((n, j) => {
        if (c.mus[n]) {
          expectClose(pe.mus[j]!, c.mus[n]!, 12);
          expectClose(pe.sigmas[j]!, c.sigmas[n]!, 12);
        } else {
          c.categoricalWeights[n]!.forEach((row, k) => expectClose(pe.categoricalWeights[j]![k], row, 14));
        }
      });
      expectClose(pe.logPdf(c.names.map((n) => Float64Array.from(c.points[n]))), c.logPdf, 9);
      const samples = pe.sample(new MT19937(c.sampleSeed), 24);
      c.names.forEach((n, j) => expectClose(samples[j], c.samples[n], 9));
      expectClose(pe.logPdf(samples), c.samplesLogPdf, 8);
    });
  }
});

describe(`TPE proposals = Optuna ${fixture.optuna}'s TPESampler`, () => {
  for (const c of fixture.proposals) {
    it(c.label, () => {
      const opts: TpeOptions = {
        space,
        seed: c.seed,
        goal: c.direction,
        multivariate: c.options.multivariate ?? false,
        constantLiar: c.options.constant_liar ?? false,
        startup: c.options.n_startup_trials ?? 10,
      };
      if (c.options.gamma === 'hyperopt_default_gamma') opts.gamma = (n) => Math.min(Math.ceil(0.25 * Math.sqrt(n)), 25);
      const sampler = new TpeSampler(opts);
      const p = sampler.proposeWith(c.history, new MT19937(c.seed), new Rng(0));
      expect(p).not.toBeNull();
      for (const { name, dist } of space) {
        if (dist.kind === 'float') expect(p![name] as number, name).toBeCloseTo(c.proposal[name] as number, 9);
        else expect(p![name], name).toEqual(c.proposal[name]);
      }
    });
  }
});

describe(`whole studies = Optuna ${fixture.optuna}'s TPESampler(seed, multivariate=True)`, () => {
  for (const t of fixture.trajectories) {
    it(`Branin, 40 trials, seed ${t.seed}`, () => {
      // Optuna draws the start-up from RandomSampler's RandomState(seed), TPE from its own RandomState(seed)
      const startup = new MT19937(t.seed);
      const tpe = new MT19937(t.seed);
      const sampler = new TpeSampler({ space: branin.space, seed: t.seed, goal: 'minimize', constantLiar: false });
      const history: TrialView[] = [];
      t.params.forEach(([x0, x1], i) => {
        const p = i < 10 ? { x0: -5 + 15 * startup.next(), x1: 15 * startup.next() } : sampler.proposeWith(history, tpe, new Rng(0))!;
        expect(p.x0 as number, `trial ${i}`).toBeCloseTo(x0, 10);
        expect(p.x1 as number, `trial ${i}`).toBeCloseTo(x1, 10);
        history.push({ params: p, state: 'complete', value: branin.f(p) });
        expect(history[i].value!).toBeCloseTo(t.values[i], 9);
      });
    });
  }
});
