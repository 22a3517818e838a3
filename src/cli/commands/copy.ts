/** copy: move a study between storages (a SQLite file, a PostgreSQL server), in either direction. */
import type { Argv } from 'yargs';
import { copyStudy } from '../../store/copy.js';
import { storedSpec } from '../../study/prepare.js';
import type { Output } from '../io.js';
import { pickStudy, withStorage, withStudy } from '../options.js';

export interface CopyArgs {
  from: string;
  to: string;
  study?: string;
}

export function copyCommand(args: CopyArgs, io: Output): Promise<void> {
  return withStorage(args.from, 'read', (from) =>
    withStorage(args.to, 'write', async (to) => {
      const study = await pickStudy(from, args.study);
      const r = await copyStudy(from, to, study.name, storedSpec(study.specJson).space);
      io.out(`study ${study.name}: ${r.copied} trial${r.copied === 1 ? '' : 's'} copied from ${from.location} to ${to.location}${r.present ? ` (${r.present} already there)` : ''}`);
      if (r.running > 0) {
        io.err(`study ${study.name}: ${r.running} trial${r.running === 1 ? ' was' : 's were'} running in ${from.location}, copied as interrupted: the next search on ${to.location} resumes ${r.running === 1 ? 'it' : 'them'} (stop the search at the source, or ${r.running === 1 ? 'it is' : 'they are'} trained twice)`);
      }
    }),
  );
}

export function registerCopy<T>(y: Argv<T>, io: Output): Argv<T> {
  return y.command(
    'copy',
    'copy a study between databases (a SQLite file, postgresql://...), either way; running it again adds only what is missing',
    (c) =>
      withStudy(c)
        .option('from', { type: 'string', demandOption: true, describe: 'the database holding the study' })
        .option('to', { type: 'string', demandOption: true, describe: 'the database to copy it to (created if it is a new SQLite file)' }),
    (a) => copyCommand({ from: a.from, to: a.to, study: a.study }, io),
  );
}
