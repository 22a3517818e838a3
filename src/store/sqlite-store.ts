/**
 * The SQLite storage (better-sqlite3, WAL). Several processes may share one file: every write is a
 * short BEGIN IMMEDIATE transaction (a busy timeout and retries absorb contention), samplers propose
 * between the reservation and the insert of parameters (store/claim.ts), and a trial whose worker
 * died (pid gone on this host, or heartbeat older than the lease) is handed to the next claimer.
 * The Storage methods are async over synchronous better-sqlite3 calls.
 */
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '../errors.js';
import { configKey, type Params, type ParamSpace } from '../search/space.js';
import { holds, isAbandoned, leaseLost, nextSamplerIndex } from './lease.js';
import { CREATED_BY, freeze, internalValue, num, toEpoch, toFold, toIntermediate, toStudy, toTrial, UNPROPOSED, type Row } from './rows.js';
import { configKeyHolders, MIGRATIONS, rebuildTrialsSql, SCHEMA_VERSION } from './schema.js';
import type { Storage } from './storage.js';
import type { EpochRow, FinishTrial, FoldRecord, ImportedTrial, IntermediateRecord, IntermediateRow, NewStudy, Reservation, ReserveRequest, ResumeRequest, StudyRecord, StudySummary, TrialRecord } from './types.js';

/** SQL assignments that close a trial's attempt at `endMs` (an SQL expression): its time joins elapsed_s. */
const END_ATTEMPT = (endMs: string) => `elapsed_s = elapsed_s + coalesce((${endMs} - attempt_started_ms) / 1000.0, 0), attempt_started_ms = NULL`;
/** SQL condition: the trial has its parameters. */
const PROPOSED = `params_json <> 'null'`;

function now(): string {
  return new Date().toISOString();
}

export interface OpenOptions {
  /** Create the file when it does not exist (search commands); report commands need it to exist. */
  create: boolean;
  /**
   * Open for reading only (report, studies, show, export): nothing is written, not even a
   * migration, so a read-only file works and an empty file stays empty.
   */
  readonly?: boolean;
  /** Busy timeout in ms. */
  busyTimeoutMs?: number;
}

/** SQLite's own words for a damaged file, in any message or error code. */
export function isCorruption(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code ?? '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || /malformed|file is not a database/i.test((e as Error | null)?.message ?? '');
}

export function corruptionError(path: string, detail: string): StorageError {
  return new StorageError(`${path}: the database file is damaged (${detail.split('\n')[0]}); nothing was written to it: restore a backup, or copy what reads (nnsearch report --format json) and start a new file`);
}

