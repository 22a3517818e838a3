/**
 * Optuna's SuccessiveHalvingPruner (asynchronous successive halving, ASHA;
 * optuna/pruners/_successive_halving.py). Rung r is reached at step
 * min_resource * reduction_factor^(min_early_stopping_rate + r); a trial reaching it records its
 * value there and goes on only if that value is in the top 1/reduction_factor of every value
 * recorded at that rung so far (by any worker), else it is pruned. With min_resource 'auto', the
 * resource is max(last step of the complete trials // 100, 1), estimated once the first trial
 * completes (no pruning before).
 */
import { KEEP, lastStep, type PruneDecision, type Pruner, type PrunerTrial, type PruneStudy } from './pruner.js';

export interface SuccessiveHalvingOptions {
  min_resource: number | 'auto';
  reduction_factor: number;
  min_early_stopping_rate: number;
  bootstrap_count: number;
}

export const ASHA_DEFAULTS: SuccessiveHalvingOptions = { min_resource: 'auto', reduction_factor: 4, min_early_stopping_rate: 0, bootstrap_count: 0 };

/** Optuna's _estimate_min_resource. */
function estimateMinResource(trials: readonly PrunerTrial[]): number | null {
  const steps = trials.filter((t) => t.state === 'complete').map(lastStep).filter((s): s is number => s !== null);
  if (steps.length === 0) return null;
  return Math.max(Math.floor(Math.max(...steps) / 100), 1);
}

/** Optuna's _is_trial_promotable_to_next_rung (competing holds the trial's own value). */
export function promotable(value: number, competing: number[], reductionFactor: number, direction: 'maximize' | 'minimize'): boolean {
  let idx = Math.floor(competing.length / reductionFactor) - 1;
  if (idx === -1) idx = 0;
  const sorted = [...competing].sort((a, b) => a - b);
  return direction === 'maximize' ? value >= sorted[sorted.length - (idx + 1)] : value <= sorted[idx];
}

export class SuccessiveHalvingPruner implements Pruner {
  readonly name = 'asha';
  readonly steps = 'epochs';
  private minResource: number | null;

  constructor(readonly options: SuccessiveHalvingOptions = ASHA_DEFAULTS) {
    this.minResource = options.min_resource === 'auto' ? null : options.min_resource;
  }

  prune(study: PruneStudy, trial: PrunerTrial): PruneDecision {
    const step = lastStep(trial);
    if (step === null) return KEEP;
    let rung = 0;
    while (trial.rungs.has(rung)) rung++;
    const value = trial.values.get(step) as number;
    const recorded: [number, number][] = [];
    const decide = (prune: boolean): PruneDecision => ({ prune, rungs: recorded });
    for (;;) {
      if (this.minResource === null) {
        this.minResource = estimateMinResource(study.trials);
        if (this.minResource === null) return decide(false);
      }
      const promotionStep = this.minResource * this.options.reduction_factor ** (this.options.min_early_stopping_rate + rung);
      if (step < promotionStep) return decide(false);
      if (Number.isNaN(value)) return decide(true);
      recorded.push([rung, value]);
      const competing = study.trials.filter((t) => t.number !== trial.number && t.rungs.has(rung)).map((t) => t.rungs.get(rung) as number);
      competing.push(value);
      if (competing.length <= this.options.bootstrap_count) return decide(true);
      if (!promotable(value, competing, this.options.reduction_factor, study.direction)) return decide(true);
      rung++;
    }
  }
}
