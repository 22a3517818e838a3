/**
 * Random search: the i-th proposal depends only on (seed, i), so an interrupted study resumes with
 * exactly the proposals it would have made.
 */
import { Rng } from '../rng.js';
import type { Sampler, SamplerOptions } from './sampler.js';
import { roundStep, type Distribution, type Params, type ParamSpace, type ParamValue } from './space.js';

/** Stream id keeping random-search draws apart from other uses of the study seed. */
const RANDOM_STREAM = 0x52414e44; // 'RAND'

export function sampleDistribution(dist: Distribution, rng: Rng): ParamValue {
  switch (dist.kind) {
    case 'categorical':
      return dist.choices[rng.int(dist.choices.length)];
    case 'float': {
      if (dist.log) return Math.exp(rng.uniform(Math.log(dist.low), Math.log(dist.high)));
      if (dist.step === null) return rng.uniform(dist.low, dist.high);
      const n = Math.floor((dist.high - dist.low) / dist.step + 1e-9);
      return roundStep(dist.low + rng.int(n + 1) * dist.step, dist.step);
    }
    case 'int': {
      if (dist.log) {
        // log-uniform over [low - 0.5, high + 0.5], rounded: every integer reachable (Optuna's way)
        const v = Math.round(Math.exp(rng.uniform(Math.log(dist.low - 0.5 > 0 ? dist.low - 0.5 : dist.low), Math.log(dist.high + 0.5))));
        return Math.min(dist.high, Math.max(dist.low, v));
      }
      const n = Math.floor((dist.high - dist.low) / dist.step);
      return dist.low + rng.int(n + 1) * dist.step;
    }
  }
}

export function sampleParams(space: ParamSpace, rng: Rng): Params {
  return Object.fromEntries(space.map((p) => [p.name, sampleDistribution(p.dist, rng)]));
}

export function randomSampler({ space, seed }: Pick<SamplerOptions, 'space' | 'seed'>): Sampler {
  return {
    name: 'random',
    size: Infinity,
    propose: (index) => sampleParams(space, Rng.derive(seed, RANDOM_STREAM, index)),
  };
}
