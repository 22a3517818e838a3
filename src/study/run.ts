/**
 * The search loop. Each round claims up to `trialsPerRound` trials (store/claim.ts: the sampler
 * proposes outside any transaction), cross-validates them on the engine (the folds of all of them
 * grouped into stacks of compatible models), records every fold as its stack finishes, and finishes
 * each trial (complete, or fail with a reason). A trial's end is always written: an exception fails
 * it, an interruption puts it back in the queue.
 *
 * Pruning: after every epoch of a stack, each trial whose folds all reached that epoch reports its
 * intermediate value (study/pruning.ts) to the storage, where every worker's pruner sees it; the
 * pruner (search/pruners/) is then asked, and a pruned trial is finished as pruned at once (with its
 * unrecorded folds' epochs, in one atomic step) and its models stop training. With `wilcoxon`, whose
 * steps are folds, the round trains fold by fold (fold 0 of every trial, then fold 1, ...) and the
 * pruner is asked after each.
 *
 * Every write names the attempt the trial was claimed in (store/lease.ts holds): when this
 * worker's lease ran out (a stall past --lease) and another worker took the trial over, or
 * finished it, the storage refuses the write; the trial's models stop and it is left to its holder
 * (`onLeaseLost` says so), and the run goes on with other trials.
 */
import { foldJob, summarizeScores } from '../cv/evaluate.js';
import { InterruptedError, LeaseLostError, SpecError, StorageError } from '../errors.js';
import { fitStack, type FitOutcome } from '../engine/fit.js';
import type { EpochRecord } from '../records.js';
import type { Engine, ModelJob } from '../engine/runtime.js';
import { describeParams } from '../models/config.js';
import type { Pruner } from '../search/pruners/index.js';
import type { Sampler, TrialView } from '../search/sampler.js';
import { gridAt, gridAxes } from '../search/grid.js';
import { activeOnly, paramsKey, spaceSize, type ParamSpace } from '../search/space.js';
import { claimTrial } from '../store/claim.js';
import { WORKER_ID } from '../store/lease.js';
import type { Storage } from '../store/storage.js';
import type { FinishTrial, StudyRecord, TrialRecord } from '../store/types.js';
import { checkTrialConfig, type PreparedStudy } from './prepare.js';
import { intermediateAt, pruneStudy, type FoldProgress } from './pruning.js';

export interface Progress {
  /** total: trials the run aims at (grid size or budget); done: trials already finished. */
  start(total: number, done: number): void;
  trialStart(trial: TrialRecord, folds: number, epochs: number): void;
  epoch(trial: TrialRecord, fold: number, record: EpochRecord): void;
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
  /** Polled between epochs: true stops the run (the current trials are interrupted, not failed). */
  shouldStop?: () => boolean;
  /** Stop after this many trials in this run (for tests and workers). */
  maxTrials?: number;
  /** Trials claimed and trained together per round (their folds share stacks). */
  trialsPerRound?: number;
  /** A running trial with no heartbeat for this long is taken over (ms). */
  leaseMs?: number;
  /** Called after every claim: lets tests interrupt at chosen moments. */
  onClaim?: (trial: TrialRecord) => void;
  /** Stops unpromising trials early; null or absent: none. */
  pruner?: Pruner | null;
  /** Called after a trial is pruned (its state written): lets tests interrupt at chosen moments. */
  onPrune?: (trial: TrialRecord) => void;
  /** Called when a trial this worker trains turns out to be held by another (its lease ran out): the run leaves it and goes on. */
  onLeaseLost?: (trial: TrialRecord, message: string) => void;
}

export interface RunSummary {
  trialsRun: number;
  complete: number;
  failed: number;
  pruned: number;
  /** The sampler had no untried configuration left before the budget was met. */
  exhausted: boolean;
}

/**
 * What the study still lacks of the run's aim once the run has ended: grid points no trial holds
 * (whichever sampler made it), or trials short of the budget. Interrupted trials count as missing;
 * `exhausted`: the space has no configuration the study does not hold. Null when the aim is met.
 */
