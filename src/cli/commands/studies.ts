/** studies: the studies in a database, with counts and the best value. */
import type { Argv } from 'yargs';
import { renderTable } from '../../report/render.js';
import type { Output } from '../io.js';
import { withDb, withStorage } from '../options.js';

export function studiesCommand(args: { db: string }, io: Output): Promise<void> {
  return withStorage(args.db, 'read', async (store) => {
    const rows = (await store.listStudies()).map((s) => [s.name, String(s.trials), String(s.complete), String(s.pruned), String(s.failed), String(s.running), s.best === null ? '-' : s.best.toFixed(4), `${s.metric} (${s.goal})`, s.createdAt.slice(0, 19).replace('T', ' ')]);
    io.out(rows.length ? renderTable(['study', 'trials', 'complete', 'pruned', 'failed', 'running', 'best', 'metric', 'created'], rows) : `${store.location}: no studies yet`);
  });
}

export function registerStudies<T>(y: Argv<T>, io: Output): Argv<T> {
  return y.command('studies', 'list the studies in the database', (c) => withDb(c), (a) => studiesCommand({ db: a.db }, io));
}
