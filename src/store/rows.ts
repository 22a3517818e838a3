/**
 * Database rows to frozen records, shared by the SQL storages (SQLite, PostgreSQL): both name their
 * columns alike (schema.ts, pg-schema.ts), so one mapping serves both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import type { SamplerName } from '../search/sampler.js';
import type { Distribution, Params } from '../search/space.js';
import type { EpochRow, FoldRecord, IntermediateRecord, StudyRecord, TrialRecord, TrialState } from './types.js';

export type Row = Record<string, unknown>;

/** What a new study records as its maker (studies.created_by). */
export const CREATED_BY = `nnsearch ${(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version}`;

/** params_json of a reserved trial whose parameters are being proposed. */
export const UNPROPOSED = 'null';

export function freeze<T extends object>(o: T): Readonly<T> {
  return Object.freeze(o);
}

/** NaN and infinities are stored as NULL (SQLite has no NaN; PostgreSQL keeps the same rows). */
export function num(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

export function toTrial(r: Row): TrialRecord {
  return freeze({
    id: r.id as number,
    studyId: r.study_id as number,
    number: r.number as number,
    sampler: r.sampler as SamplerName,
    samplerIndex: r.sampler_index as number,
    state: r.state as TrialState,
    params: JSON.parse(r.params_json as string) as Params,
    value: (r.value as number | null) ?? null,
    std: (r.std as number | null) ?? null,
    failReason: (r.fail_reason as TrialRecord['failReason']) ?? null,
    error: (r.error as string | null) ?? null,
    engine: (r.engine as string | null) ?? null,
    startedAt: (r.started_at as string | null) ?? null,
    completedAt: (r.completed_at as string | null) ?? null,
    duration: (r.duration_s as number | null) ?? null,
    meanFitTime: (r.mean_fit_time as number | null) ?? null,
    meanScoreTime: (r.mean_score_time as number | null) ?? null,
    attempts: r.attempts as number,
    worker: (r.worker as string | null) ?? null,
  });
}

export function toFold(r: Row): FoldRecord {
  return freeze({
    fold: r.fold as number,
    score: (r.score as number | null) ?? NaN,
    // NULL: not asked for, or NaN; no column at all in a file before schema 4 opened read-only
    trainScore: (r.train_score as number | null | undefined) ?? null,
    testLoss: (r.test_loss as number | null) ?? NaN,
    fitTime: r.fit_time as number,
    scoreTime: r.score_time as number,
    epochsRun: r.epochs_run as number,
    stoppedEpoch: (r.stopped_epoch as number | null) ?? null,
    restoredEpoch: (r.restored_epoch as number | null) ?? null,
    // SQLite stores 0/1, PostgreSQL a boolean
    diverged: r.diverged === 1 || r.diverged === true,
    trainSize: r.train_size as number,
    testSize: r.test_size as number,
  });
}

export function toEpoch(r: Row): EpochRow {
  return freeze({
    fold: r.fold as number,
    epoch: r.epoch as number,
    lr: r.lr as number,
    loss: (r.loss as number | null) ?? NaN,
    metric: (r.metric as number | null) ?? NaN,
    valLoss: (r.val_loss as number | null) ?? null,
    valMetric: (r.val_metric as number | null) ?? null,
    testLoss: (r.test_loss as number | null) ?? NaN,
    testMetric: (r.test_metric as number | null) ?? NaN,
    seconds: (r.seconds as number | null) ?? null,
  });
}

export function toIntermediate(r: Row): IntermediateRecord {
  return freeze({ trialId: r.trial_id as number, kind: r.kind as 'step' | 'rung', step: r.step as number, value: (r.value as number | null) ?? NaN });
}

export function toStudy(r: Row): StudyRecord {
  return freeze({
    id: r.id as number,
    name: r.name as string,
    specJson: r.spec_json as string,
    metric: r.metric as string,
    goal: r.goal as 'maximize' | 'minimize',
    dataSource: r.data_source as string,
    nSamples: r.n_samples as number,
    folds: r.folds as number,
    createdAt: r.created_at as string,
  });
}

/** Optuna-style internal representation: the number itself, or a categorical's index. */
export function internalValue(dist: Distribution, value: unknown): number | null {
  if (dist.kind === 'categorical') {
    const key = JSON.stringify(value);
    const i = dist.choices.findIndex((c) => JSON.stringify(c) === key);
    return i >= 0 ? i : null;
  }
  return typeof value === 'number' ? value : null;
}
