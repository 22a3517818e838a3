/**
 * Keras's `model.fit` loop for a stack of models, engine-agnostic: per-epoch learning-rate schedule,
 * seeded shuffling, validation and test monitoring, EarlyStopping (Keras 3 semantics), divergence
 * detection, and the final test-fold score.
 */
import { lrAtEpoch } from '../models/schedules.js';
import { InterruptedError } from '../errors.js';
import type { EpochRecord } from '../records.js';
import { Rng } from '../rng.js';
import { isPredictionMetric, metricGoal } from '../spec/vocabulary.js';
import type { EarlyStoppingSpec } from '../spec/schema.js';
import type { Engine, LossAndMetric, ModelJob, StackRuntime } from './runtime.js';
import { scoreRows } from './scoring.js';

export interface FitOutcome {
  /** The metric on the test fold with the final (or restored best) weights; NaN when diverged. */
  score: number;
  /** The metric on the fold's training part, when the job's scoring asks for it (else null; NaN when diverged). */
  trainScore: number | null;
  testLoss: number;
  history: EpochRecord[];
  epochsRun: number;
  /** Epoch (0-based) EarlyStopping stopped at, or null. */
  stoppedEpoch: number | null;
  /** Epoch whose weights were restored (restore_best), or null. */
  restoredEpoch: number | null;
  diverged: boolean;
  /** Stopped by FitHooks.onEpochEnd (a pruned trial): no final score (NaN), its history is what it trained. */
  pruned: boolean;
  /**
   * Seconds of training of this model: its own epochs' training time where the engine times each
   * model (native, tfjs), else a share of the stack's in proportion to the samples each model trained
   * (webgpu, which runs a stack's models in the same kernels); the epochs' evaluations are shared out
   * the same way.
   */
  fitTime: number;
  /** Seconds of final scoring attributed to this model. */
  scoreTime: number;
  /** The final (or restored) weights, when asked for with FitHooks.keepWeights. */
  weights?: Float32Array[];
}

export interface FitHooks {
  onEpoch?: (model: number, record: EpochRecord) => void;
  /**
   * After every epoch, with which models trained in it: returns the models to stop now (pruned
   * trials); a stopped model's slot trains no more and is not scored.
   */
  onEpochEnd?: (epoch: number, trained: readonly boolean[]) => readonly number[] | Promise<readonly number[]>;
  /** Checked between epochs; when it returns true the fit stops with an interruption error. */
  shouldStop?: () => boolean;
  /** Return each model's final weights in its outcome (for export). */
  keepWeights?: boolean;
}

/** Stream id for the per-epoch shuffle. */
const SHUFFLE_STREAM = 0x53485546; // 'SHUF'

/** The order model visits its `n` fit samples in epoch `epoch` (Keras shuffles every epoch). */
export function epochOrder(n: number, seed: number, epoch: number, shuffle: boolean): Int32Array {
  if (!shuffle) return Int32Array.from({ length: n }, (_, i) => i);
  return Rng.derive(seed, SHUFFLE_STREAM, epoch).permutation(n);
}

/** Keras 3 EarlyStopping as a small state machine. */
export class EarlyStopping {
  wait = 0;
  best: number | null = null;
  bestEpoch: number | null = null;
  stoppedEpoch: number | null = null;
  bestWeights: Float32Array[] | null = null;
  private hasBest = false;
  private readonly better: (a: number, b: number) => boolean;
  private readonly minDelta: number;

  constructor(private readonly spec: EarlyStoppingSpec) {
    const name = spec.monitor.replace(/^val_|^test_/, '');
    const mode = spec.mode !== 'auto' ? spec.mode : metricGoal(name) === 'maximize' ? 'max' : 'min';
    this.better = mode === 'min' ? (a, b) => a < b : (a, b) => a > b;
    this.minDelta = mode === 'min' ? -spec.min_delta : spec.min_delta;
  }

  private isImprovement(value: number, reference: number | null): boolean {
    return reference === null || this.better(value - this.minDelta, reference);
  }

