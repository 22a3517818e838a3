/**
 * The search loop: claim a trial, cross-validate it on the engine, record every fold as it finishes,
 * finish the trial (complete, or fail with a reason), repeat until the sampler or budget is done.
 * A trial's end is always written, in a `finally`-like path: interrupted trials go back to the queue.
 */
import { fitJobs, foldJob, summarizeScores } from '../cv/evaluate.js';
import { InterruptedError, SpecError } from '../errors.js';
import { Interrupted, type EpochRecord, type FitOutcome } from '../engine/fit.js';
import type { Engine, ModelJob } from '../engine/runtime.js';
import { describeParams } from '../models/config.js';
import type { Sampler } from '../search/sampler.js';
import { WORKER_ID, type SqliteStore } from '../store/sqlite-store.js';
import type { StudyRecord, TrialRecord } from '../store/types.js';
import { checkTrialConfig, type PreparedStudy } from './prepare.js';

export interface Progress {
  /** total: trials the run aims at (grid size or budget); done: trials already finished. */
  start(total: number, done: number): void;
  trialStart(trial: TrialRecord, folds: number, epochs: number): void;
  epoch(fold: number, record: EpochRecord): void;
  trialEnd(trial: TrialRecord): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, trialStart() {}, epoch() {}, trialEnd() {}, stop() {} };

export interface RunOptions {
  sampler: Sampler;
  /** Study-wide number of trials to reach; Infinity for grid. */
  budget: number;
  engine: Engine;
  progress?: Progress;
  /** Polled between epochs: true stops the run (the current trial is interrupted, not failed). */
  shouldStop?: () => boolean;
  /** Stop after this many trials in this run (for tests and workers). */
  maxTrials?: number;
  /** A running trial with no heartbeat for this long is taken over (ms). */
  leaseMs?: number;
}

export interface RunSummary {
  trialsRun: number;
  complete: number;
  failed: number;
}

const HEARTBEAT_MS = 2000;

export async function runSearch(store: SqliteStore, study: StudyRecord, p: PreparedStudy, opts: RunOptions): Promise<RunSummary> {
  const progress = opts.progress ?? silentProgress;
  const shape = { d: p.data.d, task: p.data.task, nClasses: p.data.nClasses };
  const existing = store.listTrials(study.id);
  const finished = (t: TrialRecord) => t.state === 'complete' || t.state === 'fail';
  const total = Number.isFinite(opts.sampler.size)
    ? opts.sampler.size
    : opts.budget;
  const done = Number.isFinite(opts.sampler.size)
    ? existing.filter((t) => t.sampler === opts.sampler.name && finished(t)).length
    : existing.filter(finished).length;
  progress.start(total, done);
  const summary: RunSummary = { trialsRun: 0, complete: 0, failed: 0 };
  try {
    while (summary.trialsRun < (opts.maxTrials ?? Infinity)) {
      if (opts.shouldStop?.()) throw new InterruptedError('interrupted');
      const trial = store.claimTrial(
        {
          studyId: study.id,
          sampler: opts.sampler.name,
          size: opts.sampler.size,
          budget: opts.budget,
          propose: (index) => opts.sampler.propose(index, store.listTrials(study.id)),
          worker: WORKER_ID,
          leaseMs: opts.leaseMs ?? 10 * 60_000,
        },
        p.spec.space,
      );
      if (!trial) break;
      const ended = await runTrial(store, p, trial, shape, opts, progress);
      summary.trialsRun++;
      if (ended.state === 'complete') summary.complete++;
      else summary.failed++;
      progress.trialEnd(ended);
    }
  } finally {
    progress.stop();
  }
  return summary;
}

async function runTrial(
  store: SqliteStore,
  p: PreparedStudy,
  trial: TrialRecord,
  shape: { d: number; task: 'classification' | 'regression'; nClasses: number },
  opts: RunOptions,
  progress: Progress,
): Promise<TrialRecord> {
  const k = p.folds.folds.length;
  try {
    let config;
    try {
      config = checkTrialConfig(p.spec, trial.params, shape, p.metric.name);
    } catch (e) {
      if (e instanceof SpecError) return store.finishTrial(trial.id, { state: 'fail', value: null, std: null, failReason: 'error', error: e.message, meanFitTime: null, meanScoreTime: null });
      throw e;
    }
    store.recordEngine(trial.id, opts.engine.name);
    progress.trialStart(trial, k, config.train.epochs);
    const recorded = new Set(store.getFolds(trial.id).map((f) => f.fold));
    const jobs: { fold: number; job: ModelJob }[] = [];
    for (let fold = 0; fold < k; fold++) {
      if (!recorded.has(fold)) jobs.push({ fold, job: foldJob(p.data, p.folds, fold, config, p.metric.name, p.spec.cv.shuffle) });
    }
    let lastBeat = Date.now();
    await fitJobs(
      opts.engine,
      jobs,
      (fold, o: FitOutcome) => {
        const job = jobs.find((j) => j.fold === fold)!.job;
        store.recordFold(
          trial.id,
          {
            fold,
            score: o.score,
            testLoss: o.testLoss,
            fitTime: o.fitTime,
            scoreTime: o.scoreTime,
            epochsRun: o.epochsRun,
            stoppedEpoch: o.stoppedEpoch,
            restoredEpoch: o.restoredEpoch,
            diverged: o.diverged,
            trainSize: job.data.fit.length + job.data.validation.length,
            testSize: job.data.test.length,
          },
          o.history.map((h) => ({ fold, ...h })),
        );
      },
      (fold) => ({
        onEpoch: (_m, record) => {
          progress.epoch(fold, record);
          if (Date.now() - lastBeat > HEARTBEAT_MS) {
            store.heartbeat(trial.id);
            lastBeat = Date.now();
          }
        },
        shouldStop: opts.shouldStop,
      }),
    );
    const folds = store.getFolds(trial.id);
    const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const times = { meanFitTime: meanOf(folds.map((f) => f.fitTime)), meanScoreTime: meanOf(folds.map((f) => f.scoreTime)) };
    const diverged = folds.filter((f) => f.diverged).map((f) => f.fold);
    if (diverged.length > 0) {
      return store.finishTrial(trial.id, {
        state: 'fail',
        value: null,
        std: null,
        failReason: 'diverged',
        error: `loss became NaN or infinite in fold${diverged.length > 1 ? 's' : ''} ${diverged.join(', ')} with ${describeParams(trial.params)}`,
        ...times,
      });
    }
    const { mean, std } = summarizeScores(folds.map((f) => f.score));
    return store.finishTrial(trial.id, { state: 'complete', value: mean, std, ...times });
  } catch (e) {
    if (e instanceof Interrupted || e instanceof InterruptedError) {
      store.interruptTrial(trial.id);
      throw new InterruptedError(`interrupted during trial ${trial.number}; run the same command again to continue`);
    }
    const message = e instanceof Error ? e.message : String(e);
    return store.finishTrial(trial.id, { state: 'fail', value: null, std: null, failReason: 'error', error: message, meanFitTime: null, meanScoreTime: null });
  }
}
