/**
 * Options several commands share, the database a command opens, and the study it works on: the
 * one place that words storage lookups in terms of flags.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { BACKENDS, type BackendName } from '../engine/index.js';
import { corruptionError, isCorruption, SqliteStore } from '../store/sqlite-store.js';
import type { Storage } from '../store/storage.js';
import type { StudyRecord } from '../store/types.js';

export const withDb = <T>(y: Argv<T>) => y.option('db', { type: 'string', default: 'nnsearch.db', describe: 'SQLite database file' });

export const withStudy = <T>(y: Argv<T>) => y.option('study', { type: 'string', describe: 'study name (default: the only study)' });

export const withBackend = <T>(y: Argv<T>, describe: string) => y.option('backend', { choices: BACKENDS, default: 'auto' as BackendName, describe });

/** How a command uses its storage: searches write (and create it), the other commands only read. */
export type StorageMode = 'write' | 'read';

/** The storage behind --db. */
export async function openStorage(db: string, mode: StorageMode): Promise<Storage> {
  return SqliteStore.open(db, { create: mode === 'write', readonly: mode === 'read' });
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
