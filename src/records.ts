/**
 * The records a study is made of, shared by every layer (types only): a trial's state and why it
 * failed, and one epoch of one model as the fit loop produces it and the store keeps it.
 */

/**
 * running: claimed by a live worker. complete / fail / pruned: final (pruned: stopped early by the
 * study's pruner; its value is its last intermediate value, as Optuna's). interrupted: stopped by
 * Ctrl-C or by its worker's death; the next run claims it again and trains only its missing folds.
 */
export type TrialState = 'running' | 'complete' | 'fail' | 'pruned' | 'interrupted';

export type FailReason = 'diverged' | 'error';

/** One epoch of one model, as stored and plotted. */
export interface EpochRecord {
  epoch: number;
  lr: number;
  loss: number;
  metric: number;
  valLoss: number | null;
  valMetric: number | null;
  /** Test-fold monitoring only: never used to stop or select. */
  testLoss: number;
  testMetric: number;
  /**
   * Wall seconds of the model's epoch: its own training time where the engine times each model (else a
   * share of its stack's), plus a share of the epoch's evaluations; null in databases from before schema 2.
   */
  seconds: number | null;
}

/** An epoch record of one fold of a trial. */
export type EpochRow = EpochRecord & { fold: number };
