/**
 * The PostgreSQL storage (node-postgres): one study shared by workers on many hosts. Every write is
 * a short READ COMMITTED transaction; the claim protocol (store/claim.ts) maps onto row locks:
 * - reserveTrial locks the study's row (FOR NO KEY UPDATE) around counting its trials and inserting
 *   the reservation, so the budget is met exactly and a grid index is handed out once; UNIQUE
 *   (study_id, number) and (study_id, sampler, sampler_index) are the last line of defence.
 * - proposeTrial locks its own reservation; two workers storing one configuration at once meet on
 *   the UNIQUE (study_id, config_key) index, and the second is told 'duplicate'.
 * - resumeTrial locks only the running trials it judges abandoned, and picks the interrupted trial
 *   of lowest number, both with FOR NO KEY UPDATE SKIP LOCKED: claimers never wait on each other
 *   (and when nothing is abandoned or interrupted, one plain query answers).
 * - Heartbeats and their lease are judged by the server's clock, so hosts whose clocks disagree
 *   agree on who is gone; a worker on another host is judged by its heartbeat only (lease.ts).
 * Deadlocks and serialization failures (40P01, 40001) are retried; a server that goes away during
 * a run becomes a StorageError with exit code 1 (nothing is lost: the same command resumes). The
 * password never appears in a message: `location` is the redacted URL, and every message is scrubbed.
 */
import pg from 'pg';
import { NnsearchError, StorageError } from '../errors.js';
import { configKey, type Params, type ParamSpace } from '../search/space.js';
import { isAbandoned, leaseLost, nextSamplerIndex } from './lease.js';
import { PG_MIGRATIONS, PG_TABLES } from './pg-schema.js';
import { ambiguousUrl, pgClientConfig, redactUrl, urlSecrets } from './pg-url.js';
import { CREATED_BY, freeze, internalValue, num, toEpoch, toFold, toIntermediate, toStudy, toTrial, UNPROPOSED, type Row } from './rows.js';
import { configKeyHolders, SCHEMA_VERSION } from './schema.js';
import type { Storage } from './storage.js';
import type { EpochRow, FinishTrial, FoldRecord, ImportedTrial, IntermediateRecord, IntermediateRow, NewStudy, Reservation, ReserveRequest, ResumeRequest, StudyRecord, StudySummary, TrialRecord } from './types.js';

/** The server's clock in ms and as ISO-8601 text (constant SQL, no input). */
const NOW_MS = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;
const NOW_ISO = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The trial (of the statement's row) is running, in the attempt given as `param` when it is not null (lease.ts holds). */
function HELD(param: string): string {
  return `state = 'running' AND (${param}::integer IS NULL OR attempts = ${param}::integer)`;
}
/** Ending a running trial (only one running in the attempt given as $9 changes); finishValues gives its parameters. */
const FINISH = `UPDATE trials SET state = $2, value = $3, std = $4, fail_reason = $5, error = $6, completed_at = ${NOW_ISO},
              duration_s = CASE WHEN attempt_started_ms IS NULL THEN extract(epoch FROM clock_timestamp() - started_at::timestamptz)::double precision
                                ELSE elapsed_s + (${NOW_MS} - attempt_started_ms) / 1000.0 END,
              mean_fit_time = $7, mean_score_time = $8, heartbeat_ms = NULL, attempt_started_ms = NULL
       WHERE id = $1 AND ${HELD('$9')}`;
function finishValues(trialId: number, f: FinishTrial, attempt: number | undefined): unknown[] {
  return [trialId, f.state, num(f.value), num(f.std), f.failReason ?? null, f.error ?? null, num(f.meanFitTime), num(f.meanScoreTime), attempt ?? null];
}
const PROPOSED = `params_json <> 'null'`;

/** bigint (count(*), heartbeat_ms) as a JS number; everything else as pg parses it. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/** Connections per process: the run loop queries one at a time, plus a heartbeat. */
const POOL_MAX = 4;
/** Serializes schema migrations of workers that start at once (an advisory lock key: "nnsearch"). */
const MIGRATION_LOCK = 0x6e6e73656172;
const MAX_ATTEMPTS = 12;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Deadlock or serialization failure: the transaction can simply run again. */
function retryable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT']);

/** The server cannot be reached, or dropped the connection (shut down, restarted, network gone). */
export function connectionLost(e: unknown): boolean {
  const code = String((e as { code?: unknown } | null)?.code ?? '');
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || SOCKET_ERRORS.has(code)) return true;
  return /connection terminated|connection timeout|timeout exceeded when trying to connect|connection error|not queryable/i.test((e as Error | null)?.message ?? '');
}