export function shortfall(
  trials: readonly TrialRecord[],
  sampler: Pick<Sampler, 'name' | 'size'>,
  budget: number,
  space: ParamSpace,
): { have: number; want: number; interrupted: number; exhausted: boolean } | null {
  const interrupted = trials.filter((t) => t.state === 'interrupted').length;
  const held = new Set(trials.filter((t) => t.state !== 'interrupted').map((t) => paramsKey(space, t.params)));
  if (sampler.name === 'grid') {
    if (trials.filter((t) => t.sampler === sampler.name && t.state !== 'interrupted').length >= sampler.size) return null;
    const axes = gridAxes(space);
    let have = 0;
    for (let i = 0; i < sampler.size; i++) if (held.has(paramsKey(space, gridAt(space, i, axes)))) have++;
    return have >= sampler.size ? null : { have, want: sampler.size, interrupted, exhausted: false };
  }
  const have = trials.length - interrupted;
  return have >= budget ? null : { have, want: budget, interrupted, exhausted: interrupted === 0 && held.size >= spaceSize(space) };
}

/** What a run aims at (grid size or budget) and how much of it the study already holds, for progress. */
export function plannedTotals(trials: readonly TrialRecord[], sampler: Pick<Sampler, 'name' | 'size'>, budget: number): { total: number; done: number } {
  const finished = trials.filter((t) => t.state === 'complete' || t.state === 'fail' || t.state === 'pruned');
  if (sampler.name === 'grid') return { total: sampler.size, done: finished.filter((t) => t.sampler === sampler.name).length };
  return { total: budget, done: finished.length };
}

const HEARTBEAT_MS = 2000;
const DEFAULT_LEASE_MS = 10 * 60_000;

interface Claimed {
  trial: TrialRecord;
  jobs: { fold: number; job: ModelJob }[];
  /** Epochs of the trial's configuration. */
  epochs: number;
  /** Each fold's history: recorded folds (from the storage) and those training in this round. */
  folds: (FoldProgress | undefined)[];
  /** The trial's final record once pruned. */
  ended?: TrialRecord;
  /** Another worker holds the trial now (this worker's lease ran out): nothing more is written for it. */
  lost?: boolean;
}

export async function runSearch(store: Storage, study: StudyRecord, p: PreparedStudy, opts: RunOptions): Promise<RunSummary> {
  const progress = opts.progress ?? silentProgress;
  const { total, done } = plannedTotals(await store.listTrials(study.id), opts.sampler, opts.budget);
  progress.start(total, done);
  const summary: RunSummary = { trialsRun: 0, complete: 0, failed: 0, pruned: 0, exhausted: false };
  const perRound = Math.max(1, opts.trialsPerRound ?? 1);
  try {
    for (;;) {
      if (opts.shouldStop?.()) throw new InterruptedError();
      const room = (opts.maxTrials ?? Infinity) - summary.trialsRun;
      if (room <= 0) break;
      const claimed: Claimed[] = [];
      let claimedAny = false;
      for (let i = 0; i < Math.min(perRound, room); i++) {
        const trial = await claim(store, study, p, opts);
        if (trial === 'exhausted') summary.exhausted = true;
        if (trial === null || trial === 'exhausted') break;
        claimedAny = true;
        if (opts.shouldStop?.()) {
          // stopped while claiming: put everything claimed this round back untrained
          for (const t of [trial, ...claimed.map((c) => c.trial)]) await store.interruptTrial(t.id);
          throw new InterruptedError();
        }
        opts.onClaim?.(trial);
        const prepared = await prepareTrial(store, p, trial, opts, progress);
        if (prepared) claimed.push(prepared);
        else {
          summary.trialsRun++;
          summary.failed++;
        }
      }
      if (!claimedAny) break;
      if (claimed.length === 0) continue;
      const ended = await trainRound(store, study, p, claimed, opts, progress);
      for (const t of ended) {
        summary.trialsRun++;
        if (t.state === 'complete') summary.complete++;
        else if (t.state === 'pruned') summary.pruned++;
        else summary.failed++;
        progress.trialEnd(t);
      }
    }
  } finally {
    progress.stop();
  }
  return summary;
}

function claim(store: Storage, study: StudyRecord, p: PreparedStudy, opts: RunOptions): Promise<TrialRecord | null | 'exhausted'> {
  return claimTrial(
    store,
    {
      studyId: study.id,
      sampler: opts.sampler.name,
      // grid indices are positions in the grid; other samplers number their proposals without end
      size: opts.sampler.name === 'grid' ? opts.sampler.size : Infinity,
      budget: opts.budget,
      propose: async (index) => {
        const params = opts.sampler.propose(index, await samplerHistory(store, study));
        // conditional parameters that do not apply to this configuration are not part of it
        return params && activeOnly(p.spec.space, params);
      },
      unique: opts.sampler.name !== 'grid',
      worker: WORKER_ID,
      leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
    },
    p.spec.space,
  );
}