  /**
   * Feeds one epoch's monitored value; returns what to do with the current weights
   * ('keep' them as best, or nothing) and whether training stops.
   */
  onEpochEnd(epoch: number, value: number): { saveWeights: boolean; stop: boolean } {
    if (epoch < this.spec.start_from_epoch) return { saveWeights: false, stop: false };
    // Keras: if no best weights were taken yet, the current ones are the best so far
    const saveWeights = this.spec.restore_best && !this.hasBest;
    if (saveWeights) this.bestEpoch = epoch;
    if (this.spec.restore_best) this.hasBest = true;
    this.wait += 1;
    if (this.isImprovement(value, this.best)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      return { saveWeights: this.spec.restore_best, stop: false };
    }
    if (this.wait >= this.spec.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      return { saveWeights, stop: true };
    }
    return { saveWeights, stop: false };
  }
}

/** The quantity EarlyStopping watches, from an epoch's logs; undefined when it is not logged. */
export function monitoredValue(monitor: string, metricName: string, r: EpochRecord): number | undefined {
  const table: Record<string, number | null> = {
    loss: r.loss,
    [metricName]: r.metric,
    val_loss: r.valLoss,
    [`val_${metricName}`]: r.valMetric,
  };
  const v = table[monitor];
  return v === null ? undefined : v;
}

/** The names EarlyStopping may monitor for a metric and a validation split. */
export function monitorableNames(metricName: string, hasValidation: boolean): string[] {
  const names = ['loss', metricName];
  if (hasValidation) names.push('val_loss', `val_${metricName}`);
  return [...new Set(names)];
}

/** Trains every job of one stack to the end and scores it on its test fold. */
export async function fitStack(engine: Engine, jobs: ModelJob[], hooks: FitHooks = {}): Promise<FitOutcome[]> {
  const stack = await engine.createStack(jobs);
  try {
    return await runFit(stack, jobs, hooks);
  } finally {
    stack.dispose();
  }
}