function isUniqueViolation(e: unknown, constraint: string): boolean {
  return e instanceof pg.DatabaseError && e.code === '23505' && e.constraint === constraint;
}

/** What went wrong, in one line (Node's AggregateError of a refused multi-address connect has no message). */
function detail(e: unknown): string {
  const err = e as (Error & { code?: string; errors?: Error[] }) | null;
  const first = err?.errors?.[0];
  return (err?.message || first?.message || err?.code || String(e)).split('\n')[0];
}

export interface PgOpenOptions {
  /** Migrate (create the tables of) an older or empty database: searches. Others only read. */
  create: boolean;
}

export class PgStore implements Storage {
  private closed = false;
  /** Read-only open of a database without nnsearch's tables: it holds no studies. */
  private empty = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly secrets: string[],
  ) {
    // an idle connection the server dropped: the pool discards it, the next query reconnects or fails
    pool.on('error', () => {});
  }

  /** Opens `url`; a bad URL, an unreachable server or a database nnsearch cannot use is a StorageError (exit 2). */
  static async open(url: string, opts: PgOpenOptions): Promise<PgStore> {
    const location = redactUrl(url);
    const secrets = urlSecrets(url);
    const scrub = (s: string) => secrets.reduce((t, x) => t.split(x).join('***'), s);
    let config: pg.PoolConfig;
    if (ambiguousUrl(url)) throw new StorageError(`${location}: not a usable PostgreSQL URL`);
    try {
      config = pgClientConfig(url);
    } catch (e) {
      throw new StorageError(`${location}: not a usable PostgreSQL URL (${scrub(detail(e))})`);
    }
    const pool = new pg.Pool({ ...config, types: TYPES, max: POOL_MAX, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
    const store = new PgStore(pool, location, secrets);
    try {
      await store.prepare(opts.create);
      return store;
    } catch (e) {
      await store.close();
      throw store.openError(e);
    }
  }

  private scrub(s: string): string {
    return this.secrets.reduce((t, x) => t.split(x).join('***'), s);
  }

  private openError(failure: unknown): StorageError {
    // fail() wraps what the server said; at open, its cause decides the message
    const e = failure instanceof StorageError && failure.cause !== undefined ? failure.cause : failure;
    if (e instanceof StorageError) return e.exitCode === 2 ? e : new StorageError(e.message, 2);
    const code = (e as { code?: string }).code;
    const why = this.scrub(detail(e));
    if (connectionLost(e)) return new StorageError(`${this.location}: cannot reach the database server (${why})`);
    if (code === '3D000') return new StorageError(`${this.location}: ${why} (create it first: createdb NAME, or CREATE DATABASE on the server)`);
    return new StorageError(`${this.location}: cannot use the database (${why})`);
  }

  /**
   * Errors of a run: a server that went away is a StorageError (exit 1, resumable); other server
   * errors (permissions, resources) too; constraint violations and nnsearch's own errors pass as they are.
   */
  private fail(e: unknown): unknown {
    if (e instanceof NnsearchError) return e;
    const wrap = (message: string) => Object.assign(new StorageError(message, 1), { cause: e });
    if (connectionLost(e)) return wrap(`${this.location}: lost the database server (${this.scrub(detail(e))}); nothing is lost: run the same command again to continue`);
    if (e instanceof pg.DatabaseError && !String(e.code).startsWith('23')) return wrap(`${this.location}: ${this.scrub(detail(e))} (SQLSTATE ${e.code})`);
    if (e instanceof Error) e.message = this.scrub(e.message);
    return e;
  }

  /** One statement (autocommit), retried on a deadlock or serialization failure. */
  private async q(text: string, values?: unknown[]): Promise<Row[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.query(text, values)).rows as Row[];
      } catch (e) {
        if (retryable(e) && attempt < MAX_ATTEMPTS) {
          await sleep(Math.random() * 10 * attempt);
          continue;
        }
        throw this.fail(e);
      }
    }
  }

  /** A short transaction, run again from the start on a deadlock or serialization failure. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (e) {
        throw this.fail(e);
      }
      // a connection that dies between two statements reports here, not as an uncaught event
      const onError = () => {};
      client.on('error', onError);
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (retryable(e) && attempt < MAX_ATTEMPTS) {
          await sleep(Math.random() * 10 * attempt);
          continue;
        }
        throw this.fail(e);
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    }
  }

  /** Checks the schema version and, when asked, creates or migrates the tables. */
  private async prepare(create: boolean): Promise<void> {
    await this.tx(async (c) => {
      if (create) await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const version = await schemaVersion(c, this.location);
      if (version > SCHEMA_VERSION) throw new StorageError(`${this.location}: database schema version ${version} is newer than this nnsearch supports (${SCHEMA_VERSION}); upgrade nnsearch`);
      if (!create) {
        if (version === 0) this.empty = true;
        else if (version < SCHEMA_VERSION) throw new StorageError(`${this.location}: database schema version ${version} is older than this nnsearch's (${SCHEMA_VERSION}); a search with this nnsearch upgrades it`);
        return;
      }
      for (let v = version; v < SCHEMA_VERSION; v++) {
        await c.query(PG_MIGRATIONS[v]);
        if (v === 2) await backfillConfigKeys(c);
        await c.query("INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(v + 1)]);
      }
    });
  }

  /** The schema version of the database (0: no nnsearch tables yet). */
  async schemaVersion(): Promise<number> {
    return this.tx((c) => schemaVersion(c, this.location));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // never blocks the exit: a pool whose server is gone still ends (its idle clients do not hold the process)
    await Promise.race([this.pool.end().catch(() => {}), sleep(5000)]);
  }

  // ---- studies

  async getStudy(name: string): Promise<StudyRecord | null> {
    if (this.empty) return null;
    const [r] = await this.q('SELECT * FROM studies WHERE name = $1', [name]);
    return r ? toStudy(r) : null;
  }

  async createStudy(s: NewStudy): Promise<StudyRecord> {
    await this.q(
      `INSERT INTO studies (name, spec_json, metric, goal, data_source, n_samples, folds, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, ${NOW_ISO}, $8) ON CONFLICT (name) DO NOTHING`,
      [s.name, s.specJson, s.metric, s.goal, s.dataSource, s.nSamples, s.folds, CREATED_BY],
    );
    return (await this.getStudy(s.name)) as StudyRecord;
  }

  async listStudies(): Promise<StudySummary[]> {
    if (this.empty) return [];
    const rows = await this.q(
      `SELECT s.*,
              count(t.id) AS trials,
              count(t.id) FILTER (WHERE t.state = 'complete') AS complete,
              count(t.id) FILTER (WHERE t.state = 'fail') AS failed,
              count(t.id) FILTER (WHERE t.state = 'pruned') AS pruned,
              count(t.id) FILTER (WHERE t.state = 'running') AS running,
              max(t.value) FILTER (WHERE t.state = 'complete') AS best_max,
              min(t.value) FILTER (WHERE t.state = 'complete') AS best_min
       FROM studies s LEFT JOIN trials t ON t.study_id = s.id AND t.${PROPOSED}
       GROUP BY s.id ORDER BY s.id`,
    );
    return rows.map((r) => {
      const study = toStudy(r);
      const best = (study.goal === 'maximize' ? r.best_max : r.best_min) as number | null;
      return freeze({ ...study, trials: r.trials as number, complete: r.complete as number, failed: r.failed as number, pruned: r.pruned as number, running: r.running as number, best: best ?? null });
    });
  }

  // ---- trials

  async listTrials(studyId: number): Promise<TrialRecord[]> {
    return (await this.q(`SELECT * FROM trials WHERE study_id = $1 AND ${PROPOSED} ORDER BY number`, [studyId])).map(toTrial);
  }

  async getTrial(id: number): Promise<TrialRecord | null> {
    const [r] = await this.q('SELECT * FROM trials WHERE id = $1', [id]);
    return r ? toTrial(r) : null;
  }

  async getTrialByNumber(studyId: number, number: number): Promise<TrialRecord | null> {
    const [r] = await this.q(`SELECT * FROM trials WHERE study_id = $1 AND number = $2 AND ${PROPOSED}`, [studyId, number]);
    return r ? toTrial(r) : null;
  }

  async resumeTrial(req: ResumeRequest): Promise<TrialRecord | null> {
    // the usual answer (nothing abandoned, nothing interrupted) without a transaction or a lock
    const open = await this.q(`SELECT worker, heartbeat_ms, state, ${NOW_MS} AS now_ms FROM trials WHERE study_id = $1 AND state IN ('running', 'interrupted')`, [req.studyId]);
    if (!open.some((r) => r.state === 'interrupted') && abandoned(open, req.leaseMs).length === 0) return null;
    return this.tx(async (c) => {
      await reapDeadTrials(c, req.studyId, req.leaseMs);
      const { rows } = await c.query(`SELECT id FROM trials WHERE study_id = $1 AND state = 'interrupted' ORDER BY number LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`, [req.studyId]);
      if (rows.length === 0) return null;
      const t = await c.query(
        `UPDATE trials SET state = 'running', attempts = attempts + 1, worker = $2, heartbeat_ms = ${NOW_MS}, attempt_started_ms = ${NOW_MS}, started_at = coalesce(started_at, ${NOW_ISO})
         WHERE id = $1 RETURNING *`,
        [rows[0].id, req.worker],
      );
      return toTrial(t.rows[0]);
    });
  }

  async reserveTrial(req: ReserveRequest): Promise<Reservation | null> {
    return this.tx(async (c) => {
      // one reserver per study at a time: the count and the insert below cannot interleave (each
      // statement after the lock sees what the previous holder committed)
      await c.query('SELECT id FROM studies WHERE id = $1 FOR NO KEY UPDATE', [req.studyId]);
      const [{ n, next, used }] = (
        await c.query(
          `SELECT count(*) AS n, coalesce(max(number) + 1, 0) AS next, coalesce(array_agg(sampler_index) FILTER (WHERE sampler = $2), '{}') AS used
           FROM trials WHERE study_id = $1`,
          [req.studyId, req.sampler],
        )
      ).rows;
      if (n >= req.budget) return null;
      const samplerIndex = nextSamplerIndex(used as number[], req.size);
      if (samplerIndex === null) return null;
      const ins = await c.query(
        `INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, started_at, worker, heartbeat_ms, attempt_started_ms)
         VALUES ($1, $2, $3, $4, 'running', $5, ${NOW_ISO}, $6, ${NOW_MS}, ${NOW_MS}) RETURNING id`,
        [req.studyId, next, req.sampler, samplerIndex, UNPROPOSED, req.worker],
      );
      return { trialId: ins.rows[0].id as number, number: next as number, samplerIndex };
    });
  }

  async proposeTrial(trialId: number, params: Params, space: ParamSpace, opts: { unique: boolean }): Promise<TrialRecord | 'duplicate'> {
    const give = () =>
      this.tx(async (c): Promise<TrialRecord | 'duplicate'> => {
        const [row] = (await c.query('SELECT study_id, params_json, state FROM trials WHERE id = $1 FOR NO KEY UPDATE', [trialId])).rows;
        if (!row || row.params_json !== UNPROPOSED || row.state !== 'running') throw new Error(`trial ${trialId} is not a held reservation`);
        const key = configKey(params);
        const held = (await c.query('SELECT 1 FROM trials WHERE study_id = $1 AND config_key = $2', [row.study_id, key])).rows.length > 0;
        if (held && opts.unique) return 'duplicate';
        const t = await c.query(`UPDATE trials SET params_json = $2, config_key = $3, heartbeat_ms = ${NOW_MS} WHERE id = $1 RETURNING *`, [trialId, JSON.stringify(params), held ? null : key]);
        await insertParams(c, trialId, params, space);
        return toTrial(t.rows[0]);
      });
    try {
      return await give();
    } catch (e) {
      // another worker stored the same configuration between our check and our update
      if (!isUniqueViolation(e, 'trials_by_config')) throw e;
      return opts.unique ? 'duplicate' : give();
    }
  }

  async releaseTrial(trialId: number): Promise<void> {
    await this.q('DELETE FROM trials WHERE id = $1 AND params_json = $2', [trialId, UNPROPOSED]);
  }

  async heartbeat(trialIds: readonly number[]): Promise<void> {
    if (trialIds.length === 0) return;
    await this.q(`UPDATE trials SET heartbeat_ms = ${NOW_MS} WHERE id = ANY($1::integer[]) AND state = 'running'`, [[...trialIds]]);
  }

  async recordEngine(trialId: number, engine: string): Promise<void> {
    await this.q('UPDATE trials SET engine = $2 WHERE id = $1', [trialId, engine]);
  }

  async recordFold(trialId: number, f: FoldRecord, epochs: readonly EpochRow[], attempt?: number): Promise<void> {
    await this.tx(async (c) => {
      // the row lock keeps a takeover or a finish out until the fold is in
      const held = await c.query(`UPDATE trials SET heartbeat_ms = ${NOW_MS} WHERE id = $1 AND ${HELD('$2')} RETURNING id`, [trialId, attempt ?? null]);
      if (held.rows.length === 0) throw leaseLost(trialId, await this.trialState(trialId, c), attempt);
      await insertFold(c, trialId, f, epochs);
    });
  }

  /** A trial's state and attempt, for the message of a refused write. */
  private async trialState(trialId: number, c?: pg.PoolClient): Promise<{ state: string; attempts: number } | null> {
    const sql = 'SELECT state, attempts FROM trials WHERE id = $1';
    const [row] = (c ? (await c.query(sql, [trialId])).rows : await this.q(sql, [trialId])) as { state: string; attempts: number }[];
    return row ?? null;
  }

  async getFolds(trialId: number): Promise<FoldRecord[]> {
    return (await this.q('SELECT * FROM fold_results WHERE trial_id = $1 ORDER BY fold', [trialId])).map(toFold);
  }

  async foldsByTrial(studyId: number): Promise<Map<number, FoldRecord[]>> {
    const out = new Map<number, FoldRecord[]>();
    for (const { id } of await this.q(`SELECT id FROM trials WHERE study_id = $1 AND ${PROPOSED}`, [studyId])) out.set(id as number, []);
    const rows = await this.q('SELECT f.* FROM fold_results f JOIN trials t ON t.id = f.trial_id WHERE t.study_id = $1 ORDER BY f.trial_id, f.fold', [studyId]);
    for (const r of rows) out.get(r.trial_id as number)?.push(toFold(r));
    return out;
  }

  async getEpochs(trialId: number): Promise<EpochRow[]> {
    return (await this.q('SELECT * FROM epochs WHERE trial_id = $1 ORDER BY fold, epoch', [trialId])).map(toEpoch);
  }

  async reportIntermediate(trialId: number, rows: readonly IntermediateRow[], attempt?: number): Promise<boolean> {
    const [r] = await this.q(
      `WITH held AS (SELECT id FROM trials WHERE id = $1 AND ${HELD('$5')}),
            ins AS (INSERT INTO intermediate_values (trial_id, kind, step, value)
                    SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::double precision[]) WHERE EXISTS (SELECT 1 FROM held)
                    ON CONFLICT DO NOTHING)
       SELECT EXISTS (SELECT 1 FROM held) AS held`,
      [trialId, rows.map((x) => x.kind), rows.map((x) => x.step), rows.map((x) => num(x.value)), attempt ?? null],
    );
    return r.held as boolean;
  }

  async intermediateValues(studyId: number): Promise<IntermediateRecord[]> {
    const rows = await this.q(`SELECT v.* FROM intermediate_values v JOIN trials t ON t.id = v.trial_id WHERE t.study_id = $1 AND t.${PROPOSED} ORDER BY v.trial_id, v.kind, v.step`, [studyId]);
    return rows.map(toIntermediate);
  }

  async finishTrial(trialId: number, f: FinishTrial, attempt?: number): Promise<TrialRecord> {
    if (f.epochs?.length) {
      if (f.state !== 'pruned') throw new Error(`trial ${trialId}: only a pruned trial is finished with epochs`);
      // the pruned folds' epochs and the state in one transaction
      const epochs = f.epochs;
      return this.tx(async (c) => {
        const [row] = (await c.query(`${FINISH} RETURNING *`, finishValues(trialId, f, attempt))).rows as Row[];
        if (!row) throw leaseLost(trialId, await this.trialState(trialId, c), attempt);
        await insertEpochs(c, trialId, epochs);
        return toTrial(row);
      });
    }
    // one statement: only a running trial (in that attempt) changes
    const [row] = await this.q(`${FINISH} RETURNING *`, finishValues(trialId, f, attempt));
    if (row) return toTrial(row);
    throw leaseLost(trialId, await this.trialState(trialId), attempt);
  }

  async interruptTrial(trialId: number, attempt?: number): Promise<void> {
    await this.q(`UPDATE trials SET state = 'interrupted', heartbeat_ms = NULL, ${endAttempt(NOW_MS)} WHERE id = $1 AND ${HELD('$2')}`, [trialId, attempt ?? null]);
  }

  async importTrial(studyId: number, t: ImportedTrial, space: ParamSpace): Promise<TrialRecord> {
    return this.tx(async (c) => {
      // numbers are handed out under this lock (reserveTrial): an import cannot interleave with a reservation
      await c.query('SELECT id FROM studies WHERE id = $1 FOR NO KEY UPDATE', [studyId]);
      const x = t.trial;
      const key = configKey(x.params);
      const held = (await c.query('SELECT 1 FROM trials WHERE study_id = $1 AND config_key = $2', [studyId, key])).rows.length > 0;
      const ins = await c.query(
        `INSERT INTO trials (study_id, number, sampler, sampler_index, state, params_json, config_key, value, std, fail_reason, error, engine, started_at, completed_at, duration_s, mean_fit_time, mean_score_time, attempts, worker)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING *`,
        [studyId, x.number, x.sampler, x.samplerIndex, x.state, JSON.stringify(x.params), held ? null : key, num(x.value), num(x.std), x.failReason, x.error, x.engine, x.startedAt, x.completedAt, num(x.duration), num(x.meanFitTime), num(x.meanScoreTime), x.attempts, x.worker],
      );
      const id = ins.rows[0].id as number;
      await insertParams(c, id, x.params, space);
      const folds = new Set(t.folds.map((f) => f.fold));
      for (const f of t.folds) await insertFold(c, id, f, t.epochs.filter((e) => e.fold === f.fold));
      // a pruned trial's epochs of folds stopped early
      if (x.state === 'pruned') await insertEpochs(c, id, t.epochs.filter((e) => !folds.has(e.fold)));
      const iv = t.intermediate ?? [];
      if (iv.length) {
        await c.query('INSERT INTO intermediate_values (trial_id, kind, step, value) SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::double precision[])', [
          id,
          iv.map((r) => r.kind),
          iv.map((r) => r.step),
          iv.map((r) => num(r.value)),
        ]);
      }
      return toTrial(ins.rows[0]);
    });
  }
}

