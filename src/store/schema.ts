/**
 * The database schema and its migrations. `SCHEMA_VERSION` is what this nnsearch writes; an older
 * file is migrated in place, a newer one is refused.
 */

import { configKey, type Params } from '../search/space.js';

export const SCHEMA_VERSION = 5;

/**
 * The v3 backfill, for every SQL storage: the configuration key each existing trial holds. Rows come
 * ordered by study and number; the first trial of a repeated configuration holds its key, the
 * others none (NULL keys never collide).
 */
export function configKeyHolders(rows: readonly { id: number; study_id: number; params_json: string }[]): Map<number, string> {
  const holders = new Map<number, string>();
  const seen = new Set<string>();
  for (const r of rows) {
    const key = configKey(JSON.parse(r.params_json) as Params);
    if (seen.has(`${r.study_id}:${key}`)) continue;
    seen.add(`${r.study_id}:${key}`);
    holders.set(r.id, key);
  }
  return holders;
}

/** migrations[v] takes a database at version v to v + 1. */
export const MIGRATIONS: Record<number, string> = {
  0: `
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE studies (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      spec_json TEXT NOT NULL,
      metric TEXT NOT NULL,
      goal TEXT NOT NULL CHECK (goal IN ('maximize', 'minimize')),
      data_source TEXT NOT NULL,
      n_samples INTEGER NOT NULL,
      folds INTEGER NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE TABLE trials (
      id INTEGER PRIMARY KEY,
      study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
      number INTEGER NOT NULL,
      sampler TEXT NOT NULL,
      sampler_index INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'fail', 'interrupted')),
      params_json TEXT NOT NULL,
      value REAL,
      std REAL,
      fail_reason TEXT,
      error TEXT,
      engine TEXT,
      started_at TEXT,
      completed_at TEXT,
      duration_s REAL,
      mean_fit_time REAL,
      mean_score_time REAL,
      attempts INTEGER NOT NULL DEFAULT 1,
      worker TEXT,
      heartbeat_ms INTEGER,
      UNIQUE (study_id, number),
      UNIQUE (study_id, sampler, sampler_index)
    );
    CREATE INDEX trials_by_state ON trials (study_id, state);
    CREATE TABLE trial_params (
      trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      value_json TEXT NOT NULL,
      internal REAL,
      distribution_json TEXT NOT NULL,
      PRIMARY KEY (trial_id, name)
    );
    CREATE TABLE fold_results (
      trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
      fold INTEGER NOT NULL,
      score REAL,
      test_loss REAL,
      fit_time REAL NOT NULL,
      score_time REAL NOT NULL,
      epochs_run INTEGER NOT NULL,
      stopped_epoch INTEGER,
      restored_epoch INTEGER,
      diverged INTEGER NOT NULL,
      train_size INTEGER NOT NULL,
      test_size INTEGER NOT NULL,
      PRIMARY KEY (trial_id, fold)
    );
    CREATE TABLE epochs (
      trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
      fold INTEGER NOT NULL,
      epoch INTEGER NOT NULL,
      lr REAL NOT NULL,
      loss REAL,
      metric REAL,
      val_loss REAL,
      val_metric REAL,
      test_loss REAL,
      test_metric REAL,
      PRIMARY KEY (trial_id, fold, epoch)
    );
  `,
  // v2: per-epoch wall time (learning curves over time) and the nnsearch version that made a study
  1: `
    ALTER TABLE epochs ADD COLUMN seconds REAL;
    ALTER TABLE studies ADD COLUMN created_by TEXT;
  `,
  // v3: a configuration's identity (store/claim.ts refuses a second trial of one configuration, even
  // from another worker); trials reserved but not yet proposed carry params_json 'null'; a trial's
  // duration counts its attempts only (elapsed_s: earlier attempts; attempt_started_ms: this one)
  2: `
    ALTER TABLE trials ADD COLUMN config_key TEXT;
    CREATE UNIQUE INDEX trials_by_config ON trials (study_id, config_key);
    ALTER TABLE trials ADD COLUMN elapsed_s REAL NOT NULL DEFAULT 0;
    ALTER TABLE trials ADD COLUMN attempt_started_ms INTEGER;
  `,
  // v4: each fold's score on its training part (cv.return_train_score, scikit-learn's train_score)
  3: `
    ALTER TABLE fold_results ADD COLUMN train_score REAL;
  `,
  // v5: pruning. The state 'pruned' (SQLite cannot alter a CHECK constraint: the trials table is
  // rebuilt first, see rebuildTrialsSql) and each trial's intermediate values, written while it
  // trains so that the pruners of other processes see them (Optuna's trial_intermediate_values)
  4: `
    CREATE TABLE intermediate_values (
      trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
      kind TEXT NOT NULL CHECK (kind IN ('step', 'rung')),
      step INTEGER NOT NULL,
      value REAL,
      PRIMARY KEY (trial_id, kind, step)
    );
  `,
};

/** The trial states a version-5 schema allows (records.ts's TrialState). */
export const STATE_CHECK_V5 = "CHECK (state IN ('running', 'complete', 'fail', 'pruned', 'interrupted'))";
const STATE_CHECK_V0 = "CHECK (state IN ('running', 'complete', 'fail', 'interrupted'))";

/**
 * v4 -> v5 in SQLite: the trials table rebuilt with the new CHECK (SQLite's documented procedure:
 * create the new table from the old one's own CREATE statement, copy, drop, rename, re-create the
 * indexes), run with foreign keys off so that dropping the old table deletes no fold or epoch.
 */
export function rebuildTrialsSql(createSql: string, indexSql: readonly string[]): string {
  if (!createSql.includes(STATE_CHECK_V0)) throw new Error('the trials table does not have the version-4 state constraint');
  const created = createSql.replace(STATE_CHECK_V0, STATE_CHECK_V5).replace(/^CREATE TABLE\s+"?trials"?/i, 'CREATE TABLE trials_v5');
  return [created, 'INSERT INTO trials_v5 SELECT * FROM trials', 'DROP TABLE trials', 'ALTER TABLE trials_v5 RENAME TO trials', ...indexSql].map((q) => `${q};`).join('\n');
}
