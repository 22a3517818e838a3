/**
 * What the run loop asks a pruner, pure: a trial's intermediate value at an epoch (the mean over
 * its folds of the per-epoch test-fold value of the study's metric; a fold that stopped early keeps
 * its last value), and the study as a pruner sees it, from the storage's records.
 */
import type { EpochRecord } from '../records.js';
import type { PrunerTrial, PruneStudy } from '../search/pruners/index.js';
import type { FoldRecord, IntermediateRecord, StudyRecord, TrialRecord } from '../store/types.js';

/**
 * The per-epoch value pruning looks at: the test-fold loss when the study's metric is `loss`, else
 * the test-fold metric the epochs log (the study's metric; accuracy for the metrics scored from
 * probabilities, such as f1_macro, whose epochs log accuracy).
 */
export function epochValue(metricName: string, r: EpochRecord): number {
  return metricName === 'loss' ? r.testLoss : r.testMetric;
}

/** One fold as the run loop knows it during an epoch: its history so far, and whether it trains on. */
export interface FoldProgress {
  history: readonly EpochRecord[];
  /** Finished (recorded, or stopped early / at its last epoch): its last value stands for later epochs. */
  finished: boolean;
}

/**
 * The trial's intermediate value at `epoch`: the mean over every fold of its value there (a finished
 * fold's last value past its end); null while some fold has not reached the epoch (or not started).
 */
export function intermediateAt(folds: readonly (FoldProgress | undefined)[], epoch: number, metricName: string): number | null {
  let sum = 0;
  for (const f of folds) {
    if (!f || f.history.length === 0) return null;
    const r = f.history[epoch] ?? (f.finished ? f.history[f.history.length - 1] : undefined);
    if (!r) return null;
    sum += epochValue(metricName, r);
  }
  return folds.length === 0 ? null : sum / folds.length;
}

/**
 * The study as a pruner sees it: every trial with its intermediate values (steps 'epochs': the
 * stored per-epoch values; 'folds': its fold scores, by fold) and its rung values.
 */
export function pruneStudy(study: StudyRecord, trials: readonly TrialRecord[], intermediate: readonly IntermediateRecord[], steps: 'epochs' | 'folds', folds?: ReadonlyMap<number, readonly FoldRecord[]>): PruneStudy {
  const values = new Map<number, Map<number, number>>();
  const rungs = new Map<number, Map<number, number>>();
  for (const v of intermediate) {
    const into = v.kind === 'rung' ? rungs : values;
    if (v.kind === 'step' && steps === 'folds') continue;
    if (!into.has(v.trialId)) into.set(v.trialId, new Map());
    into.get(v.trialId)!.set(v.step, v.value);
  }
  if (steps === 'folds') {
    for (const [id, fs] of folds ?? []) values.set(id, new Map(fs.filter((f) => !f.diverged).map((f) => [f.fold, f.score])));
  }
  const view: PrunerTrial[] = trials.map((t) => ({
    number: t.number,
    state: t.state,
    value: t.value,
    values: values.get(t.id) ?? new Map(),
    rungs: rungs.get(t.id) ?? new Map(),
  }));
  return { name: study.name, direction: study.goal, trials: view };
}
