/**
 * Tree-structured Parzen Estimator with Optuna's semantics (optuna.samplers.TPESampler, v3.1):
 * - Until `startup` trials have finished (n_startup_trials, default 10), proposals are random.
 * - Then the finished trials are split by score: the best gamma(n) = min(ceil(0.1 n), 25) form l(x),
 *   the rest g(x), each a Parzen estimator (see tpe/parzen.ts: prior_weight 1, magic clip, Optuna's
 *   default_weights); 24 candidates (n_ei_candidates) are drawn from l and the one with the largest
 *   log l(x) - log g(x) is proposed.
 * - multivariate (default here, as in BOHB and Optuna's `multivariate=True`): one joint estimator
 *   over all parameters with Scott's-rule bandwidths; `multivariate: false` is Optuna's default
 *   independent TPE (one estimator per parameter, bandwidths from the neighbours' gaps).
 * What nnsearch adds, where Optuna is silent or would repeat itself:
 * - A pruned trial ranks as Optuna 3.1 ranks it: after every complete trial, deeper steps first, then
 *   by its value there ((-step, sign * value); NaN: (-step, inf); no step: (1, 0)).
 * - A diverged trial ranks after every complete one (as Optuna ranks a pruned trial whose last
 *   value is NaN), so g(x) covers it; other failures and interrupted trials are left out.
 * - Running trials of other workers rank last too (Optuna's constant_liar, on by default here since
 *   nnsearch runs several workers by default) and do not count as finished.
 * - Never a configuration the study holds: the best-ranked untried candidate wins; when all 24 are
 *   held, the untried configuration with the best ratio (finite spaces up to 4096 configurations),
 *   else more candidates, else a random untried one; null when a finite space is exhausted.
 * - Proposal i draws from (seed, i): same seed and history, same proposal.
 */
import { Rng } from '../rng.js';
import { gridAt, gridAxes, untriedIndices } from './grid.js';
import { sampleParams, untriedConfiguration } from './random.js';
import { heldKeys, type Sampler, type SamplerOptions, type TrialView } from './sampler.js';
import { paramsKey, roundStep, spaceSize, type Distribution, type Params, type ParamSpace, type ParamValue } from './space.js';
import { defaultWeights, ParzenEstimator, parzenDim, type Columns, type ParzenDim, type ParzenParameters, type UniformSource } from './tpe/parzen.js';

const TPE_STREAM = 0x54504545; // 'TPEE'
/** Finite spaces up to this size are searched exhaustively for the best untried ratio when all candidates are held. */
const EXHAUSTIVE_LIMIT = 4096;
const EXTRA_BATCHES = 8;

export interface TpeOptions extends SamplerOptions {
  /** n_startup_trials: random proposals until this many trials have finished. */
  startup?: number;
  /** n_ei_candidates. */
  candidates?: number;
  /** Size of the good group from the number of finished trials. */
  gamma?: (n: number) => number;
  weights?: (n: number) => number[];
  priorWeight?: number;
  considerPrior?: boolean;
  considerMagicClip?: boolean;
  considerEndpoints?: boolean;
  multivariate?: boolean;
  /** Running trials join the bad group (Optuna's constant_liar). */
  constantLiar?: boolean;
}

export const DEFAULT_TPE_STARTUP = 10;

/** Optuna's default_gamma. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Whether a distribution holds a single value (Optuna's `single()`): such parameters are not modelled. */
export function isSingle(dist: Distribution): boolean {
  if (dist.kind === 'categorical') return dist.choices.length === 1;
  if (dist.low === dist.high) return true;
  if (dist.step === null || dist.log) return false;
  return dist.high - dist.low < dist.step - 1e-12 * Math.abs(dist.step);
}

