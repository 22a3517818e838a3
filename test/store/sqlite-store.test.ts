import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { gridSampler } from '../../src/search/grid.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';
import { SqliteStore, WORKER_ID } from '../../src/store/sqlite-store.js';
import type { ClaimRequest } from '../../src/store/types.js';
import { specFrom } from '../helpers.js';

const spec = specFrom('name: s\nparams:\n  init: [uniform, normal, zero]\n');
const sampler = gridSampler({ space: spec.space });

function fresh(): { store: SqliteStore; studyId: number } {
  const store = SqliteStore.open(':memory:', { create: true });
  const study = store.createStudy({ name: 's', specJson: '{}', metric: 'accuracy', goal: 'maximize', dataSource: 'test', nSamples: 10, folds: 2 });
  return { store, studyId: study.id };
}

const claim = (studyId: number, over: Partial<ClaimRequest> = {}): ClaimRequest => ({
  studyId,
  sampler: 'grid',
  size: sampler.size,
  budget: Infinity,
  propose: (i) => sampler.propose(i, [])!,
  worker: WORKER_ID,
  leaseMs: 60_000,
  ...over,
});

const fold = (f: number, score: number) => ({ fold: f, score, testLoss: 0.5, fitTime: 1, scoreTime: 0.1, epochsRun: 3, stoppedEpoch: null, restoredEpoch: null, diverged: false, trainSize: 8, testSize: 2 });

