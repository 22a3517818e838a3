/**
 * Optuna's WilcoxonPruner (added in Optuna 3.6; optuna/pruners/_wilcoxon.py), with folds as its
 * steps: a trial's scores on the folds done so far are compared, fold by fold (a paired test: every
 * trial sees the same folds), with the best complete trial's scores on the same folds by the
 * one-sided Wilcoxon signed-rank test (zero_method 'zsplit'); the trial is pruned when p <
 * p_threshold, unless the mean of its scores so far is at least as good as the best trial's value
 * (Optuna's safety), and never before n_startup_steps folds are compared.
 */
import { KEEP, PRUNE, type PruneDecision, type Pruner, type PrunerTrial, type PruneStudy } from './pruner.js';
import { wilcoxonSignedRank } from './signed-rank.js';

export interface WilcoxonOptions {
  p_threshold: number;
  n_startup_steps: number;
}

export const WILCOXON_DEFAULTS: WilcoxonOptions = { p_threshold: 0.1, n_startup_steps: 2 };

/** Optuna's study.best_trial: the complete trial of best value, the first of equals. */
export function bestTrial(study: PruneStudy): PrunerTrial | null {
  let best: PrunerTrial | null = null;
  for (const t of study.trials) {
    if (t.state !== 'complete' || t.value === null || Number.isNaN(t.value)) continue;
    if (best === null || (study.direction === 'maximize' ? t.value > (best.value as number) : t.value < (best.value as number))) best = t;
  }
  return best;
}

export class WilcoxonPruner implements Pruner {
  readonly name = 'wilcoxon';
  readonly steps = 'folds';

  constructor(readonly options: WilcoxonOptions = WILCOXON_DEFAULTS) {}

  prune(study: PruneStudy, trial: PrunerTrial): PruneDecision {
    if (trial.values.size === 0) return KEEP;
    const own = [...trial.values.values()];
    if (own.some((v) => !Number.isFinite(v))) return KEEP;
    const best = bestTrial(study);
    if (best === null) return KEEP;
    if ([...best.values.values()].some((v) => !Number.isFinite(v))) return KEEP;
    const diffs: number[] = [];
    for (const s of [...trial.values.keys()].sort((a, b) => a - b)) {
      const b = best.values.get(s);
      if (b !== undefined) diffs.push((trial.values.get(s) as number) - b);
    }
    if (diffs.length < this.options.n_startup_steps) return KEEP;
    const mean = own.reduce((a, b) => a + b, 0) / own.length;
    const bestValue = best.value as number;
    const averageIsBest = study.direction === 'maximize' ? bestValue <= mean : bestValue >= mean;
    const p = wilcoxonSignedRank(diffs, study.direction === 'maximize' ? 'less' : 'greater', 'zsplit').pvalue;
    if (p < this.options.p_threshold && averageIsBest) return KEEP;
    return p < this.options.p_threshold ? PRUNE : KEEP;
  }
}
