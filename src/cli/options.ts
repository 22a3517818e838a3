/**
 * Options several commands share, the database a command opens, and the study it works on: the
 * one place that words storage lookups in terms of flags.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { BACKENDS, type BackendName } from '../engine/index.js';
import { isPostgresUrl } from '../store/pg-url.js';
import { corruptionError, isCorruption, SqliteStore } from '../store/sqlite-store.js';
import type { Storage } from '../store/storage.js';
import type { StudyRecord } from '../store/types.js';

/** --db: a SQLite file or a PostgreSQL URL; NNSEARCH_DB sets the default (never shown: it may hold a password). */
export const withDb = <T>(y: Argv<T>) =>
  y.option('db', {
    type: 'string',
    default: process.env.NNSEARCH_DB || 'nnsearch.db',
    defaultDescription: '$NNSEARCH_DB, else nnsearch.db',
    describe: 'the database: a SQLite file, or postgresql://user:password@host:port/database',
  });

export const withStudy = <T>(y: Argv<T>) => y.option('study', { type: 'string', describe: 'study name (default: the only study)' });

export const withBackend = <T>(y: Argv<T>, describe: string) => y.option('backend', { choices: BACKENDS, default: 'auto' as BackendName, describe });

/** How a command uses its storage: searches write (and create it), the other commands only read. */
export type StorageMode = 'write' | 'read';

/**
 * The storage behind --db: a PostgreSQL server (postgresql:// or postgres://), else a SQLite file
 * (a path, or SQLAlchemy's sqlite:///path as Optuna users write it). Searches create the file or
 * the tables; the other commands only read (a SQLite file is opened read-only).
 */
export async function openStorage(db: string, mode: StorageMode): Promise<Storage> {
  const file = sqliteFile(db);
  if (file !== null) return SqliteStore.open(file, { create: mode === 'write', readonly: mode === 'read' });
  // loaded only when used: node-postgres adds to every start otherwise
  const { PgStore } = await import('../store/pg-store.js');
  return PgStore.open(db, { create: mode === 'write' });
}

/** The SQLite file --db names, or null for a PostgreSQL URL. */
export function sqliteFile(db: string): string | null {
  if (isPostgresUrl(db)) return null;
  if (/^sqlite:\/\/\//i.test(db)) return db.slice('sqlite:///'.length);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(db)?.[0];
  if (scheme) throw new UsageError(`--db: ${scheme} URLs are not a database nnsearch can use (a SQLite file, or postgresql://user:password@host:port/database)`);
  return db;
}

/**
 * Runs `fn` with the storage open, and closes it whatever happens. A damaged database met on the
 * way (SQLite's "malformed") becomes one line naming the file.
 */
export async function withStorage<T>(db: string, mode: StorageMode, fn: (store: Storage) => Promise<T>): Promise<T> {
  const store = await openStorage(db, mode);
  try {
    return await fn(store);
  } catch (e) {
    if (isCorruption(e)) throw corruptionError(store.location, (e as Error).message);
    throw e;
  } finally {
    await store.close();
  }
}

/** The study named by --study, or the only one in the database. */
export async function pickStudy(store: Storage, name: string | undefined): Promise<StudyRecord> {
  if (name) {
    const s = await store.getStudy(name);
    if (!s) {
      const names = (await store.listStudies()).map((x) => x.name);
      throw new UsageError(`--study: no study '${name}' in ${store.location}${names.length ? ` (studies: ${names.join(', ')})` : ''}`);
    }
    return s;
  }
  const all = await store.listStudies();
  if (all.length === 0) throw new UsageError(`${store.location}: holds no studies yet`);
  if (all.length > 1) throw new UsageError(`${store.location} holds several studies (${all.map((s) => s.name).join(', ')}); pass --study NAME`);
  return all[0];
}

/** A positive (or, with min 0, non-negative) integer flag, or a one-line usage error naming it. */
export function checkInteger(flag: string, v: number | undefined, min: 0 | 1): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new UsageError(`--${flag}: must be a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
}