async function schemaVersion(c: pg.PoolClient, location: string): Promise<number> {
  const present = (await c.query('SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL', [[...PG_TABLES]])).rows.map((r) => r.name as string);
  if (!present.includes('meta')) {
    if (present.length > 0) throw new StorageError(`${location}: not an nnsearch database (it has a table '${present[0]}' but no nnsearch schema)`);
    return 0;
  }
  const [row] = (await c.query("SELECT value FROM meta WHERE key = 'schema_version'")).rows;
  return row ? Number(row.value) : 0;
}

/** v3: the configuration key of every existing trial (schema.ts's rule). */
async function backfillConfigKeys(c: pg.PoolClient): Promise<void> {
  const { rows } = await c.query('SELECT id, study_id, params_json FROM trials ORDER BY study_id, number');
  const holders = configKeyHolders(rows as { id: number; study_id: number; params_json: string }[]);
  await c.query('UPDATE trials SET config_key = k.key FROM unnest($1::integer[], $2::text[]) AS k(id, key) WHERE trials.id = k.id', [[...holders.keys()], [...holders.values()]]);
}

/** The running trials among `rows` whose worker is gone, judged by the server's clock (rows carry now_ms). */
function abandoned(rows: Row[], leaseMs: number): Row[] {
  return rows.filter((r) => r.state !== 'interrupted' && isAbandoned(r.worker as string | null, r.heartbeat_ms as number | null, leaseMs, r.now_ms as number));
}

