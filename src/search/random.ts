/**
 * Random search: the i-th proposal is drawn from (seed, i), so an interrupted study resumes with
 * exactly the proposals it would have made. A draw the study already holds is drawn again from
 * (seed, i, attempt); in a finite space with few untried configurations left, one of those is
 * picked uniformly instead; null once every configuration is held.
 */
import { gridAt, gridAxes, nextUntriedIndex, untriedIndices } from './grid.js';
import { Rng } from '../rng.js';
import { heldKeys, type Sampler, type SamplerOptions, type TrialView } from './sampler.js';
import { paramsKey, roundStep, spaceSize, type Distribution, type Params, type ParamSpace, type ParamValue } from './space.js';

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

/** Finite spaces up to this many configurations are enumerated to find the untried ones. */
export const ENUMERATE_LIMIT = 1 << 16;
/** Draws tried before a finite space is searched systematically. */
const REDRAWS = 32;

/**
 * A configuration that `held` does not contain, drawn with `rng`: uniform over the untried ones
 * of a finite space (enumerated when the space has at most ENUMERATE_LIMIT configurations, else
 * redrawn, then scanned in grid order from a random point), a fresh draw in a continuous space.
 * Null only when the finite space is exhausted.
 */
export function untriedConfiguration(space: ParamSpace, held: ReadonlySet<string>, rng: Rng): Params | null {
  const size = spaceSize(space);
  if (size <= ENUMERATE_LIMIT) {
    const axes = gridAxes(space);
    const free = untriedIndices(space, held, axes);
    return free.length === 0 ? null : gridAt(space, free[rng.int(free.length)], axes);
  }
  for (let attempt = 0; attempt < REDRAWS || !Number.isFinite(size); attempt++) {
    const p = sampleParams(space, rng);
    if (!held.has(paramsKey(space, p))) return p;
    if (attempt > 10_000) throw new Error('no untried configuration found in a continuous space'); // unreachable in practice
  }
  const axes = gridAxes(space);
  const i = nextUntriedIndex(space, held, rng.int(size), axes);
  return i === null ? null : gridAt(space, i, axes);
}

/**
 * `proposal` when the study does not hold it yet; otherwise an untried configuration drawn with
 * `rng` (see untriedConfiguration); null once a finite space is exhausted. The samplers' common
 * last step.
 */
export function unlessHeld(space: ParamSpace, proposal: Params, held: ReadonlySet<string>, rng: Rng): Params | null {
  return held.has(paramsKey(space, proposal)) ? untriedConfiguration(space, held, rng) : proposal;
}

/**
 * Proposal i: the draw from (seed, i) as always; when the study holds it, redraws from
 * (seed, i, attempt), attempt = 1, 2, ..., and in the end (or at once, when more than half of a
 * small finite space is held) an untried configuration drawn from (seed, i, 0).
 */
function randomPropose(space: ParamSpace, seed: number, index: number, history: readonly TrialView[]): Params | null {
  const first = sampleParams(space, Rng.derive(seed, RANDOM_STREAM, index));
  if (history.length === 0) return first;
  const held = heldKeys(space, history);
  if (!held.has(paramsKey(space, first))) return first;
  const size = spaceSize(space);
  // more than half of a small finite space held: pick among the untried ones directly
  if (size <= ENUMERATE_LIMIT && held.size * 2 >= size) return untriedConfiguration(space, held, Rng.derive(seed, RANDOM_STREAM, index, 0));
  for (let attempt = 1; attempt <= REDRAWS; attempt++) {
    const p = sampleParams(space, Rng.derive(seed, RANDOM_STREAM, index, attempt));
    if (!held.has(paramsKey(space, p))) return p;
  }
  return untriedConfiguration(space, held, Rng.derive(seed, RANDOM_STREAM, index, 0));
}

export function randomSampler({ space, seed }: Pick<SamplerOptions, 'space' | 'seed'>): Sampler {
  return {
    name: 'random',
    size: spaceSize(space),
    propose: (index, history) => randomPropose(space, seed, index, history),
  };
}
