/**
 * What every storage of nnsearch provides (a SQLite file, a PostgreSQL server, an in-memory one for
 * tests). Async, so that a storage over the network implements it as naturally as a file.
 *
 * Invariants every implementation keeps (test/store/conformance.ts checks each one):
 * - Records come back frozen; ids are the storage's own; trial numbers count from 0 in a study.
 * - A trial is reserved (a number and a sampler index, within the budget) in one short atomic step,
 *   given its parameters in another; samplers propose in between, outside any transaction.
 *   A reservation not yet given parameters is invisible to listTrials and reports.
 * - Grid indices are handed out once each, lowest free first; the number of trials of a study never
 *   exceeds a reservation's budget, whatever number of processes reserve at once.
 * - A finished trial (complete, fail or pruned) never changes again: finishTrial on it throws,
 *   interruptTrial leaves it as it is, reportIntermediate ignores it. So a pruning decision, written
 *   by finishTrial with the pruned folds' epochs in one atomic step, is made once and never undone.
 * - Intermediate values are kept once per (trial, kind, step): a second report of a step (a resumed
 *   trial training a fold again) keeps the first value.
 * - The run loop writes to a trial it runs with the attempt it claimed (TrialRecord.attempts); a
 *   write for an attempt that is over (the trial was taken over after the writer's lease ran out,
 *   or finished) changes nothing: recordFold and finishTrial throw LeaseLostError,
 *   reportIntermediate returns false, interruptTrial leaves the trial as it is.
 * - A running trial whose worker is gone (same host and pid dead, or no heartbeat within the lease)
 *   is interrupted and resumed by the next claimer, keeping its recorded folds; a dead worker's
 *   reservation that never got parameters is dropped.
 * - Folds and their epochs are recorded atomically, once per (trial, fold).
 * - An imported trial (nnsearch copy) arrives whole, with its folds and epochs, or not at all.
 */
import type { Params, ParamSpace } from '../search/space.js';
import type { EpochRow, FinishTrial, FoldRecord, ImportedTrial, IntermediateRecord, IntermediateRow, NewStudy, Reservation, ReserveRequest, ResumeRequest, StudyRecord, StudySummary, TrialRecord } from './types.js';

export interface Storage {
  /** Where the data lives, for messages: a file path or a URL without its password. */
  readonly location: string;
  close(): Promise<void>;

  getStudy(name: string): Promise<StudyRecord | null>;
  /** Creates the study, or returns the existing one of that name (the caller checks its spec). */
  createStudy(s: NewStudy): Promise<StudyRecord>;
  listStudies(): Promise<StudySummary[]>;

  /** The study's trials that have parameters, by number. */
  listTrials(studyId: number): Promise<TrialRecord[]>;
  getTrial(id: number): Promise<TrialRecord | null>;
  getTrialByNumber(studyId: number, number: number): Promise<TrialRecord | null>;

  /**
   * Interrupts the running trials of dead workers (dropping their unproposed reservations), then
   * claims the interrupted trial of lowest number for `worker`, whichever sampler made it.
   */
  resumeTrial(req: ResumeRequest): Promise<TrialRecord | null>;
  /** Holds the next trial number and sampler index; null when the budget is met or the grid is used up. */
  reserveTrial(req: ReserveRequest): Promise<Reservation | null>;
  /**
   * Gives a reservation its parameters: it becomes a running trial. With `unique`, a configuration
   * another trial of the study holds is refused ('duplicate'; the reservation stays held).
   */
  proposeTrial(trialId: number, params: Params, space: ParamSpace, opts: { unique: boolean }): Promise<TrialRecord | 'duplicate'>;
  /** Drops a reservation that was never given parameters. */
  releaseTrial(trialId: number): Promise<void>;

  heartbeat(trialIds: readonly number[]): Promise<void>;
  recordEngine(trialId: number, engine: string): Promise<void>;
  /** Stores one finished fold of a running trial (in `attempt`, when given) and its epochs, atomically; LeaseLostError otherwise. */
  recordFold(trialId: number, fold: FoldRecord, epochs: readonly EpochRow[], attempt?: number): Promise<void>;
  getFolds(trialId: number): Promise<FoldRecord[]>;
  /** Every fold of every trial of a study, keyed by trial id. */
  foldsByTrial(studyId: number): Promise<Map<number, FoldRecord[]>>;
  getEpochs(trialId: number): Promise<EpochRow[]>;
  /**
   * Stores intermediate values of a running trial (in `attempt`, when given) in one atomic step,
   * each (kind, step) once (a value already there stays); nothing for a trial that is not running.
   * Returns whether the trial is running in that attempt.
   */
  reportIntermediate(trialId: number, rows: readonly IntermediateRow[], attempt?: number): Promise<boolean>;
  /** Every intermediate value of a study's proposed trials, by trial id, kind and step. */
  intermediateValues(studyId: number): Promise<IntermediateRecord[]>;
  /**
   * Ends a running trial (in `attempt`, when given) with a pruned trial's partial epochs,
   * atomically; a trial not running (in that attempt) never changes: LeaseLostError.
   */
  finishTrial(trialId: number, f: FinishTrial, attempt?: number): Promise<TrialRecord>;
  /** Puts a running trial (in `attempt`, when given) back for the next run (Ctrl-C); its recorded folds stay. */
  interruptTrial(trialId: number, attempt?: number): Promise<void>;

  /**
   * Adds a finished or interrupted trial with its folds and epochs as they are, in one atomic step
   * (nnsearch copy). Its number and sampler index must be free in the study (throws otherwise); it
   * holds its configuration key unless another trial of the study does.
   */
  importTrial(studyId: number, t: ImportedTrial, space: ParamSpace): Promise<TrialRecord>;
}
