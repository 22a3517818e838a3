/**
 * What the store keeps, as plain frozen records. The store is id-based; a finished trial
 * (complete or fail) never changes again.
 */
import type { Params } from '../search/space.js';
import type { SamplerName } from '../search/sampler.js';

/**
 * running: claimed by a live worker. complete / fail: final. interrupted: stopped by Ctrl-C or by
 * its worker's death; the next run claims it again and trains only its missing folds.
 */
export type TrialState = 'running' | 'complete' | 'fail' | 'interrupted';

export type FailReason = 'diverged' | 'error';

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

export interface StudySummary extends StudyRecord {
  trials: number;
  complete: number;
  failed: number;
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

export interface EpochRow {
  fold: number;
  epoch: number;
  lr: number;
  loss: number;
  metric: number;
  valLoss: number | null;
  valMetric: number | null;
  testLoss: number;
  testMetric: number;
  /** Wall seconds of the epoch; null in databases from before schema 2. */
  seconds: number | null;
}

export interface NewStudy {
  name: string;
  specJson: string;
  metric: string;
  goal: 'maximize' | 'minimize';
  dataSource: string;
  nSamples: number;
  folds: number;
}

/** How a run asks for its next trial. */
export interface ClaimRequest {
  studyId: number;
  sampler: SamplerName;
  /** Grid: the grid's size (indices 0..size-1). Others: Infinity. */
  size: number;
  /** The study may hold at most this many trials (any sampler); Infinity for grid. */
  budget: number;
  /** Parameters of a new trial with this sampler index. */
  propose: (index: number) => Params;
  worker: string;
  /** A running trial whose heartbeat is older than this (ms) is taken as dead. */
  leaseMs: number;
}

export interface FinishTrial {
  state: 'complete' | 'fail';
  value: number | null;
  std: number | null;
  failReason?: FailReason;
  error?: string;
  meanFitTime: number | null;
  meanScoreTime: number | null;
}
