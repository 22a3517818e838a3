/**
 * Optuna's MedianPruner (PercentilePruner at 50, optuna/pruners/_percentile.py): after
 * `n_startup_trials` complete trials and `n_warmup_steps` steps, at the first step of every
 * `interval_steps`, prune when the trial's best intermediate value so far is worse than the median
 * of the complete trials' values at the same step (given at least `n_min_trials` of them).
 */
import { KEEP, lastStep, PRUNE, type PruneDecision, type Pruner, type PrunerTrial, type PruneStudy } from './pruner.js';

export interface MedianOptions {
  n_startup_trials: number;
  n_warmup_steps: number;
  interval_steps: number;
  n_min_trials: number;
}

export const MEDIAN_DEFAULTS: MedianOptions = { n_startup_trials: 5, n_warmup_steps: 0, interval_steps: 1, n_min_trials: 1 };

/** numpy.nanpercentile with linear interpolation; NaN when every value is NaN. */
export function nanPercentile(values: readonly number[], q: number): number {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const pos = (q / 100) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, xs.length - 1);
  const frac = pos - lo;
  // numpy's _lerp: a + (b - a) * t, and b - (b - a) * (1 - t) for t >= 0.5
  const d = xs[hi] - xs[lo];
  return frac >= 0.5 ? xs[hi] - d * (1 - frac) : xs[lo] + d * frac;
}

/** Optuna's _is_first_in_interval_step. */
export function isFirstInIntervalStep(step: number, steps: Iterable<number>, warmup: number, interval: number): boolean {
  const nearestLower = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLower;
}

export class MedianPruner implements Pruner {
  readonly name = 'median';
  readonly steps = 'epochs';
  private readonly percentile = 50;

  constructor(readonly options: MedianOptions = MEDIAN_DEFAULTS) {}

  prune(study: PruneStudy, trial: PrunerTrial): PruneDecision {
    const complete = study.trials.filter((t) => t.state === 'complete');
    if (complete.length === 0 || complete.length < this.options.n_startup_trials) return KEEP;
    const step = lastStep(trial);
    if (step === null || step < this.options.n_warmup_steps) return KEEP;
    if (!isFirstInIntervalStep(step, trial.values.keys(), this.options.n_warmup_steps, this.options.interval_steps)) return KEEP;
    const own = [...trial.values.values()].filter((v) => !Number.isNaN(v));
    if (own.length === 0) return PRUNE;
    const best = study.direction === 'maximize' ? Math.max(...own) : Math.min(...own);
    const atStep = complete.filter((t) => t.values.has(step)).map((t) => t.values.get(step) as number);
    if (atStep.length < this.options.n_min_trials) return KEEP;
    const p = nanPercentile(atStep, study.direction === 'maximize' ? 100 - this.percentile : this.percentile);
    if (Number.isNaN(p)) return KEEP;
    return (study.direction === 'maximize' ? best < p : best > p) ? PRUNE : KEEP;
  }
}
