import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { claimTrial } from '../../src/store/claim.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { TrialRecord } from '../../src/store/types.js';
import { specFrom } from '../helpers.js';
import { claimRequest } from './conformance.js';

// What every storage must do is in conformance.ts (run on SQLite by storage.test.ts); here, what is
// SQLite's own: the rows it writes, its schema versions and migrations.

const spec = specFrom('name: s\nparams:\n  init: [uniform, normal, zero]\n');

async function fresh(): Promise<{ store: SqliteStore; studyId: number }> {
  const store = SqliteStore.open(':memory:', { create: true });
  const study = await store.createStudy({ name: 's', specJson: '{}', metric: 'accuracy', goal: 'maximize', dataSource: 'test', nSamples: 10, folds: 2 });
  return { store, studyId: study.id };
}

describe('SQLite store', () => {
  it('stores params with their distribution and internal value', async () => {
    const { store, studyId } = await fresh();
    const t = (await claimTrial(store, claimRequest(studyId), spec.space)) as TrialRecord;
    const row = store.db.prepare('SELECT * FROM trial_params WHERE trial_id = ?').get(t.id) as { name: string; value_json: string; internal: number; distribution_json: string };
    expect(row).toMatchObject({ name: 'init', value_json: '"uniform"', internal: 0 });
    expect(JSON.parse(row.distribution_json)).toEqual({ kind: 'categorical', choices: ['uniform', 'normal', 'zero'] });
  });

  it('records its schema version, refuses a newer file, and refuses foreign databases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nns-'));
    const path = join(dir, 'a.db');
    await SqliteStore.open(path, { create: true }).close();
    const raw = new Database(path);
    expect((raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value).toBe(String(SCHEMA_VERSION));
    raw.prepare("UPDATE meta SET value = '999' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => SqliteStore.open(path, { create: false })).toThrow(/newer than this nnsearch supports/);
    const foreign = join(dir, 'b.db');
    const f = new Database(foreign);
    f.exec('CREATE TABLE x (a)');
    f.close();
    expect(() => SqliteStore.open(foreign, { create: false })).toThrow(StorageError);
    expect(() => SqliteStore.open(join(dir, 'missing.db'), { create: false })).toThrow(/no such database/);
  });
});

describe('schema migrations', () => {
  it('migrates a schema-1 file in place, keeping its data', async () => {
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
    const [t] = await store.listTrials((await store.getStudy('old'))!.id);
    expect(t).toMatchObject({ state: 'complete', value: 0.5, params: { init: 'zero' } });
    expect((await store.getEpochs(t.id))[0]).toMatchObject({ loss: 1, seconds: null });
    const columns = (store.db.prepare('PRAGMA table_info(epochs)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).toContain('seconds');
    // new studies carry the version that made them
    const s2 = await store.createStudy({ name: 'new', specJson: '{}', metric: 'accuracy', goal: 'maximize', dataSource: 'x', nSamples: 1, folds: 2 });
    expect((store.db.prepare('SELECT created_by FROM studies WHERE id = ?').get(s2.id) as { created_by: string }).created_by).toMatch(/^nnsearch \d+\.\d+\.\d+/);
    await store.close();
    expect(integrity(path)).toBe('ok');
  });
});

describe('schema 3', () => {
  it('gives the trials of an older file their configuration keys, the first of a repeated one holding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nns-mig3-'));
    const path = join(dir, 'v2.db');
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0]);
    raw.exec(MIGRATIONS[1]);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '2')").run();
    raw.prepare("INSERT INTO studies (name, spec_json, metric, goal, data_source, n_samples, folds, created_at) VALUES ('old', '{}', 'accuracy', 'maximize', 'x', 10, 2, '2026-01-01')").run();
    for (const [n, init] of [[0, 'zero'], [1, 'zero'], [2, 'normal']] as const) {
      raw.prepare(`INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, value) VALUES (1, ?, 'bayes', ?, 'complete', ?, 0.5)`).run(n, n, JSON.stringify({ init }));
    }
    raw.close();
    const store = SqliteStore.open(path, { create: false });
    const keys = (store.db.prepare('SELECT number, config_key FROM trials ORDER BY number').all() as { number: number; config_key: string | null }[]).map((r) => r.config_key !== null);
    expect(keys).toEqual([true, false, true]);
    // the repeated configuration is now refused to new unique proposals
    const r = (await store.reserveTrial({ studyId: 1, sampler: 'random', size: Infinity, budget: Infinity, worker: 'w:1' }))!;
    expect(await store.proposeTrial(r.trialId, { init: 'zero' }, spec.space, { unique: true })).toBe('duplicate');
    await store.close();
  });
});