/** Whether a file that exists may be written: its mode bits (respected even by root) and its directory. */
function writable(path: string): boolean {
  try {
    if ((statSync(path).mode & 0o222) === 0) return false;
    accessSync(path, constants.W_OK);
    accessSync(dirname(path) || '.', constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export class SqliteStore implements Storage {
  readonly db: Database.Database;

  private constructor(db: Database.Database, readonly path: string) {
    this.db = db;
  }

  get location(): string {
    return this.path;
  }

  static open(path: string, opts: OpenOptions): SqliteStore {
    const exists = path !== ':memory:' && existsSync(path);
    if (path !== ':memory:' && !exists && (!opts.create || opts.readonly)) {
      throw new StorageError(`${path}: no such database (run a search first, or name another database)`);
    }
    if (exists && !opts.readonly && !writable(path)) {
      throw new StorageError(`${path}: the database is read-only; a search writes to it (report, studies, show and export only read: use them, or search in a writable copy)`);
    }
    let db: Database.Database;
    try {
      db = new Database(path, opts.readonly ? { readonly: true, fileMustExist: true } : {});
    } catch (e) {
      throw new StorageError(`${path}: cannot open database (${(e as Error).message})`);
    }
    try {
      db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 30000}`);
      // before anything is written: a damaged file is never used
      const check = db.pragma('quick_check', { simple: true }) as string;
      if (check !== 'ok') throw corruptionError(path, `quick_check: ${check}`);
      const store = new SqliteStore(db, path);
      if (opts.readonly) {
        const version = store.schemaVersion();
        if (version === 0) throw new StorageError(`${path}: not an nnsearch database (${statSync(path).size === 0 ? 'the file is empty' : 'it holds no nnsearch schema'})`);
        if (version > SCHEMA_VERSION) throw new StorageError(`${path}: database schema version ${version} is newer than this nnsearch supports (${SCHEMA_VERSION}); upgrade nnsearch`);
        return store;
      }
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // migrations run with foreign keys off (v5 rebuilds the trials table), then they are on
      db.pragma('foreign_keys = OFF');
      store.migrate();
      db.pragma('foreign_keys = ON');
      return store;
    } catch (e) {
      db.close();
      if (e instanceof StorageError) throw e;
      if (isCorruption(e)) throw corruptionError(path, (e as Error).message);
      if ((e as { code?: string }).code === 'SQLITE_READONLY') throw new StorageError(`${path}: the database is read-only; a search writes to it`);
      throw new StorageError(`${path}: not an nnsearch database (${(e as Error).message})`);
    }
  }

  /** The schema version recorded in the file (0 for an empty file). */
  schemaVersion(): number {
    const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!hasMeta) {
      const tables = this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (tables.n > 0) throw new StorageError(`${this.path}: not an nnsearch database (it has tables but no nnsearch schema)`);
      return 0;
    }
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  private migrate(): void {
    this.immediate(() => {
      const version = this.schemaVersion();
      if (version > SCHEMA_VERSION) {
        throw new StorageError(`${this.path}: database schema version ${version} is newer than this nnsearch supports (${SCHEMA_VERSION}); upgrade nnsearch`);
      }
      for (let v = version; v < SCHEMA_VERSION; v++) {
        if (v === 4) this.rebuildTrials();
        this.db.exec(MIGRATIONS[v]);
        if (v === 2) this.backfillConfigKeys();
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(v + 1));
      }
    });
  }

  /** Runs fn in a BEGIN IMMEDIATE transaction, retrying with backoff if the file stays locked. */
  immediate<T>(fn: () => T): T {
    const tx = this.db.transaction(fn);
    for (let attempt = 0; ; attempt++) {
      try {
        return tx.immediate();
      } catch (e) {
        const code = (e as { code?: string }).code;
        if ((code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') && attempt < 20) {
          sleepSync(Math.min(2000, 20 * 2 ** attempt) * (0.5 + Math.random()));
          continue;
        }
        throw e;
      }
    }
  }

  /** v5: the trials table again with the state 'pruned' allowed; its rows, ids and indexes kept. */
  private rebuildTrials(): void {
    const table = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'trials'").get() as { sql: string };
    const indexes = (this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trials' AND sql IS NOT NULL").all() as { sql: string }[]).map((r) => r.sql);
    this.db.exec(rebuildTrialsSql(table.sql, indexes));
    const broken = this.db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new StorageError(`${this.path}: migrating to schema 5 broke ${broken.length} foreign keys; nothing was changed`);
  }

  /** v3: the configuration key of every existing trial (the first of any repeated configuration holds it). */
  private backfillConfigKeys(): void {
    const rows = this.db.prepare('SELECT id, study_id, params_json FROM trials ORDER BY study_id, number').all() as { id: number; study_id: number; params_json: string }[];
    const set = this.db.prepare('UPDATE trials SET config_key = ? WHERE id = ?');
    for (const [id, key] of configKeyHolders(rows)) set.run(key, id);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  // ---- studies

  private study(name: string): StudyRecord | null {
    const r = this.db.prepare('SELECT * FROM studies WHERE name = ?').get(name) as Row | undefined;
    return r ? toStudy(r) : null;
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.study(name);
  }

  async createStudy(s: NewStudy): Promise<StudyRecord> {
    return this.immediate(() => {
      const existing = this.study(s.name);
      if (existing) return existing;
      this.db
        .prepare('INSERT INTO studies (name, spec_json, metric, goal, data_source, n_samples, folds, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(s.name, s.specJson, s.metric, s.goal, s.dataSource, s.nSamples, s.folds, now(), CREATED_BY);
      return this.study(s.name) as StudyRecord;
    });
  }

  async listStudies(): Promise<StudySummary[]> {
    const rows = this.db.prepare('SELECT * FROM studies ORDER BY id').all() as Row[];
    return rows.map((r) => {
      const study = toStudy(r);
      const c = this.db
        .prepare(
          `SELECT count(*) AS trials,
                  sum(state = 'complete') AS complete,
                  sum(state = 'fail') AS failed,
                  sum(state = 'pruned') AS pruned,
                  sum(state = 'running') AS running,
                  ${study.goal === 'maximize' ? 'max' : 'min'}(CASE WHEN state = 'complete' THEN value END) AS best
           FROM trials WHERE study_id = ? AND ${PROPOSED}`,
        )
        .get(study.id) as Row;
      return freeze({ ...study, trials: c.trials as number, complete: (c.complete as number) ?? 0, failed: (c.failed as number) ?? 0, pruned: (c.pruned as number) ?? 0, running: (c.running as number) ?? 0, best: (c.best as number | null) ?? null });
    });
  }

  // ---- trials

  async listTrials(studyId: number): Promise<TrialRecord[]> {
    return (this.db.prepare(`SELECT * FROM trials WHERE study_id = ? AND ${PROPOSED} ORDER BY number`).all(studyId) as Row[]).map(toTrial);
  }

  private trial(id: number): TrialRecord | null {
    const r = this.db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as Row | undefined;
    return r ? toTrial(r) : null;
  }

  async getTrial(id: number): Promise<TrialRecord | null> {
    return this.trial(id);
  }

  async getTrialByNumber(studyId: number, number: number): Promise<TrialRecord | null> {
    const r = this.db.prepare(`SELECT * FROM trials WHERE study_id = ? AND number = ? AND ${PROPOSED}`).get(studyId, number) as Row | undefined;
    return r ? toTrial(r) : null;
  }

  /** Interrupts running trials of dead workers and drops their unproposed reservations; returns how many. */
  private reapDeadTrials(studyId: number, leaseMs: number): number {
    const rows = this.db.prepare("SELECT id, worker, heartbeat_ms, params_json FROM trials WHERE study_id = ? AND state = 'running'").all(studyId) as Row[];
    let n = 0;
    for (const r of rows) {
      if (!isAbandoned(r.worker as string | null, r.heartbeat_ms as number | null, leaseMs)) continue;
      if (r.params_json === UNPROPOSED) this.db.prepare("DELETE FROM trials WHERE id = ? AND state = 'running'").run(r.id);
      // the attempt lasted until its worker's last heartbeat
      else this.db.prepare(`UPDATE trials SET state = 'interrupted', ${END_ATTEMPT('coalesce(heartbeat_ms, attempt_started_ms)')} WHERE id = ? AND state = 'running'`).run(r.id);
      n++;
    }
    return n;
  }

  async resumeTrial(req: ResumeRequest): Promise<TrialRecord | null> {
    return this.immediate(() => {
      this.reapDeadTrials(req.studyId, req.leaseMs);
      const retry = this.db.prepare("SELECT id FROM trials WHERE study_id = ? AND state = 'interrupted' ORDER BY number LIMIT 1").get(req.studyId) as Row | undefined;
      if (!retry) return null;
      this.db
        .prepare("UPDATE trials SET state = 'running', attempts = attempts + 1, worker = ?, heartbeat_ms = ?, attempt_started_ms = ?, started_at = coalesce(started_at, ?) WHERE id = ?")
        .run(req.worker, Date.now(), Date.now(), now(), retry.id);
      return this.trial(retry.id as number);
    });
  }

  async reserveTrial(req: ReserveRequest): Promise<Reservation | null> {
    return this.immediate(() => {
      const { n } = this.db.prepare('SELECT count(*) AS n FROM trials WHERE study_id = ?').get(req.studyId) as { n: number };
      if (n >= req.budget) return null;
      const used = (this.db.prepare('SELECT sampler_index AS i FROM trials WHERE study_id = ? AND sampler = ?').all(req.studyId, req.sampler) as { i: number }[]).map((r) => r.i);
      const samplerIndex = nextSamplerIndex(used, req.size);
      if (samplerIndex === null) return null;
      const { next } = this.db.prepare('SELECT coalesce(max(number) + 1, 0) AS next FROM trials WHERE study_id = ?').get(req.studyId) as { next: number };
      const info = this.db
        .prepare("INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, started_at, worker, heartbeat_ms, attempt_started_ms) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)")
        .run(req.studyId, next, req.sampler, samplerIndex, UNPROPOSED, now(), req.worker, Date.now(), Date.now());
      return { trialId: Number(info.lastInsertRowid), number: next, samplerIndex };
    });
  }

  async proposeTrial(trialId: number, params: Params, space: ParamSpace, opts: { unique: boolean }): Promise<TrialRecord | 'duplicate'> {
    return this.immediate(() => {
      const row = this.db.prepare('SELECT study_id, params_json, state FROM trials WHERE id = ?').get(trialId) as Row | undefined;
      if (!row || row.params_json !== UNPROPOSED || row.state !== 'running') throw new Error(`trial ${trialId} is not a held reservation`);
      const key = configKey(params);
      const holder = this.db.prepare('SELECT id FROM trials WHERE study_id = ? AND config_key = ?').get(row.study_id, key) as Row | undefined;
      if (holder && opts.unique) return 'duplicate';
      this.db.prepare('UPDATE trials SET params_json = ?, config_key = ?, heartbeat_ms = ? WHERE id = ?').run(JSON.stringify(params), holder ? null : key, Date.now(), trialId);
      this.insertParams(trialId, params, space);
      return this.trial(trialId) as TrialRecord;
    });
  }

  async releaseTrial(trialId: number): Promise<void> {
    this.immediate(() => this.db.prepare('DELETE FROM trials WHERE id = ? AND params_json = ?').run(trialId, UNPROPOSED));
  }

  async heartbeat(trialIds: readonly number[]): Promise<void> {
    const beat = this.db.prepare("UPDATE trials SET heartbeat_ms = ? WHERE id = ? AND state = 'running'");
    this.immediate(() => {
      for (const id of trialIds) beat.run(Date.now(), id);
    });
  }

  async recordEngine(trialId: number, engine: string): Promise<void> {
    this.db.prepare('UPDATE trials SET engine = ? WHERE id = ?').run(engine, trialId);
  }

  private insertParams(trialId: number, params: Params, space: ParamSpace): void {
    const insertParam = this.db.prepare('INSERT INTO trial_params (trial_id, name, value_json, internal, distribution_json) VALUES (?, ?, ?, ?, ?)');
    for (const p of space) {
      const value = params[p.name];
      if (value === undefined) continue; // a conditional parameter that does not apply
      insertParam.run(trialId, p.name, JSON.stringify(value), internalValue(p.dist, value), JSON.stringify(p.dist));
    }
  }

  private insertFold(trialId: number, f: FoldRecord, epochs: readonly EpochRow[]): void {
    this.db
      .prepare(
        `INSERT INTO fold_results (trial_id, fold, score, test_loss, fit_time, score_time, epochs_run, stopped_epoch, restored_epoch, diverged, train_size, test_size, train_score)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(trialId, f.fold, num(f.score), num(f.testLoss), f.fitTime, f.scoreTime, f.epochsRun, f.stoppedEpoch, f.restoredEpoch, f.diverged ? 1 : 0, f.trainSize, f.testSize, num(f.trainScore));
    this.insertEpochs(trialId, epochs);
  }

  async recordFold(trialId: number, f: FoldRecord, epochs: readonly EpochRow[], attempt?: number): Promise<void> {
    this.immediate(() => {
      this.mustHold(trialId, attempt);
      this.insertFold(trialId, f, epochs);
      this.db.prepare("UPDATE trials SET heartbeat_ms = ? WHERE id = ? AND state = 'running'").run(Date.now(), trialId);
    });
  }

  async getFolds(trialId: number): Promise<FoldRecord[]> {
    return (this.db.prepare('SELECT * FROM fold_results WHERE trial_id = ? ORDER BY fold').all(trialId) as Row[]).map(toFold);
  }

  async foldsByTrial(studyId: number): Promise<Map<number, FoldRecord[]>> {
    const out = new Map<number, FoldRecord[]>();
    const ids = this.db.prepare(`SELECT id FROM trials WHERE study_id = ? AND ${PROPOSED}`).all(studyId) as { id: number }[];
    for (const { id } of ids) out.set(id, []);
    const rows = this.db
      .prepare('SELECT f.* FROM fold_results f JOIN trials t ON t.id = f.trial_id WHERE t.study_id = ? ORDER BY f.trial_id, f.fold')
      .all(studyId) as Row[];
    for (const r of rows) out.get(r.trial_id as number)?.push(toFold(r));
    return out;
  }

  async getEpochs(trialId: number): Promise<EpochRow[]> {
    return (this.db.prepare('SELECT * FROM epochs WHERE trial_id = ? ORDER BY fold, epoch').all(trialId) as Row[]).map(toEpoch);
  }

  async reportIntermediate(trialId: number, rows: readonly IntermediateRow[], attempt?: number): Promise<boolean> {
    const ins = this.db.prepare('INSERT INTO intermediate_values (trial_id, kind, step, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    return this.immediate(() => {
      if (!holds(this.trial(trialId), attempt)) return false;
      for (const r of rows) ins.run(trialId, r.kind, r.step, num(r.value));
      return true;
    });
  }

  /** Throws LeaseLostError unless the trial is running (in `attempt`, when given). */
  private mustHold(trialId: number, attempt: number | undefined): TrialRecord {
    const t = this.trial(trialId);
    if (!holds(t, attempt)) throw leaseLost(trialId, t, attempt);
    return t as TrialRecord;
  }

  async intermediateValues(studyId: number): Promise<IntermediateRecord[]> {
    const rows = this.db
      .prepare(`SELECT v.* FROM intermediate_values v JOIN trials t ON t.id = v.trial_id WHERE t.study_id = ? AND t.${PROPOSED} ORDER BY v.trial_id, v.kind, v.step`)
      .all(studyId) as Row[];
    return rows.map(toIntermediate);
  }

  private insertEpochs(trialId: number, epochs: readonly EpochRow[]): void {
    const ins = this.db.prepare('INSERT INTO epochs (trial_id, fold, epoch, lr, loss, metric, val_loss, val_metric, test_loss, test_metric, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const e of epochs) ins.run(trialId, e.fold, e.epoch, e.lr, num(e.loss), num(e.metric), num(e.valLoss), num(e.valMetric), num(e.testLoss), num(e.testMetric), num(e.seconds));
  }

  async finishTrial(trialId: number, f: FinishTrial, attempt?: number): Promise<TrialRecord> {
    return this.immediate(() => {
      const t = this.mustHold(trialId, attempt);
      if (f.epochs?.length) {
        if (f.state !== 'pruned') throw new Error(`trial ${trialId}: only a pruned trial is finished with epochs`);
        this.insertEpochs(trialId, f.epochs);
      }
      const r = this.db.prepare('SELECT elapsed_s, attempt_started_ms FROM trials WHERE id = ?').get(trialId) as { elapsed_s: number; attempt_started_ms: number | null };
      const since = r.attempt_started_ms ?? (t.startedAt ? Date.parse(t.startedAt) : null);
      const duration = since === null ? null : r.elapsed_s + (Date.now() - since) / 1000;
      this.db
        .prepare(
          `UPDATE trials SET state = ?, value = ?, std = ?, fail_reason = ?, error = ?, completed_at = ?, duration_s = ?, mean_fit_time = ?, mean_score_time = ?, heartbeat_ms = NULL
           WHERE id = ?`,
        )
        .run(f.state, num(f.value), num(f.std), f.failReason ?? null, f.error ?? null, now(), duration, num(f.meanFitTime), num(f.meanScoreTime), trialId);
      return this.trial(trialId) as TrialRecord;
    });
  }

  async interruptTrial(trialId: number, attempt?: number): Promise<void> {
    this.db
      .prepare(`UPDATE trials SET state = 'interrupted', heartbeat_ms = NULL, ${END_ATTEMPT('?')} WHERE id = ? AND state = 'running' AND (? IS NULL OR attempts = ?)`)
      .run(Date.now(), trialId, attempt ?? null, attempt ?? null);
  }

  async importTrial(studyId: number, t: ImportedTrial, space: ParamSpace): Promise<TrialRecord> {
    return this.immediate(() => {
      const x = t.trial;
      const key = configKey(x.params);
      const holder = this.db.prepare('SELECT id FROM trials WHERE study_id = ? AND config_key = ?').get(studyId, key);
      const info = this.db
        .prepare(
          `INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, config_key, value, std, fail_reason, error, engine, started_at, completed_at, duration_s, mean_fit_time, mean_score_time, attempts, worker)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(studyId, x.number, x.sampler, x.samplerIndex, x.state, JSON.stringify(x.params), holder ? null : key, num(x.value), num(x.std), x.failReason, x.error, x.engine, x.startedAt, x.completedAt, num(x.duration), num(x.meanFitTime), num(x.meanScoreTime), x.attempts, x.worker);
      const id = Number(info.lastInsertRowid);
      this.insertParams(id, x.params, space);
      const folds = new Set(t.folds.map((f) => f.fold));
      for (const f of t.folds) this.insertFold(id, f, t.epochs.filter((e) => e.fold === f.fold));
      // a pruned trial's epochs of folds stopped early
      if (x.state === 'pruned') this.insertEpochs(id, t.epochs.filter((e) => !folds.has(e.fold)));
      const iv = this.db.prepare('INSERT INTO intermediate_values (trial_id, kind, step, value) VALUES (?, ?, ?, ?)');
      for (const r of t.intermediate ?? []) iv.run(id, r.kind, r.step, num(r.value));
      return this.trial(id) as TrialRecord;
    });
  }

  integrityCheck(): string {
    return (this.db.pragma('integrity_check', { simple: true }) as string) ?? 'unknown';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