async function runFit(stack: StackRuntime, jobs: ModelJob[], hooks: FitHooks): Promise<FitOutcome[]> {
  const M = jobs.length;
  const active = jobs.map(() => true);
  const history: EpochRecord[][] = jobs.map(() => []);
  const diverged = jobs.map(() => false);
  const pruned = jobs.map(() => false);
  const stoppers = jobs.map((j) => (j.config.train.earlyStopping ? new EarlyStopping(j.config.train.earlyStopping) : null));
  const hasValidation = jobs.map((j) => j.data.validation.length > 0);
  const maxEpochs = Math.max(...jobs.map((j) => j.config.train.epochs));
  const fitTimes = jobs.map(() => 0);
  let lastTestSeconds = 0;
  for (let epoch = 0; epoch < maxEpochs && active.some(Boolean); epoch++) {
    // Let the event loop run (signals, IPC, progress): a synchronous backend never yields otherwise.
    await new Promise((resolve) => setImmediate(resolve));
    if (hooks.shouldStop?.()) throw new InterruptedError();
    const epochStart = performance.now();
    const lrs = jobs.map((j) => lrAtEpoch(j.config.model.optimizer.learningRate, j.config.train.lrSchedule, epoch));
    const orders = jobs.map((j) => epochOrder(j.data.fit.length, j.seed, epoch, j.config.train.shuffle));
    const trained = await stack.trainEpoch(orders, lrs, active);
    const trainSeconds = (performance.now() - epochStart) / 1000;
    const val: (LossAndMetric | null)[] = hasValidation.some(Boolean) ? await stack.evaluate('validation', active.map((a, m) => a && hasValidation[m])) : jobs.map(() => null);
    const tTest = performance.now();
    const test = await stack.evaluate('test', active);
    lastTestSeconds = (performance.now() - tTest) / 1000;
    const shares = workShares(jobs, active);
    const trainedNow = [...active];
    const evalSeconds = (performance.now() - epochStart) / 1000 - trainSeconds;
    for (let m = 0; m < M; m++) {
      if (!active[m]) continue;
      // the model's own training time where the engine measures it, else its share; evaluation shared
      const seconds = (trained[m].seconds ?? trainSeconds * shares[m]) + evalSeconds * shares[m];
      fitTimes[m] += seconds;
      const record: EpochRecord = {
        epoch,
        lr: lrs[m],
        loss: trained[m].loss,
        metric: trained[m].metric,
        valLoss: hasValidation[m] ? (val[m] as LossAndMetric).loss : null,
        valMetric: hasValidation[m] ? (val[m] as LossAndMetric).metric : null,
        testLoss: test[m].loss,
        testMetric: test[m].metric,
        seconds,
      };
      history[m].push(record);
      hooks.onEpoch?.(m, record);
      if (!Number.isFinite(record.loss)) {
        diverged[m] = true;
        active[m] = false;
        continue;
      }
      const stopper = stoppers[m];
      if (stopper) {
        const value = monitoredValue(jobs[m].config.train.earlyStopping!.monitor, jobs[m].metric, record);
        if (value !== undefined) {
          const { saveWeights, stop } = stopper.onEpochEnd(epoch, value);
          if (saveWeights) stopper.bestWeights = await stack.snapshot(m);
          if (stop) active[m] = false;
        }
      }
      if (epoch + 1 >= jobs[m].config.train.epochs) active[m] = false;
    }
    if (hooks.onEpochEnd) {
      for (const m of await hooks.onEpochEnd(epoch, trainedNow)) {
        if (!active[m]) continue;
        active[m] = false;
        pruned[m] = true;
      }
    }
  }
  // Keras 3 restores the best weights at the end of training, stopped early or not.
  const restored = stoppers.map((s, m) => {
    if (!s?.bestWeights || diverged[m] || pruned[m]) return null;
    const last = history[m][history[m].length - 1];
    if (s.bestEpoch === last.epoch) return null; // already the current weights
    stack.restore(m, s.bestWeights);
    return s.bestEpoch;
  });
  const t1 = performance.now();
  const needsRescore = restored.map((r) => r !== null);
  const rescored = needsRescore.some(Boolean) ? await stack.evaluate('test', needsRescore) : null;
  // The score is the last epoch's test evaluation, or the re-evaluation after a restore.
  const scoreTime = (rescored ? (performance.now() - t1) / 1000 : lastTestSeconds) / M;
  const weights = hooks.keepWeights ? await Promise.all(jobs.map((_, m) => stack.snapshot(m))) : null;
  const outcomes: FitOutcome[] = [];
  for (const [m, job] of jobs.entries()) {
    const last = history[m][history[m].length - 1];
    const final = needsRescore[m] && rescored ? rescored[m] : { loss: last.testLoss, metric: last.testMetric };
    const scored = diverged[m] || pruned[m] ? { score: NaN, trainScore: job.scoring?.trainScore ? NaN : null, seconds: 0 } : await scoreFromOutputs(stack, job, m, final.metric);
    outcomes.push({
      score: scored.score,
      trainScore: scored.trainScore,
      testLoss: final.loss,
      history: history[m],
      epochsRun: history[m].length,
      stoppedEpoch: stoppers[m]?.stoppedEpoch ?? null,
      restoredEpoch: restored[m],
      diverged: diverged[m],
      pruned: pruned[m],
      fitTime: fitTimes[m],
      scoreTime: scoreTime + scored.seconds,
      ...(weights ? { weights: weights[m] } : {}),
    });
  }
  return outcomes;
}

/** Each model's share of a stack's time: the samples it trained over those of every active model. */
function workShares(jobs: ModelJob[], active: boolean[]): number[] {
  const total = jobs.reduce((a, j, m) => a + (active[m] ? j.data.fit.length : 0), 0);
  return jobs.map((j, m) => (active[m] ? (total > 0 ? j.data.fit.length / total : 1 / jobs.length) : 0));
}

/**
 * The fold's final scores: a metric the engines do not compute (macro F1, ROC AUC, ...) and the
 * training-part score are computed from the model's outputs (scoring.ts); an engine metric on the
 * test fold stays the engine's own value.
 */
async function scoreFromOutputs(stack: StackRuntime, job: ModelJob, m: number, engineScore: number): Promise<{ score: number; trainScore: number | null; seconds: number }> {
  const scoring = job.scoring;
  const onTest = scoring !== undefined && isPredictionMetric(scoring.metric);
  if (!scoring || (!onTest && !scoring.trainScore)) return { score: engineScore, trainScore: null, seconds: 0 };
  const t0 = performance.now();
  const weights = await stack.snapshot(m);
  const score = onTest ? scoreRows(scoring.metric, scoring.k, job.config.model, weights, job.data, job.data.test) : engineScore;
  const seconds = (performance.now() - t0) / 1000;
  const trainRows = Int32Array.from([...job.data.fit, ...job.data.validation]);
  const trainScore = scoring.trainScore ? scoreRows(scoring.metric, scoring.k, job.config.model, weights, job.data, trainRows) : null;
  return { score, trainScore, seconds };
}