/** Interrupts the running trials of dead workers and drops their unproposed reservations, locking only those. */
async function reapDeadTrials(c: pg.PoolClient, studyId: number, leaseMs: number): Promise<void> {
  const running = (await c.query(`SELECT id, worker, heartbeat_ms, ${NOW_MS} AS now_ms FROM trials WHERE study_id = $1 AND state = 'running'`, [studyId])).rows;
  const candidates = abandoned(running, leaseMs).map((r) => r.id as number);
  if (candidates.length === 0) return;
  // locked and judged again on the current rows: a worker that just beat keeps its trial
  const locked = (await c.query(`SELECT id, worker, heartbeat_ms, params_json, ${NOW_MS} AS now_ms FROM trials WHERE id = ANY($1::integer[]) AND state = 'running' FOR NO KEY UPDATE SKIP LOCKED`, [candidates])).rows;
  const dead = abandoned(locked, leaseMs);
  const drop = dead.filter((r) => r.params_json === UNPROPOSED).map((r) => r.id as number);
  const interrupt = dead.filter((r) => r.params_json !== UNPROPOSED).map((r) => r.id as number);
  if (drop.length) await c.query('DELETE FROM trials WHERE id = ANY($1::integer[])', [drop]);
  // the attempt lasted until its worker's last heartbeat
  if (interrupt.length) await c.query(`UPDATE trials SET state = 'interrupted', ${endAttempt('coalesce(heartbeat_ms, attempt_started_ms)')} WHERE id = ANY($1::integer[])`, [interrupt]);
}