describe('SQLite store', () => {
  it('claims grid points in order, once each, then nothing', () => {
    const { store, studyId } = fresh();
    const got = [0, 1, 2].map(() => store.claimTrial(claim(studyId), spec.space)!);
    expect(got.map((t) => t.samplerIndex)).toEqual([0, 1, 2]);
    expect(got.map((t) => t.params.init)).toEqual(['uniform', 'normal', 'zero']);
    expect(got.every((t) => t.state === 'running')).toBe(true);
    expect(store.claimTrial(claim(studyId), spec.space)).toBeNull();
  });

  it('stores params with their distribution and internal value', () => {
    const { store, studyId } = fresh();
    const t = store.claimTrial(claim(studyId), spec.space)!;
    const row = store.db.prepare('SELECT * FROM trial_params WHERE trial_id = ?').get(t.id) as { name: string; value_json: string; internal: number; distribution_json: string };
    expect(row).toMatchObject({ name: 'init', value_json: '"uniform"', internal: 0 });
    expect(JSON.parse(row.distribution_json)).toEqual({ kind: 'categorical', choices: ['uniform', 'normal', 'zero'] });
  });

  it('respects the budget across samplers', () => {
    const { store, studyId } = fresh();
    const random = { sampler: 'random' as const, size: Infinity, budget: 2 };
    expect(store.claimTrial(claim(studyId, random), spec.space)).not.toBeNull();
    expect(store.claimTrial(claim(studyId, random), spec.space)).not.toBeNull();
    expect(store.claimTrial(claim(studyId, random), spec.space)).toBeNull();
  });

  it('finishes a trial once; a finished trial never changes', () => {
    const { store, studyId } = fresh();
    const t = store.claimTrial(claim(studyId), spec.space)!;
    store.recordFold(t.id, fold(0, 0.9), [{ fold: 0, epoch: 0, lr: 0.1, loss: 1, metric: 0.5, valLoss: null, valMetric: null, testLoss: 1.1, testMetric: 0.45, seconds: 0.2 }]);
    const done = store.finishTrial(t.id, { state: 'complete', value: 0.9, std: 0, meanFitTime: 1, meanScoreTime: 0.1 });
    expect(done.state).toBe('complete');
    expect(Object.isFrozen(done)).toBe(true);
    expect(() => store.finishTrial(t.id, { state: 'fail', value: null, std: null, meanFitTime: null, meanScoreTime: null })).toThrow(/complete, not running/);
    store.interruptTrial(t.id);
    expect(store.getTrial(t.id)!.state).toBe('complete');
    expect(store.getEpochs(t.id)).toHaveLength(1);
    expect(store.getFolds(t.id)[0].score).toBe(0.9);
  });

  it('hands an interrupted trial back first, keeping its recorded folds', () => {
    const { store, studyId } = fresh();
    const t = store.claimTrial(claim(studyId), spec.space)!;
    store.recordFold(t.id, fold(0, 0.8), []);
    store.interruptTrial(t.id);
    const again = store.claimTrial(claim(studyId), spec.space)!;
    expect(again.id).toBe(t.id);
    expect(again.attempts).toBe(2);
    expect(store.getFolds(t.id).map((f) => f.fold)).toEqual([0]);
  });

  it('takes over a running trial whose worker process is gone', () => {
    const { store, studyId } = fresh();
    const t = store.claimTrial(claim(studyId, { worker: `${WORKER_ID.split(':')[0]}:999999999` }), spec.space)!;
    const next = store.claimTrial(claim(studyId), spec.space)!;
    expect(next.id).toBe(t.id);
    expect(next.worker).toBe(WORKER_ID);
  });

  it('takes over a running trial whose heartbeat is older than the lease', () => {
    const { store, studyId } = fresh();
    const t = store.claimTrial(claim(studyId, { worker: 'elsewhere:1' }), spec.space)!;
    expect(store.claimTrial(claim(studyId, { leaseMs: 60_000 }), spec.space)!.id).not.toBe(t.id);
    store.db.prepare('UPDATE trials SET heartbeat_ms = ? WHERE id = ?').run(Date.now() - 120_000, t.id);
    expect(store.claimTrial(claim(studyId, { leaseMs: 60_000 }), spec.space)!.id).toBe(t.id);
  });

  it('records its schema version, refuses a newer file, and refuses foreign databases', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nns-'));
    const path = join(dir, 'a.db');
    SqliteStore.open(path, { create: true }).close();
    const raw = new Database(path);
    expect((raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value).toBe(String(SCHEMA_VERSION));
    raw.prepare("UPDATE meta SET value = '999' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => SqliteStore.open(path, { create: false })).toThrow(/newer than this nnsearch supports/);
    const foreign = join(dir, 'b.db');
    const f = new Database(foreign);
    f.exec('CREATE TABLE x (a)');
    f.close();
    expect(() => SqliteStore.open(foreign, { create: false })).toThrow(UsageError);
    expect(() => SqliteStore.open(join(dir, 'missing.db'), { create: false })).toThrow(/no such database/);
  });

  it('lists studies with counts and the best value in the study direction', () => {
    const { store, studyId } = fresh();
    for (const v of [0.5, 0.9, 0.7]) {
      const t = store.claimTrial(claim(studyId), spec.space)!;
      store.finishTrial(t.id, { state: 'complete', value: v, std: 0, meanFitTime: 1, meanScoreTime: 0 });
    }
    const [s] = store.listStudies();
    expect(s).toMatchObject({ name: 's', trials: 3, complete: 3, failed: 0, best: 0.9 });
  });
});

describe('schema migrations', () => {
  it('migrates a schema-1 file in place, keeping its data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nns-mig-'));
    const path = join(dir, 'v1.db');
    // a database as nnsearch with schema 1 wrote it
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0]);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '1')").run();
    raw.prepare("INSERT INTO studies (name, spec_json, metric, goal, data_source, n_samples, folds, created_at) VALUES ('old', '{}', 'accuracy', 'maximize', 'x', 10, 2, '2026-01-01')").run();
    raw.prepare("INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, value, std) VALUES (1, 0, 'grid', 0, 'complete', '{\"init\":\"zero\"}', 0.5, 0.1)").run();
    raw.prepare("INSERT INTO epochs (trial_id, fold, epoch, lr, loss, metric, test_loss, test_metric) VALUES (1, 0, 0, 0.1, 1.0, 0.5, 1.1, 0.4)").run();
    raw.close();
    const store = SqliteStore.open(path, { create: false });
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
    const [t] = store.listTrials(store.getStudy('old')!.id);
    expect(t).toMatchObject({ state: 'complete', value: 0.5, params: { init: 'zero' } });
    expect(store.getEpochs(t.id)[0]).toMatchObject({ loss: 1, seconds: null });
    const columns = (store.db.prepare('PRAGMA table_info(epochs)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).toContain('seconds');
    // new studies carry the version that made them
    const s2 = store.createStudy({ name: 'new', specJson: '{}', metric: 'accuracy', goal: 'maximize', dataSource: 'x', nSamples: 1, folds: 2 });
    expect((store.db.prepare('SELECT created_by FROM studies WHERE id = ?').get(s2.id) as { created_by: string }).created_by).toMatch(/^nnsearch \d+\.\d+\.\d+/);
    store.close();
    expect(integrity(path)).toBe('ok');
  });
});

function integrity(path: string): string {
  const d = new Database(path, { readonly: true });
  const r = d.pragma('integrity_check', { simple: true }) as string;
  d.close();
  return r;
}
