/**
 * Bayesian optimization with a Gaussian process: quasi-random start-up, then the configuration of
 * highest log expected improvement under a Matérn-5/2 GP fitted to the study's history.
 * - Scores are warped (standardized, Yeo-Johnson, standardized; gp/warp.ts) so that a few diverging
 *   or chance-level trials do not flatten the differences between good configurations.
 * - The acquisition is judged at configurations only (integers, steps and categories rounded, a grid
 *   search per discrete dimension) with a weak barrier at the bounds; a small finite space is
 *   searched exhaustively (gp/acquisition.ts).
 * - Never a configuration the study holds (any state): the best one it does not hold, or an untried
 *   one at random; null once a finite space is exhausted.
 * - A pruned trial is an observation at the value it reached (its last intermediate value), as
 *   Optuna's GP samplers take pruned trials with `consider_pruned_trials` (SkoptSampler,
 *   CmaEsSampler): the partial value is below what the trial would have reached, so the GP learns
 *   the pruner's verdict that the region is poor, and does not come back to its neighbours. It
 *   counts toward the start-up trials, as Optuna's TPE counts pruned trials there.
 * - Failed trials never reach the GP as numbers. The points of diverged trials repel the search
 *   (the acquisition is penalized to zero there, see gp/acquisition.ts); other failures are left out.
 * - Running trials (other workers) enter as pseudo-observations at the GP's own prediction
 *   ("kriging believer") and repel within a tenth of a lengthscale, so workers spread out.
 * - The i-th proposal draws its randomness from (seed, i): deterministic for a seed and history.
 */
import { decode, dims as spaceDims, encode, snap, type Dim } from './gp/encode.js';
import { fitKernelParams, GaussianProcess } from './gp/gp.js';
import { maximizeAcquisition, spreadPoints } from './gp/acquisition.js';
import { warpScores } from './gp/warp.js';
import { gridAt, gridAxes } from './grid.js';
import { unlessHeld, untriedConfiguration } from './random.js';
import { mixSeed, Rng } from '../rng.js';
import { heldKeys, type Sampler, type SamplerOptions, type TrialView } from './sampler.js';
import { paramsKey, spaceSize, type Params, type ParamSpace } from './space.js';

const BAYES_STREAM = 0x42415945; // 'BAYE'
export const DEFAULT_STARTUP = 10;
/** A finite space is searched exhaustively when its size times (observations + 1)^2 is at most this. */
const EXHAUSTIVE_WORK = 5e7;

export interface BayesOptions extends SamplerOptions {
  /** Proposals made quasi-randomly before the GP takes over (counted in observations: complete and pruned trials). */
  startup?: number;
  candidates?: number;
  localStarts?: number;
}

interface Observations {
  X: Float64Array[];
  y: number[];
  running: Float64Array[];
  diverged: Float64Array[];
}

/** A trial the GP learns from: complete or pruned, with a finite value. */
function observed(t: TrialView): boolean {
  return (t.state === 'complete' || t.state === 'pruned') && t.value !== null && Number.isFinite(t.value);
}

function collect(space: ParamSpace, history: readonly TrialView[], sign: number): Observations {
  const X: Float64Array[] = [];
  const y: number[] = [];
  const failedX: Float64Array[] = [];
  const running: Float64Array[] = [];
  for (const t of history) {
    let x: Float64Array;
    try {
      x = encode(space, t.params);
    } catch {
      continue; // a trial from another space (should not happen within a study)
    }
    if (observed(t)) {
      X.push(x);
      y.push(sign * (t.value as number));
    } else if (t.state === 'fail' && t.failReason === 'diverged') failedX.push(x);
    else if (t.state === 'running') running.push(x);
  }
  return { X, y, running, diverged: failedX };
}

export class BayesSampler implements Sampler {
  readonly name = 'bayes' as const;
  readonly size: number;
  private readonly space: ParamSpace;
  private readonly dims: Dim[];
  private readonly startup: number;

  constructor(private readonly opts: BayesOptions) {
    this.space = opts.space;
    this.dims = spaceDims(opts.space);
    this.startup = opts.startup ?? DEFAULT_STARTUP;
    this.size = spaceSize(opts.space);
  }

  propose(index: number, history: readonly TrialView[]): Params | null {
    const held = heldKeys(this.space, history);
    const spare = Rng.derive(this.opts.seed, BAYES_STREAM, index, 1);
    if (history.filter(observed).length < this.startup || this.space.length === 0) {
      // start-up: the study's shared Sobol sequence, point `index`
      const [u] = spreadPoints(this.dims, 1, mixSeed(this.opts.seed, BAYES_STREAM), index);
      return unlessHeld(this.space, decode(this.space, u), held, spare);
    }
    const sign = this.opts.goal === 'maximize' ? 1 : -1;
    const x = this.suggest(collect(this.space, history, sign), mixSeed(this.opts.seed, BAYES_STREAM, index), held);
    return x ? decode(this.space, x) : untriedConfiguration(this.space, held, spare);
  }

  /**
   * The next point in the unit cube whose configuration `held` does not contain, or null when the
   * search found none (exposed for tests and the benchmark).
   */
  suggest(obs: Observations, seed: number, held: ReadonlySet<string> = new Set()): Float64Array | null {
    const y = warpScores(obs.y);
    const data = { X: obs.X, y, categorical: this.dims.map((d) => d.categorical) };
    const params = fitKernelParams(data, { seed, restarts: 1 });
    let gp = new GaussianProcess(data, params);
    let best = Math.max(...y);
    if (obs.running.length > 0) {
      // kriging believer: the running trials "return" the GP's prediction, which joins the data
      const believed = obs.running.map((x) => gp.posterior(x).mean);
      gp = gp.withObservations(obs.running, believed);
      best = Math.max(best, ...believed);
    }
    // the best observed points are good places to start a local search from
    const order = [...y.keys()].sort((a, b) => y[b] - y[a]).slice(0, 3);
    const n = gp.n;
    const all = this.size * (n + 1) ** 2 <= EXHAUSTIVE_WORK ? this.allPoints() : undefined;
    const r = maximizeAcquisition({ gp, best, avoid: obs.diverged, busy: obs.running }, this.dims, seed, {
      candidates: this.opts.candidates,
      localStarts: this.opts.localStarts,
      seeds: order.map((i) => obs.X[i]),
      snap: (x) => snap(this.space, x),
      held: held.size === 0 ? undefined : (x) => held.has(paramsKey(this.space, decode(this.space, x))),
      all,
    });
    return r ? snap(this.space, r.x) : null;
  }

  /** Every configuration of the (finite) space, encoded, in grid order. */
  private allPoints(): Float64Array[] {
    const axes = gridAxes(this.space);
    return Array.from({ length: this.size }, (_, i) => encode(this.space, gridAt(this.space, i, axes)));
  }
}

export function bayesSampler(opts: BayesOptions): Sampler {
  return new BayesSampler(opts);
}