/** SQL assignments that close a trial's attempt at `endMs` (an SQL expression): its time joins elapsed_s. */
function endAttempt(endMs: string): string {
  return `elapsed_s = elapsed_s + coalesce((${endMs} - attempt_started_ms) / 1000.0, 0), attempt_started_ms = NULL`;
}

async function insertParams(c: pg.PoolClient, trialId: number, params: Params, allParams: ParamSpace): Promise<void> {
  // a conditional parameter that does not apply has no row
  const space = allParams.filter((p) => params[p.name] !== undefined);
  if (space.length === 0) return;
  await c.query(
    'INSERT INTO trial_params (trial_id, name, value_json, internal, distribution_json) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::double precision[], $5::text[])',
    [trialId, space.map((p) => p.name), space.map((p) => JSON.stringify(params[p.name])), space.map((p) => internalValue(p.dist, params[p.name])), space.map((p) => JSON.stringify(p.dist))],
  );
}

async function insertFold(c: pg.PoolClient, trialId: number, f: FoldRecord, epochs: readonly EpochRow[]): Promise<void> {
  await c.query(
    `INSERT INTO fold_results (trial_id, fold, score, test_loss, fit_time, score_time, epochs_run, stopped_epoch, restored_epoch, diverged, train_size, test_size, train_score)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [trialId, f.fold, num(f.score), num(f.testLoss), f.fitTime, f.scoreTime, f.epochsRun, f.stoppedEpoch, f.restoredEpoch, f.diverged, f.trainSize, f.testSize, num(f.trainScore ?? null)],
  );
  await insertEpochs(c, trialId, epochs);
}

async function insertEpochs(c: pg.PoolClient, trialId: number, epochs: readonly EpochRow[]): Promise<void> {
  if (epochs.length === 0) return;
  const col = (get: (e: EpochRow) => number | null) => epochs.map((e) => num(get(e)));
  await c.query(
    `INSERT INTO epochs (trial_id, fold, epoch, lr, loss, metric, val_loss, val_metric, test_loss, test_metric, seconds)
     SELECT $1, * FROM unnest($2::integer[], $3::integer[], $4::double precision[], $5::double precision[], $6::double precision[], $7::double precision[],
                              $8::double precision[], $9::double precision[], $10::double precision[], $11::double precision[])`,
    [trialId, epochs.map((e) => e.fold), epochs.map((e) => e.epoch), epochs.map((e) => e.lr), col((e) => e.loss), col((e) => e.metric), col((e) => e.valLoss), col((e) => e.valMetric), col((e) => e.testLoss), col((e) => e.testMetric), col((e) => e.seconds)],
  );
}
