/**
 * Bayesian optimization with a Gaussian process: quasi-random start-up, then the point of highest
 * log expected improvement under a Matérn-5/2 GP fitted to the study's history.
 * - Failed trials never reach the GP as numbers. The points of diverged trials repel the search
 *   (the acquisition is penalized to zero there, see gp/acquisition.ts); other failures are left out.
 * - Running trials (other workers) enter as pseudo-observations at the GP's own prediction
 *   ("kriging believer"), which collapses the improvement there so no two workers propose one point.
 * - The i-th proposal draws its randomness from (seed, i): deterministic for a seed and history.
 */
import { decode, dims as spaceDims, encode, snap, type Dim } from './gp/encode.js';
import { fitKernelParams, GaussianProcess } from './gp/gp.js';
import { maximizeAcquisition, spreadPoints } from './gp/acquisition.js';
import { unlessHeld } from './random.js';
import { mixSeed, Rng } from '../rng.js';
import { heldKeys, type Sampler, type SamplerOptions, type TrialView } from './sampler.js';
import { spaceSize, type Params, type ParamSpace } from './space.js';

const BAYES_STREAM = 0x42415945; // 'BAYE'
export const DEFAULT_STARTUP = 10;

export interface BayesOptions extends SamplerOptions {
  /** Proposals made quasi-randomly before the GP takes over (counted in complete trials). */
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
    if (t.state === 'complete' && t.value !== null && Number.isFinite(t.value)) {
      X.push(x);
      y.push(sign * t.value);
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
    return unlessHeld(this.space, this.proposeAny(index, history), held, Rng.derive(this.opts.seed, BAYES_STREAM, index, 1));
  }

  private proposeAny(index: number, history: readonly TrialView[]): Params {
    const sign = this.opts.goal === 'maximize' ? 1 : -1;
    const seed = mixSeed(this.opts.seed, BAYES_STREAM, index);
    const obs = collect(this.space, history, sign);
    const completeCount = history.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value)).length;
    if (completeCount < this.startup || this.space.length === 0) {
      // start-up: the study's shared Sobol sequence, point `index`
      const [u] = spreadPoints(this.dims, 1, mixSeed(this.opts.seed, BAYES_STREAM), index);
      return decode(this.space, u);
    }
    return decode(this.space, this.suggest(obs, seed));
  }

  /** The next point in the unit cube (exposed for tests and the benchmark). */
  suggest(obs: Observations, seed: number): Float64Array {
    const mean = obs.y.reduce((a, b) => a + b, 0) / obs.y.length;
    const sd = Math.sqrt(obs.y.reduce((a, b) => a + (b - mean) ** 2, 0) / obs.y.length) || 1;
    const y = Float64Array.from(obs.y, (v) => (v - mean) / sd);
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
    const { x } = maximizeAcquisition({ gp, best, avoid: obs.diverged }, this.dims, seed, {
      candidates: this.opts.candidates,
      localStarts: this.opts.localStarts,
      seeds: order.map((i) => obs.X[i]),
    });
    return snap(this.space, x);
  }
}

export function bayesSampler(opts: BayesOptions): Sampler {
  return new BayesSampler(opts);
}
