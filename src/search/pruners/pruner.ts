/**
 * What every pruner is (Optuna's BasePruner): given the study's trials and one running trial's
 * intermediate values so far, say whether to stop that trial now. Pure: the run loop reads the
 * trials from the storage, asks, and records the decision (and the rung values a successive-halving
 * pruner keeps, Optuna's `completed_rung_N` system attributes) itself.
 *
 * A pruner instance keeps what Optuna's instance keeps between calls (an 'auto' resource, once
 * estimated, stays), so each process holds one instance per search, as each Optuna process does.
 */
import type { TrialState } from '../../records.js';

export type PrunerName = 'none' | 'median' | 'asha' | 'hyperband' | 'wilcoxon';

/** A trial as a pruner sees it. */
export interface PrunerTrial {
  number: number;
  state: TrialState;
  /** The trial's value (complete trials: the mean CV score), else null. */
  value: number | null;
  /** Intermediate values by step (epochs, or folds for `wilcoxon`). */
  values: ReadonlyMap<number, number>;
  /** Successive halving: the value the trial had when it completed each rung. */
  rungs: ReadonlyMap<number, number>;
}

export interface PruneStudy {
  /** The study's name: Hyperband assigns trials to brackets by a hash of it and the trial number. */
  name: string;
  direction: 'maximize' | 'minimize';
  /** Every trial of the study, the asking one included. */
  trials: readonly PrunerTrial[];
}

export interface PruneDecision {
  prune: boolean;
  /** Rung values to record for the trial (successive halving), [rung, value]. */
  rungs: [number, number][];
}

export interface Pruner {
  readonly name: Exclude<PrunerName, 'none'>;
  /** What a step is: an epoch (mean over folds) or a fold (its score). */
  readonly steps: 'epochs' | 'folds';
  prune(study: PruneStudy, trial: PrunerTrial): PruneDecision;
}

/** The trial's last step (Optuna's `last_step`), or null when it reported none. */
export function lastStep(t: Pick<PrunerTrial, 'values'>): number | null {
  let last: number | null = null;
  for (const s of t.values.keys()) if (last === null || s > last) last = s;
  return last;
}

export const KEEP: PruneDecision = Object.freeze({ prune: false, rungs: [] }) as PruneDecision;
export const PRUNE: PruneDecision = Object.freeze({ prune: true, rungs: [] }) as PruneDecision;
