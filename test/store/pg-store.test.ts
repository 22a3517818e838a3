import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { claimTrial } from '../../src/store/claim.js';
import { PG_MIGRATIONS } from '../../src/store/pg-schema.js';
import { PgStore } from '../../src/store/pg-store.js';
import { ambiguousUrl, DEFAULT_CONNECT_TIMEOUT_MS, isPostgresUrl, pgClientConfig, redactUrl, urlSecrets } from '../../src/store/pg-url.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import type { TrialRecord } from '../../src/store/types.js';
import { describePostgres, type PgCluster } from '../fixtures/postgres.js';
import { specFrom } from '../helpers.js';
import { claimRequest } from './conformance.js';

// What every storage must do is in conformance.ts (run on PostgreSQL by storage.test.ts); here,
// what is PostgreSQL's own: URLs and their secrets, schema versions, a server that goes away.

const spec = specFrom('name: s\nparams:\n  init: [uniform, normal, zero]\n');
const newStudy = { name: 's', specJson: '{}', metric: 'accuracy', goal: 'maximize' as const, dataSource: 'test', nSamples: 10, folds: 2 };

describe('PostgreSQL URLs', () => {
  it('recognizes both schemes', () => {
    expect(isPostgresUrl('postgresql://h/db')).toBe(true);
    expect(isPostgresUrl('postgres://h/db')).toBe(true);
    expect(isPostgresUrl('nnsearch.db')).toBe(false);
    expect(isPostgresUrl('/tmp/postgresql://x.db')).toBe(false);
  });

  it('redacts the password wherever the URL carries one', () => {
    expect(redactUrl('postgresql://ann:s3cret@db.example:5433/hp')).toBe('postgresql://ann:***@db.example:5433/hp');
    expect(redactUrl('postgresql://ann:p%40ss%2Fw@db/hp?sslmode=require')).toBe('postgresql://ann:***@db/hp?sslmode=require');
    expect(redactUrl('postgresql://db/hp?user=ann&password=s3cret&sslpassword=k3y')).toBe('postgresql://db/hp?user=ann&password=***&sslpassword=***');
    expect(redactUrl('postgresql://ann:s3cret@/hp?host=/var/run/postgresql')).toBe('postgresql://ann:***@/hp?host=/var/run/postgresql');
    expect(redactUrl('postgresql://ann@db/hp')).toBe('postgresql://ann@db/hp');
    // unencoded '@' or '/' in the password: nothing of the URL after the scheme is shown
    for (const bad of ['postgresql://ann:p@ss@db/hp', 'postgresql://ann:pa/ss@db/hp', 'postgresql://ann:pa?ss@db/hp']) {
      expect(ambiguousUrl(bad)).toBe(true);
      expect(redactUrl(bad)).toMatch(/^postgresql:\/\/\*\*\* \(percent-encode/);
    }
    expect(ambiguousUrl('postgresql://ann:p%40ss@db/hp?sslmode=require')).toBe(false);
  });

  it('lists the secrets a URL carries, as written and decoded, for scrubbing messages', () => {
    expect(urlSecrets('postgresql://ann:p%40ss@db/hp?sslpassword=k%2Fey')).toEqual(expect.arrayContaining(['p%40ss', 'p@ss', 'k%2Fey', 'k/ey']));
    expect(urlSecrets('postgresql://ann@db/hp')).toEqual([]);
  });

  it('passes libpq options through with their libpq meaning', () => {
    const c = pgClientConfig('postgresql://ann:pw@db:5433/hp?sslmode=require&application_name=lab&options=-c%20search_path%3Dnns&connect_timeout=3&keepalives_idle=30');
    expect(c).toMatchObject({ host: 'db', port: 5433, database: 'hp', user: 'ann', password: 'pw', application_name: 'lab', options: '-c search_path=nns', connectionTimeoutMillis: 3000, keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
    // libpq's require: encrypted, certificate not verified
    expect(c.ssl).toMatchObject({ rejectUnauthorized: false });
    expect(pgClientConfig('postgresql://db/hp?sslmode=disable').ssl).toBe(false);
    expect(pgClientConfig('postgresql://db/hp?sslmode=verify-full').ssl).toEqual({});
    expect(pgClientConfig('postgresql://db/hp?keepalives=0')).toMatchObject({ keepAlive: false, connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS, fallback_application_name: 'nnsearch' });
    expect(pgClientConfig('postgresql://ann@/hp?host=/var/run/postgresql')).toMatchObject({ host: '/var/run/postgresql', database: 'hp' });
    expect(() => pgClientConfig('postgresql://db/hp?connect_timeout=soon')).toThrow(/connect_timeout/);
  });
});

async function fresh(cluster: PgCluster): Promise<{ store: PgStore; url: string; db: string; studyId: number }> {
  const url = await cluster.createDatabase();
  const db = new URL(url).pathname.slice(1);
  const store = await PgStore.open(url, { create: true });
  const study = await store.createStudy(newStudy);
  return { store, url, db, studyId: study.id };
}

/** What a rejected promise throws, for assertions on its message and exit code. */
async function thrown(p: Promise<unknown>): Promise<StorageError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StorageError);
    return e as StorageError;
  }
  throw new Error('expected a StorageError');
}

