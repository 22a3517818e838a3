/**
 * What a storage keeps, as plain frozen records. Storage is id-based; a finished trial (complete or
 * fail) never changes again.
 */
import type { EpochRow, FailReason, TrialState } from '../records.js';
import type { SamplerName } from '../search/sampler.js';
import type { Params } from '../search/space.js';

export type { EpochRow, FailReason, TrialState };

export interface StudyRecord {
  id: number;
  name: string;
  /** The normalized spec the study was created from (JSON). */
  specJson: string;
  metric: string;
  goal: 'maximize' | 'minimize';
  dataSource: string;
  nSamples: number;
  folds: number;
  createdAt: string;
}

/** What creating a study takes: everything the storage does not assign itself. */
export type NewStudy = Omit<StudyRecord, 'id' | 'createdAt'>;

export interface StudySummary extends StudyRecord {
  trials: number;
  complete: number;
  failed: number;
  pruned: number;
  running: number;
  best: number | null;
}

export interface TrialRecord {
  id: number;
  studyId: number;
  number: number;
  sampler: SamplerName;
  samplerIndex: number;
  state: TrialState;
  params: Params;
  /** Mean test score over folds (complete trials). */
  value: number | null;
  std: number | null;
  failReason: FailReason | null;
  error: string | null;
  engine: string | null;
  startedAt: string | null;
  completedAt: string | null;
  /** Wall seconds from claim to finish. */
  duration: number | null;
  meanFitTime: number | null;
  meanScoreTime: number | null;
  attempts: number;
  worker: string | null;
}

export interface FoldRecord {
  fold: number;
  score: number;
  /** The metric on the fold's training part (cv.return_train_score), else null. */
  trainScore: number | null;
  testLoss: number;
  fitTime: number;
  scoreTime: number;
  epochsRun: number;
  stoppedEpoch: number | null;
  restoredEpoch: number | null;
  diverged: boolean;
  trainSize: number;
  testSize: number;
}

/** Asking for a running trial of a dead worker, or an interrupted one, to continue. */
export interface ResumeRequest {
  studyId: number;
  worker: string;
  /** A running trial whose heartbeat is older than this (ms) is taken as dead. */
  leaseMs: number;
}

/** Reserving the next trial of a sampler: its number and sampler index, within the budget. */
export interface ReserveRequest {
  studyId: number;
  sampler: SamplerName;
  /** Grid: the grid's size (indices 0..size-1). Others: Infinity. */
  size: number;
  /** The study may hold at most this many trials (any sampler); Infinity for grid. */
  budget: number;
  worker: string;
}

/** A trial number and sampler index held for a proposal that is being made. */
export interface Reservation {
  trialId: number;
  number: number;
  samplerIndex: number;
}

/** How a run asks for its next trial (store/claim.ts). */
export interface ClaimRequest extends ResumeRequest, Omit<ReserveRequest, 'studyId' | 'worker'> {
  /**
   * Parameters of a new trial with this sampler index, or null when the sampler has no untried
   * configuration left. Called outside any transaction.
   */
  propose: (index: number) => Params | null | Promise<Params | null>;
  /** Refuse a configuration another trial of the study already holds (all samplers but grid). */
  unique?: boolean;
}

/**
 * A trial as another storage holds it, added as it is (nnsearch copy): finished or interrupted,
 * with its number, sampler index, folds and epochs.
 */
export interface ImportedTrial {
  trial: Omit<TrialRecord, 'id' | 'studyId' | 'state'> & { state: Exclude<TrialState, 'running'> };
  folds: readonly FoldRecord[];
  /** Every epoch of the trial: those of its folds, and (pruned trials) those of folds stopped early. */
  epochs: readonly EpochRow[];
  intermediate?: readonly IntermediateRow[];
}

/**
 * One intermediate value of a trial (Optuna's trial_intermediate_values): kind 'step' is the value
 * at a step (an epoch: the mean over folds of the test-fold value of the study's metric); kind
 * 'rung' is the value a successive-halving pruner recorded when the trial completed rung `step`
 * (Optuna's `completed_rung_N` system attribute).
 */
export interface IntermediateRow {
  kind: 'step' | 'rung';
  step: number;
  value: number;
}

export interface IntermediateRecord extends IntermediateRow {
  trialId: number;
}

export interface FinishTrial {
  /** pruned: stopped by the study's pruner; `value` is what it reached. */
  state: 'complete' | 'fail' | 'pruned';
  value: number | null;
  std: number | null;
  failReason?: FailReason;
  error?: string;
  meanFitTime: number | null;
  meanScoreTime: number | null;
  /**
   * Pruned trials: the epochs of the folds stopped early (they have no fold record), stored in the
   * same atomic step as the state.
   */
  epochs?: readonly EpochRow[];
}