describe('schema 5', () => {
  it('migrates a version-4 file in place: trials rebuilt for the pruned state, their ids, folds, epochs and indexes kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nns-mig5-'));
    const path = join(dir, 'v4.db');
    const raw = new Database(path);
    for (let v = 0; v < 4; v++) raw.exec(MIGRATIONS[v]);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '4')").run();
    raw.prepare("INSERT INTO studies (name, spec_json, metric, goal, data_source, n_samples, folds, created_at) VALUES ('old', '{}', 'accuracy', 'maximize', 'x', 10, 2, '2026-01-01')").run();
    raw.prepare(`INSERT INTO trials (id, study_id, number, sampler, sampler_index, state, params_json, config_key, value, std) VALUES (7, 1, 0, 'random', 0, 'complete', '{"init":"zero"}', 'k0', 0.5, 0.1)`).run();
    raw.prepare(`INSERT INTO trials (id, study_id, number, sampler, sampler_index, state, params_json, config_key) VALUES (9, 1, 1, 'random', 1, 'interrupted', '{"init":"normal"}', 'k1')`).run();
    raw.prepare('INSERT INTO fold_results (trial_id, fold, score, fit_time, score_time, epochs_run, diverged, train_size, test_size, train_score) VALUES (7, 0, 0.5, 1, 0.1, 1, 0, 8, 2, 0.6)').run();
    raw.prepare('INSERT INTO epochs (trial_id, fold, epoch, lr, loss, metric, test_loss, test_metric, seconds) VALUES (7, 0, 0, 0.1, 1.0, 0.5, 1.1, 0.4, 0.25)').run();
    raw.prepare(`INSERT INTO trial_params (trial_id, name, value_json, internal, distribution_json) VALUES (7, 'init', '"zero"', 0, '{}')`).run();
    expect(() => raw.prepare("UPDATE trials SET state = 'pruned' WHERE id = 9").run()).toThrow(/CHECK constraint/);
    raw.close();

    const store = SqliteStore.open(path, { create: true });
    expect(store.schemaVersion()).toBe(5);
    const study = (await store.getStudy('old'))!;
    expect((await store.listTrials(study.id)).map((t) => [t.id, t.number, t.state, t.value])).toEqual([
      [7, 0, 'complete', 0.5],
      [9, 1, 'interrupted', null],
    ]);
    expect(await store.getFolds(7)).toMatchObject([{ fold: 0, score: 0.5, trainScore: 0.6 }]);
    expect(await store.getEpochs(7)).toMatchObject([{ epoch: 0, seconds: 0.25 }]);
    expect((store.db.prepare('SELECT count(*) AS n FROM trial_params').get() as { n: number }).n).toBe(1);
    // the indexes came back: a configuration is still held, states are indexed
    const indexes = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trials' AND sql IS NOT NULL").all() as { name: string }[]).map((r) => r.name).sort();
    expect(indexes).toEqual(['trials_by_config', 'trials_by_state']);
    expect(() => store.db.prepare("UPDATE trials SET config_key = 'k0' WHERE id = 9").run()).toThrow(/UNIQUE/);
    // foreign keys are on again and cascade to the rebuilt table
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    // the interrupted trial resumes and can now be pruned, with its intermediate values
    const t = (await store.resumeTrial({ studyId: study.id, worker: 'w:1', leaseMs: 60_000 }))!;
    expect(t.id).toBe(9);
    await store.reportIntermediate(9, [{ kind: 'step', step: 0, value: 0.3 }]);
    expect(await store.finishTrial(9, { state: 'pruned', value: 0.3, std: null, meanFitTime: null, meanScoreTime: null })).toMatchObject({ state: 'pruned', value: 0.3 });
    expect(await store.intermediateValues(study.id)).toMatchObject([{ trialId: 9, kind: 'step', step: 0, value: 0.3 }]);
    await store.close();
    expect(integrity(path)).toBe('ok');
    const check = new Database(path, { readonly: true });
    expect(check.pragma('foreign_key_check')).toEqual([]);
    check.close();
  });
});

function integrity(path: string): string {
  const d = new Database(path, { readonly: true });
  const r = d.pragma('integrity_check', { simple: true }) as string;
  d.close();
  return r;
}
