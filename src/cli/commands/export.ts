/** export: refit the best (or a chosen) configuration on all training data and save a LayersModel. */
import type { Argv } from 'yargs';
import type { BackendName } from '../../engine/index.js';
import { UsageError } from '../../errors.js';
import { formatParams } from '../../report/render.js';
import { exportModel } from '../../study/export.js';
import type { Output } from '../io.js';
import { pickStudy, withBackend, withDb, withStorage, withStudy } from '../options.js';

export interface ExportArgs {
  db: string;
  study?: string;
  /** The directory to write model.json, weights.bin and nnsearch.json to. */
  dir: string;
  backend: BackendName;
  trial?: number;
  /** Refit on the whole training split, ignoring data.limit. */
  full?: boolean;
}

export function exportCommand(args: ExportArgs, io: Output): Promise<void> {
  return withStorage(args.db, 'read', async (store) => {
    const study = await pickStudy(store, args.study);
    const meta = await exportModel(store, study, { dir: args.dir, backend: args.backend, trial: args.trial, full: args.full ?? false });
    io.out(`exported trial ${meta.trial} of ${meta.study} ${formatParams(meta.params)} to ${args.dir} (model.json, weights.bin, nnsearch.json)`);
    io.out(`refit on ${meta.trainedOn}, ${meta.epochs} epochs, engine ${meta.engine}`);
    if (meta.test) io.out(`test split (${meta.test.source}): ${meta.test.metric} ${meta.test.engine.toFixed(4)}; reloaded LayersModel: ${meta.test.reloaded.toFixed(4)}`);
    else io.out('the dataset has no test split: nothing scored (use nnsearch predict --model DIR --data ... on held-out data)');
  });
}

export function registerExport<T>(y: Argv<T>, io: Output): Argv<T> {
  return y.command(
    'export',
    'refit the best configuration on all training data and save it as a TensorFlow.js LayersModel',
    (c) =>
      withBackend(withStudy(withDb(c)), 'training engine for the refit')
        .option('best', { type: 'string', demandOption: true, describe: 'directory to write model.json, weights.bin and nnsearch.json to' })
        .option('trial', { type: 'string', describe: 'export this trial (its number) instead of the best' })
        .option('full', { type: 'boolean', default: false, describe: 'refit on the whole training split, ignoring data.limit (search on a subset, train the final model on everything)' }),
    (a) => {
      if (a.best.trim() === '') throw new UsageError('--best: give the directory to write the model to (e.g. --best model/)');
      if (a.trial !== undefined && !/^\d+$/.test(a.trial)) throw new UsageError(`--trial: expected a trial number, got '${a.trial}'`);
      return exportCommand({ db: a.db, study: a.study, dir: a.best, trial: a.trial === undefined ? undefined : Number(a.trial), backend: a.backend, full: a.full }, io);
    },
  );
}