/** The study's trials as samplers see them: pruned trials with their last step (TPE ranks them by it). */
async function samplerHistory(store: Storage, study: StudyRecord): Promise<TrialView[]> {
  const trials = await store.listTrials(study.id);
  if (!trials.some((t) => t.state === 'pruned')) return trials;
  const last = new Map<number, number>();
  for (const v of await store.intermediateValues(study.id)) if (v.kind === 'step') last.set(v.trialId, Math.max(last.get(v.trialId) ?? -1, v.step));
  return trials.map((t) => (t.state === 'pruned' ? { ...t, prunedStep: last.get(t.id) ?? null } : t));
}

/** The trial's configuration and its missing folds' jobs; a trial whose configuration is invalid fails here. */
async function prepareTrial(store: Storage, p: PreparedStudy, trial: TrialRecord, opts: RunOptions, progress: Progress): Promise<Claimed | null> {
  const shape = { d: p.data.d, task: p.data.task, nClasses: p.data.nClasses, ...(p.data.shape ? { shape: p.data.shape } : {}) };
  let config;
  try {
    config = checkTrialConfig(p.spec, trial.params, shape, p.metric.name);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const t = await store.finishTrial(trial.id, { state: 'fail', value: null, std: null, failReason: 'error', error: e.message, meanFitTime: null, meanScoreTime: null });
    progress.trialEnd(t);
    return null;
  }
  const k = p.folds.folds.length;
  await store.recordEngine(trial.id, opts.engine.name);
  progress.trialStart(trial, k, config.train.epochs);
  const recorded = new Set((await store.getFolds(trial.id)).map((f) => f.fold));
  const jobs: Claimed['jobs'] = [];
  const folds: Claimed['folds'] = Array.from({ length: k }, () => undefined);
  for (let fold = 0; fold < k; fold++) {
    if (!recorded.has(fold)) jobs.push({ fold, job: foldJob(p.data, p.folds, fold, config, p.metric, p.spec.cv) });
  }
  if (recorded.size > 0) {
    const epochs = await store.getEpochs(trial.id);
    for (const fold of recorded) folds[fold] = { history: epochs.filter((e) => e.fold === fold), finished: true };
  }
  return { trial, jobs, epochs: config.train.epochs, folds };
}

/** Groups every job of the round into stacks the engine accepts. */
function stacksOf(engine: Engine, items: { c: Claimed; fold: number; job: ModelJob }[]): (typeof items)[] {
  const groups: (typeof items)[] = [];
  for (const item of items) {
    const g = groups.find((g) => g.length < engine.maxStack && engine.canStack(g[0].job, item.job));
    if (g) g.push(item);
    else groups.push([item]);
  }
  return groups;
}

type Item = { c: Claimed; fold: number; job: ModelJob };