/** Optuna's internal repr: the choice index of a categorical value, the number itself otherwise. */
function internal(dist: Distribution, v: ParamValue): number | null {
  if (dist.kind === 'categorical') {
    const key = JSON.stringify(v);
    const i = dist.choices.findIndex((c) => JSON.stringify(c) === key);
    return i < 0 ? null : i;
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function external(dist: Distribution, x: number): ParamValue {
  if (dist.kind === 'categorical') return dist.choices[x];
  if (dist.kind === 'float' && dist.step !== null) return roundStep(x, dist.step);
  return dist.kind === 'int' ? Math.round(x) : x;
}

/** Observation ranking key: Optuna's (step, value) pair, compared lexicographically. */
export interface Observation {
  x: number[];
  step: number;
  value: number;
}

/**
 * Optuna's _get_observation_pairs over `dims` (indices into the space): complete trials as
 * (-inf, sign * value), pruned ones as (-step, sign * value) at their last step, diverged ones as
 * (0, inf), running ones (constant liar) as (inf, inf).
 */
export function observations(space: ParamSpace, dims: number[], history: readonly TrialView[], goal: 'maximize' | 'minimize', constantLiar: boolean): Observation[] {
  const sign = goal === 'minimize' ? 1 : -1;
  const out: Observation[] = [];
  for (const t of history) {
    let step: number;
    let value: number;
    if (t.state === 'complete' && t.value !== null && !Number.isNaN(t.value)) [step, value] = [-Infinity, sign * t.value];
    else if (t.state === 'pruned') {
      const last = t.prunedStep ?? null;
      if (last === null) [step, value] = [1, 0];
      else [step, value] = [-last, t.value === null || Number.isNaN(t.value) ? Infinity : sign * t.value];
    } else if (t.state === 'fail' && t.failReason === 'diverged') [step, value] = [0, Infinity];
    else if (t.state === 'running' && constantLiar) [step, value] = [Infinity, Infinity];
    else continue;
    const x = dims.map((j) => internal(space[j].dist, t.params[space[j].name]));
    if (x.some((v) => v === null)) continue; // a value outside the space (should not happen within a study)
    out.push({ x: x as number[], step, value });
  }
  return out;
}

/** Optuna's _split_observation_pairs: stable sort by (step, value); the first nBelow are "below". */
export function splitObservations(obs: readonly Observation[], nBelow: number): { below: number[]; above: number[] } {
  const order = [...obs.keys()].sort((a, b) => cmp(obs[a].step, obs[b].step) || cmp(obs[a].value, obs[b].value) || a - b);
  const below = order.slice(0, nBelow).sort((a, b) => a - b);
  const above = order.slice(nBelow).sort((a, b) => a - b);
  return { below, above };
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function columns(obs: readonly Observation[], idx: number[], d: number): Columns {
  return Array.from({ length: d }, (_, j) => Float64Array.from(idx, (i) => obs[i].x[j]));
}

/** l and g over some parameters, and the TPE score log l - log g. */
class Model {
  readonly below: ParzenEstimator;
  readonly above: ParzenEstimator;

  constructor(obs: readonly Observation[], split: { below: number[]; above: number[] }, dims: ParzenDim[], params: ParzenParameters) {
    this.below = new ParzenEstimator(columns(obs, split.below, dims.length), dims, params);
    this.above = new ParzenEstimator(columns(obs, split.above, dims.length), dims, params);
  }

  score(samples: Columns): Float64Array {
    const l = this.below.logPdf(samples);
    const g = this.above.logPdf(samples);
    return l.map((v, i) => v - g[i]);
  }
}

export class TpeSampler implements Sampler {
  readonly name = 'tpe' as const;
  readonly size: number;
  private readonly space: ParamSpace;
  private readonly startup: number;
  private readonly candidates: number;
  private readonly gamma: (n: number) => number;
  private readonly parzen: ParzenParameters;
  private readonly constantLiar: boolean;
  /** Indices of the parameters that take more than one value. */
  private readonly active: number[];

  constructor(private readonly opts: TpeOptions) {
    this.space = opts.space;
    this.size = spaceSize(opts.space);
    this.startup = opts.startup ?? DEFAULT_TPE_STARTUP;
    this.candidates = opts.candidates ?? 24;
    this.gamma = opts.gamma ?? defaultGamma;
    this.constantLiar = opts.constantLiar ?? true;
    this.parzen = {
      considerPrior: opts.considerPrior ?? true,
      priorWeight: opts.priorWeight ?? 1,
      considerMagicClip: opts.considerMagicClip ?? true,
      considerEndpoints: opts.considerEndpoints ?? false,
      weights: opts.weights ?? defaultWeights,
      multivariate: opts.multivariate ?? true,
    };
    this.active = opts.space.flatMap((p, j) => (isSingle(p.dist) ? [] : [j]));
  }

  propose(index: number, history: readonly TrialView[]): Params | null {
    return this.proposeWith(history, Rng.derive(this.opts.seed, TPE_STREAM, index), Rng.derive(this.opts.seed, TPE_STREAM, index, 1));
  }

  /**
   * The proposal for `history`, drawing TPE's candidates from `rng` in Optuna's order (the tests
   * pass numpy's generator) and anything else (start-up, the last resort) from `spare`.
   */
  proposeWith(history: readonly TrialView[], rng: UniformSource, spare: Rng): Params | null {
    const held = heldKeys(this.space, history);
    const obs = observations(this.space, this.active, history, this.opts.goal, this.constantLiar);
    const n = obs.filter((o) => o.step < Infinity).length;
    if (n < this.startup || this.active.length === 0) {
      const p = sampleParams(this.space, spare);
      return held.has(paramsKey(this.space, p)) ? untriedConfiguration(this.space, held, spare) : p;
    }
    const split = splitObservations(obs, this.gamma(n));
    const dims = this.active.map((j) => parzenDim(this.space[j].dist));
    const models = this.parzen.multivariate
      ? [{ dims: this.active.map((_, k) => k), model: new Model(obs, split, dims, this.parzen) }]
      : dims.map((d, k) => ({ dims: [k], model: new Model(obs.map((o) => ({ ...o, x: [o.x[k]] })), split, [d], this.parzen) }));
    for (let batch = 0; batch <= EXTRA_BATCHES; batch++) {
      // every model draws its candidates from l and ranks them (Optuna: argmax of the ratio)
      const cols: Float64Array[] = new Array(dims.length);
      const score = new Float64Array(this.candidates);
      const orders: number[][] = [];
      for (const { dims: ks, model } of models) {
        const s = model.below.sample(rng, this.candidates);
        const sc = model.score(s);
        ks.forEach((k, i) => (cols[k] = s[i]));
        sc.forEach((v, i) => (score[i] += v));
        orders.push(argsortDesc(sc));
      }
      const candidates = this.parzen.multivariate
        ? argsortDesc(score).map((i) => cols.map((c) => c[i]))
        : // independent: each parameter's own argmax, then each one's runner-up, and so on
          Array.from({ length: this.candidates }, (_, r) => models.map(({ dims: [k] }, m) => cols[k][orders[m][r]]));
      for (const x of candidates) {
        const p = this.toParams(x);
        if (!held.has(paramsKey(this.space, p))) return p;
      }
      if (batch === 0 && this.size <= EXHAUSTIVE_LIMIT) return this.bestUntried(models, dims.length, held);
    }
    return untriedConfiguration(this.space, held, spare);
  }

  /** The untried configuration of a small finite space with the largest log l - log g (first in grid order on ties). */
  private bestUntried(models: { dims: number[]; model: Model }[], d: number, held: ReadonlySet<string>): Params | null {
    const axes = gridAxes(this.space);
    const free = untriedIndices(this.space, held, axes).map((i) => gridAt(this.space, i, axes));
    if (free.length === 0) return null;
    const cols: Columns = Array.from({ length: d }, (_, k) => {
      const p = this.space[this.active[k]];
      return Float64Array.from(free, (c) => internal(p.dist, c[p.name]) as number);
    });
    const score = new Float64Array(free.length);
    for (const { dims: ks, model } of models) model.score(ks.map((k) => cols[k])).forEach((v, i) => (score[i] += v));
    let best = 0;
    for (let i = 1; i < free.length; i++) if (score[i] > score[best]) best = i;
    return free[best];
  }

  private toParams(x: number[]): Params {
    const out: Params = {};
    let k = 0;
    this.space.forEach((p, j) => {
      if (this.active[k] === j) out[p.name] = external(p.dist, x[k++]);
      else out[p.name] = singleValue(p.dist);
    });
    return out;
  }
}

function singleValue(dist: Distribution): ParamValue {
  return dist.kind === 'categorical' ? dist.choices[0] : dist.low;
}

/** Indices by decreasing value, first index first on ties (numpy argmax order); NaN last. */
function argsortDesc(v: Float64Array): number[] {
  const key = (x: number) => (Number.isNaN(x) ? -Infinity : x);
  return [...v.keys()].sort((a, b) => key(v[b]) - key(v[a]) || a - b);
}

export function tpeSampler(opts: TpeOptions): Sampler {
  return new TpeSampler(opts);
}