describePostgres('PostgreSQL storage', (cluster) => {
  it('stores params with their distribution and internal value', async () => {
    const { store, db, studyId } = await fresh(cluster());
    const t = (await claimTrial(store, claimRequest(studyId), spec.space)) as TrialRecord;
    const [row] = await cluster().query(db, 'SELECT * FROM trial_params WHERE trial_id = $1', [t.id]);
    expect(row).toMatchObject({ name: 'init', value_json: '"uniform"', internal: 0 });
    expect(JSON.parse(row.distribution_json as string)).toEqual({ kind: 'categorical', choices: ['uniform', 'normal', 'zero'] });
    await store.close();
  });

  it('records its schema version, refuses a newer one and foreign tables; reading an empty database writes nothing', async () => {
    const c = cluster();
    const { store, url, db } = await fresh(c);
    expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
    await store.close();
    await c.query(db, "UPDATE meta SET value = '999' WHERE key = 'schema_version'");
    const newer = await thrown(PgStore.open(url, { create: true }));
    expect(newer.message).toMatch(/schema version 999 is newer than this nnsearch supports/);
    expect(newer.exitCode).toBe(2);

    const foreign = await c.createDatabase();
    await c.query(new URL(foreign).pathname.slice(1), 'CREATE TABLE trials (a integer)');
    expect((await thrown(PgStore.open(foreign, { create: true }))).message).toMatch(/not an nnsearch database \(it has a table 'trials'/);

    const empty = await c.createDatabase();
    const reader = await PgStore.open(empty, { create: false });
    expect(await reader.listStudies()).toEqual([]);
    expect(await reader.getStudy('s')).toBeNull();
    await reader.close();
    expect(await c.query(new URL(empty).pathname.slice(1), "SELECT 1 FROM pg_tables WHERE schemaname = 'public'")).toEqual([]);
  });

  it('migrates a schema-1 database in place, keeping its data and giving trials their configuration keys', async () => {
    const c = cluster();
    const url = await c.createDatabase();
    const db = new URL(url).pathname.slice(1);
    await c.query(db, PG_MIGRATIONS[0]);
    await c.query(db, "INSERT INTO meta (key, value) VALUES ('schema_version', '1')");
    await c.query(db, "INSERT INTO studies (name, spec_json, metric, goal, data_source, n_samples, folds, created_at) VALUES ('old', '{}', 'accuracy', 'maximize', 'x', 10, 2, '2026-01-01')");
    for (const [n, init] of [[0, 'zero'], [1, 'zero'], [2, 'normal']] as const) {
      await c.query(db, "INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, value) VALUES (1, $1, 'bayes', $1, 'complete', $2, 0.5)", [n, JSON.stringify({ init })]);
    }
    await c.query(db, 'INSERT INTO epochs (trial_id, fold, epoch, lr, loss, metric, test_loss, test_metric) VALUES (1, 0, 0, 0.1, 1.0, 0.5, 1.1, 0.4)');
    // a reader does not migrate
    expect((await thrown(PgStore.open(url, { create: false }))).message).toMatch(/schema version 1 is older/);
    const store = await PgStore.open(url, { create: true });
    expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
    const [t] = await store.listTrials((await store.getStudy('old'))!.id);
    expect(t).toMatchObject({ state: 'complete', value: 0.5, params: { init: 'zero' } });
    expect((await store.getEpochs(t.id))[0]).toMatchObject({ loss: 1, seconds: null });
    const keys = (await c.query(db, 'SELECT config_key FROM trials ORDER BY number')).map((r) => r.config_key !== null);
    expect(keys).toEqual([true, false, true]);
    const r = (await store.reserveTrial({ studyId: 1, sampler: 'random', size: Infinity, budget: Infinity, worker: 'w:1' }))!;
    expect(await store.proposeTrial(r.trialId, { init: 'zero' }, spec.space, { unique: true })).toBe('duplicate');
    const s2 = await store.createStudy({ ...newStudy, name: 'new' });
    expect((await c.query(db, 'SELECT created_by FROM studies WHERE id = $1', [s2.id]))[0].created_by).toMatch(/^nnsearch \d+\.\d+\.\d+/);
    await store.close();
  });

  it('migrates a version-4 database in place to the pruned state and intermediate values', async () => {
    const c = cluster();
    const url = await c.createDatabase();
    const db = new URL(url).pathname.slice(1);
    for (let v = 0; v < 4; v++) await c.query(db, PG_MIGRATIONS[v]);
    await c.query(db, "INSERT INTO meta (key, value) VALUES ('schema_version', '4')");
    await c.query(db, "INSERT INTO studies (name, spec_json, metric, goal, data_source, n_samples, folds, created_at) VALUES ('old', '{}', 'accuracy', 'maximize', 'x', 10, 2, '2026-01-01')");
    await c.query(db, `INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, config_key) VALUES (1, 0, 'random', 0, 'interrupted', '{"init":"zero"}', 'k0')`);
    await c.query(db, 'INSERT INTO epochs (trial_id, fold, epoch, lr, loss, metric, test_loss, test_metric) VALUES (1, 0, 0, 0.1, 1.0, 0.5, 1.1, 0.4)');
    await expect(c.query(db, "UPDATE trials SET state = 'pruned'")).rejects.toThrow(/check constraint/);
    const store = await PgStore.open(url, { create: true });
    expect(await store.schemaVersion()).toBe(5);
    const study = (await store.getStudy('old'))!;
    const t = (await store.resumeTrial({ studyId: study.id, worker: 'w:1', leaseMs: 60_000 }))!;
    expect(await store.getEpochs(t.id)).toHaveLength(1);
    await store.reportIntermediate(t.id, [{ kind: 'step', step: 0, value: 0.3 }]);
    expect(await store.finishTrial(t.id, { state: 'pruned', value: 0.3, std: null, meanFitTime: null, meanScoreTime: null, epochs: [{ fold: 1, epoch: 0, lr: 0.1, loss: 1, metric: 0.5, valLoss: null, valMetric: null, testLoss: 1, testMetric: 0.3, seconds: 0.1 }] })).toMatchObject({ state: 'pruned', value: 0.3 });
    expect(await store.intermediateValues(study.id)).toMatchObject([{ trialId: t.id, kind: 'step', step: 0, value: 0.3 }]);
    await expect(c.query(db, "UPDATE trials SET state = 'bogus'")).rejects.toThrow(/check constraint/);
    await store.close();
  });

  it('workers that start at once create the schema once', async () => {
    const url = await cluster().createDatabase();
    const stores = await Promise.all(Array.from({ length: 6 }, () => PgStore.open(url, { create: true })));
    const studies = await Promise.all(stores.map((s) => s.createStudy(newStudy)));
    expect(new Set(studies.map((s) => s.id)).size).toBe(1);
    for (const s of stores) await s.close();
  });

  it('passes URL options to the server: options (search_path) and application_name', async () => {
    const c = cluster();
    const url = await c.createDatabase();
    const db = new URL(url).pathname.slice(1);
    await c.query(db, 'CREATE SCHEMA lab');
    const store = await PgStore.open(`${url}?options=-c%20search_path%3Dlab&application_name=nns-test`, { create: true });
    await store.createStudy(newStudy);
    expect((await c.query(db, "SELECT schemaname FROM pg_tables WHERE tablename = 'trials'")).map((r) => r.schemaname)).toEqual(['lab']);
    expect((await c.query(db, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'nns-test'"))[0].n).toBeGreaterThan(0);
    await store.close();
  });

  it('retries deadlocks and serialization failures without the caller seeing them', async () => {
    const { store, db, studyId } = await fresh(cluster());
    const t = (await claimTrial(store, claimRequest(studyId), spec.space)) as TrialRecord;
    // the next three writes to trials fail as a deadlock, a serialization failure, a deadlock
    // (a sequence, unlike a table, keeps counting across rolled-back transactions)
    await cluster().query(
      db,
      `CREATE SEQUENCE injected;
       CREATE FUNCTION fail_first() RETURNS trigger AS $$
       BEGIN
         CASE nextval('injected') WHEN 1 THEN RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01';
                                  WHEN 2 THEN RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001';
                                  WHEN 3 THEN RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01';
                                  ELSE NULL;
         END CASE;
         RETURN NEW;
       END $$ LANGUAGE plpgsql;
       CREATE TRIGGER fail_first BEFORE UPDATE ON trials FOR EACH ROW EXECUTE FUNCTION fail_first();`,
    );
    const done = await store.finishTrial(t.id, { state: 'complete', value: 0.9, std: 0, meanFitTime: 1, meanScoreTime: 0 });
    expect(done.state).toBe('complete');
    expect(Number((await cluster().query(db, 'SELECT last_value FROM injected'))[0].last_value)).toBe(4);
    await store.close();
  });

  it('names what is wrong at open, without the password, with exit code 2', async () => {
    const c = cluster();
    const url = await c.createDatabase();
    const secret = c.password.split('@')[1].split('/')[0];
    const cases: [string, RegExp][] = [
      [url.replace(encodeURIComponent(c.password), 'wrong'), /password authentication failed/],
      [c.url('no_such_db'), /database "no_such_db" does not exist \(create it first/],
      [url.replace(`:${c.port}/`, ':1/'), /cannot reach the database server/],
      [`${url}?sslmode=require`, /cannot reach the database server.*SSL|SSL/i],
      [url.replace(/:\d+\//, ':notaport/'), /not a usable PostgreSQL URL/],
    ];
    for (const [bad, message] of cases) {
      const e = await thrown(PgStore.open(bad, { create: true }));
      expect(e.message).toMatch(message);
      expect(e.exitCode).toBe(2);
      expect(e.message).not.toContain(secret);
      expect(e.message).toContain('***');
    }
  });

  it('a server that goes away mid-run is exit 1, resumable; the pool reconnects when it is back', async () => {
    const c = cluster();
    const { store, studyId } = await fresh(c);
    const t = (await claimTrial(store, claimRequest(studyId), spec.space)) as TrialRecord;
    await c.stopServer('fast');
    try {
      const e = await thrown(store.heartbeat([t.id]));
      expect(e.exitCode).toBe(1);
      expect(e.message).toMatch(/lost the database server .*nothing is lost: run the same command again to continue/);
      expect(e.message).not.toContain(c.password.split('@')[1]);
      expect((await thrown(store.recordFold(t.id, { fold: 0, score: 1, trainScore: null, testLoss: 0, fitTime: 0, scoreTime: 0, epochsRun: 1, stoppedEpoch: null, restoredEpoch: null, diverged: false, trainSize: 1, testSize: 1 }, []))).exitCode).toBe(1);
    } finally {
      await c.startServer();
    }
    expect((await store.getTrial(t.id))!.state).toBe('running');
    await store.close();
  });

  it('a closed storage does not keep the process alive', () => {
    const url = cluster().url('postgres');
    const script = `import { PgStore } from ${JSON.stringify(resolve(import.meta.dirname, '../../dist/src/store/pg-store.js'))};
      const s = await PgStore.open(process.env.URL, { create: false });
      await s.listStudies();
      await s.close();
      console.log('closed');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, URL: url }, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('closed');
    expect(r.status).toBe(0);
  });
});