async function trainRound(store: Storage, study: StudyRecord, p: PreparedStudy, claimed: Claimed[], opts: RunOptions, progress: Progress): Promise<TrialRecord[]> {
  const items: Item[] = claimed.flatMap((c) => c.jobs.map((j) => ({ c, ...j })));
  const pruner = opts.pruner ?? null;
  const failed = new Map<number, string>();
  let lastBeat = Date.now();
  let beating: Promise<void> = Promise.resolve();
  const beat = () => {
    // several beats per lease, however short the lease is
    if (Date.now() - lastBeat > Math.min(HEARTBEAT_MS, (opts.leaseMs ?? DEFAULT_LEASE_MS) / 5)) {
      lastBeat = Date.now();
      beating = beating.then(() => store.heartbeat(claimed.filter((c) => !c.lost && !c.ended).map((c) => c.trial.id)));
    }
  };
  const lose = (c: Claimed, message: string): void => {
    if (c.lost) return;
    c.lost = true;
    opts.onLeaseLost?.(c.trial, message);
  };
  /** Runs a write for a trial; a refused one (LeaseLostError) marks the trial lost. */
  const guarded = async (c: Claimed, write: () => Promise<void>): Promise<void> => {
    try {
      await write();
    } catch (e) {
      if (e instanceof LeaseLostError) lose(c, e.message);
      else throw e;
    }
  };
  const pruned = (c: Claimed, value: number): Promise<void> =>
    guarded(c, async () => {
      c.ended = await finishPruned(store, c, value);
      opts.onPrune?.(c.ended);
    });
  // wilcoxon's steps are folds: fold 0 of every trial of the round, then fold 1, ...
  const stacks =
    pruner?.steps === 'folds'
      ? [...new Set(items.map((i) => i.fold))].sort((a, b) => a - b).flatMap((fold) => stacksOf(opts.engine, items.filter((i) => i.fold === fold)))
      : stacksOf(opts.engine, items);
  try {
    for (const stack of stacks) {
      const live = stack.filter((s) => !failed.has(s.c.trial.id) && !s.c.ended && !s.c.lost);
      if (live.length === 0) continue;
      for (const s of live) s.c.folds[s.fold] = { history: [], finished: false };
      let outcomes: FitOutcome[];
      try {
        outcomes = await fitStack(
          opts.engine,
          live.map((s) => s.job),
          {
            onEpoch: (m, record) => {
              progress.epoch(live[m].c.trial, live[m].fold, record);
              (live[m].c.folds[live[m].fold]!.history as EpochRecord[]).push(record);
              beat();
            },
            onEpochEnd: async (epoch, trained) => {
              for (const [m, s] of live.entries()) if (!trained[m]) s.c.folds[s.fold]!.finished = true;
              await beating;
              return epochEnd(store, study, p, live, epoch, pruner, pruned, (c) => lose(c, `trial ${c.trial.number} is no longer this worker's: its intermediate value was refused`));
            },
            shouldStop: opts.shouldStop,
          },
        );
      } catch (e) {
        if (e instanceof InterruptedError || e instanceof StorageError) throw e;
        for (const s of live) failed.set(s.c.trial.id, e instanceof Error ? e.message : String(e));
        continue;
      }
      await beating;
      for (const [m, o] of outcomes.entries()) {
        const s = live[m];
        if (s.c.ended || s.c.lost || o.pruned) continue;
        await guarded(s.c, () => recordFold(store, s.c.trial, s.fold, s.job, o));
        s.c.folds[s.fold] = { history: o.history, finished: true };
      }
      if (pruner?.steps === 'folds') await foldsEnd(store, study, live, pruner, pruned);
    }
  } catch (e) {
    await beating.catch(() => {});
    // the database went away: the trials stay running, and whoever claims next takes them over
    if (e instanceof StorageError) throw e;
    if (e instanceof InterruptedError) {
      // a pruned trial is final already; the others go back to the queue
      for (const c of claimed) await store.interruptTrial(c.trial.id, c.trial.attempts);
      const back = claimed.filter((c) => !c.ended && !c.lost);
      throw new InterruptedError(`interrupted during trial${back.length > 1 ? 's' : ''} ${back.map((c) => c.trial.number).join(', ')}; run the same command again to continue`);
    }
    for (const c of claimed) if (!failed.has(c.trial.id)) failed.set(c.trial.id, e instanceof Error ? e.message : String(e));
  }
  await beating.catch(() => {});
  const ended: TrialRecord[] = [];
  for (const c of claimed) {
    if (c.ended) ended.push(c.ended);
    else if (!c.lost) await guarded(c, async () => void ended.push(await finish(store, c.trial, failed.get(c.trial.id))));
  }
  return ended;
}

/** The trials of some stack items, once each, in order. */
function trialsOf(live: readonly Item[]): Claimed[] {
  return [...new Set(live.map((s) => s.c))];
}

/**
 * After an epoch of a stack: every trial of it whose folds all reached the epoch reports its
 * intermediate value; an epoch pruner then judges each (never at a trial's last epoch: nothing is
 * left to save). Returns the stack's models to stop.
 */
async function epochEnd(
  store: Storage,
  study: StudyRecord,
  p: PreparedStudy,
  live: readonly Item[],
  epoch: number,
  pruner: Pruner | null,
  pruned: (c: Claimed, value: number) => Promise<void>,
  lost: (c: Claimed) => void,
): Promise<number[]> {
  const asked: { c: Claimed; value: number }[] = [];
  const stop: number[] = [];
  const stopModelsOf = (c: Claimed) => {
    for (const [m, s] of live.entries()) if (s.c === c) stop.push(m);
  };
  /** A report the storage refused: another worker holds the trial now; its models stop. */
  const drop = (c: Claimed) => {
    lost(c);
    stopModelsOf(c);
  };
  for (const c of trialsOf(live)) {
    if (c.ended || c.lost) continue;
    const value = intermediateAt(c.folds, epoch, p.metric.name);
    // a diverged fold fails its trial: it is not pruned on a NaN
    if (value === null || !Number.isFinite(value)) continue;
    if (!(await store.reportIntermediate(c.trial.id, [{ kind: 'step', step: epoch, value }], c.trial.attempts))) {
      drop(c);
      continue;
    }
    if (epoch + 1 < c.epochs) asked.push({ c, value });
  }
  if (!pruner || pruner.steps !== 'epochs' || asked.length === 0) return stop;
  const [trials, intermediate] = await Promise.all([store.listTrials(study.id), store.intermediateValues(study.id)]);
  const view = pruneStudy(study, trials, intermediate, 'epochs');
  for (const { c, value } of asked) {
    const me = view.trials.find((t) => t.number === c.trial.number);
    if (!me) continue;
    const d = pruner.prune(view, me);
    if (d.rungs.length > 0) {
      if (!(await store.reportIntermediate(c.trial.id, d.rungs.map(([rung, v]) => ({ kind: 'rung' as const, step: rung, value: v })), c.trial.attempts))) {
        drop(c);
        continue;
      }
      for (const [rung, v] of d.rungs) (me.rungs as Map<number, number>).set(rung, v);
    }
    if (!d.prune) continue;
    await pruned(c, value);
    if (c.ended) me.state = 'pruned';
    stopModelsOf(c);
  }
  return stop;
}

/** After a stack of one fold (wilcoxon): each trial with folds still to train is judged on the folds it has. */
async function foldsEnd(store: Storage, study: StudyRecord, live: readonly Item[], pruner: Pruner, pruned: (c: Claimed, value: number) => Promise<void>): Promise<void> {
  const [trials, intermediate, folds] = await Promise.all([store.listTrials(study.id), store.intermediateValues(study.id), store.foldsByTrial(study.id)]);
  const view = pruneStudy(study, trials, intermediate, 'folds', folds);
  for (const c of trialsOf(live)) {
    const done = folds.get(c.trial.id) ?? [];
    if (c.ended || c.lost || done.length >= c.folds.length || done.some((f) => f.diverged)) continue;
    const me = view.trials.find((t) => t.number === c.trial.number);
    if (!me || !pruner.prune(view, me).prune) continue;
    await pruned(c, summarizeScores(done.map((f) => f.score)).mean);
    if (c.ended) me.state = 'pruned';
  }
}

/**
 * Finishes a pruned trial in one atomic step: its state, the value it reached, and the epochs of
 * its folds that have no record (stopped by the pruner, or stopped early in the same stack).
 */
async function finishPruned(store: Storage, c: Claimed, value: number): Promise<TrialRecord> {
  const recorded = await store.getFolds(c.trial.id);
  const has = new Set(recorded.map((f) => f.fold));
  const partial = c.folds.flatMap((f, fold) => (f && !has.has(fold) && f.history.length > 0 ? [{ fold, history: f.history }] : []));
  const fitTimes = [...recorded.map((f) => f.fitTime), ...partial.map((f) => f.history.reduce((a, r) => a + (r.seconds ?? 0), 0))];
  const pruned: FinishTrial = {
    state: 'pruned',
    value,
    std: null,
    meanFitTime: fitTimes.length ? fitTimes.reduce((a, b) => a + b, 0) / fitTimes.length : null,
    meanScoreTime: null,
    epochs: partial.flatMap((f) => f.history.map((r) => ({ fold: f.fold, ...r }))),
  };
  return store.finishTrial(c.trial.id, pruned, c.trial.attempts);
}

function recordFold(store: Storage, trial: TrialRecord, fold: number, job: ModelJob, o: FitOutcome): Promise<void> {
  return store.recordFold(
    trial.id,
    {
      fold,
      score: o.score,
      trainScore: o.trainScore,
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
    trial.attempts,
  );
}

/** Complete, or fail with the reason (an error message, or divergence in some fold). */
async function finish(store: Storage, trial: TrialRecord, error: string | undefined): Promise<TrialRecord> {
  const folds = await store.getFolds(trial.id);
  const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const times = { meanFitTime: meanOf(folds.map((f) => f.fitTime)), meanScoreTime: meanOf(folds.map((f) => f.scoreTime)) };
  if (error !== undefined) return store.finishTrial(trial.id, { state: 'fail', value: null, std: null, failReason: 'error', error, ...times }, trial.attempts);
  const diverged = folds.filter((f) => f.diverged).map((f) => f.fold);
  if (diverged.length > 0) {
    const message = `loss became NaN or infinite in fold${diverged.length > 1 ? 's' : ''} ${diverged.join(', ')} with ${describeParams(trial.params)}`;
    return store.finishTrial(trial.id, { state: 'fail', value: null, std: null, failReason: 'diverged', error: message, ...times }, trial.attempts);
  }
  const { mean, std } = summarizeScores(folds.map((f) => f.score));
  return store.finishTrial(trial.id, { state: 'complete', value: mean, std, ...times }, trial.attempts);
}
