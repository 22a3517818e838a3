/** show: one trial in detail: params, per-fold scores, learning-curve sparklines. */
import type { Argv } from 'yargs';
import { NotFoundError } from '../../errors.js';
import { formatParams, formatValue, renderTable } from '../../report/render.js';
import { sparkline } from '../../report/sparkline.js';
import { architectureLines } from '../../study/architecture.js';
import { bestTrial } from '../../study/export.js';
import { storedSpec } from '../../study/prepare.js';
import type { Output } from '../io.js';
import { pickStudy, withDb, withStorage, withStudy } from '../options.js';

export interface ShowArgs {
  db: string;
  study?: string;
  /** A trial number, or 'best'. */
  trial: string;
}

export function showCommand(args: ShowArgs, io: Output): Promise<void> {
  return withStorage(args.db, 'read', async (store) => {
    const study = await pickStudy(store, args.study);
    const t = args.trial === 'best' ? await bestTrial(store, study) : await store.getTrialByNumber(study.id, Number(args.trial));
    if (!t) throw new NotFoundError(`show: study '${study.name}' has no trial ${args.trial} (trials are numbered 0..${(await store.listTrials(study.id)).length - 1})`);
    const folds = await store.getFolds(t.id);
    const epochs = await store.getEpochs(t.id);
    const lines: string[] = [];
    const score = t.state === 'complete' ? `${study.metric} ${t.value!.toFixed(4)} ± ${t.std!.toFixed(4)}` : t.state === 'fail' ? `failed (${t.failReason}): ${t.error ?? ''}` : t.state === 'pruned' ? `pruned (reached ${study.metric} ${t.value === null ? '-' : t.value.toFixed(4)})` : t.state;
    lines.push(`trial ${t.number} of study ${study.name} (${t.sampler} #${t.samplerIndex}): ${score}`);
    lines.push(`params: ${formatParams(t.params)}`);
    const architecture = architectureLines(storedSpec(study.specJson), t.params);
    if (architecture) lines.push('', 'model:', ...architecture.map((l) => `  ${l}`), '');
    lines.push(`engine ${t.engine ?? '-'} · ${folds.length}/${study.folds} folds · mean fit ${t.meanFitTime?.toFixed(2) ?? '-'} s · ${t.duration?.toFixed(1) ?? '-'} s wall · attempts ${t.attempts}`);
    if (folds.length) {
      lines.push('');
      // the training-part score, when the study asked for it (cv.return_train_score)
      const trainScores = folds.some((f) => f.trainScore !== null);
      const num = (v: number) => (Number.isNaN(v) ? 'nan' : v.toFixed(4));
      lines.push(
        renderTable(
          ['fold', study.metric, ...(trainScores ? ['train_score'] : []), 'test_loss', 'epochs', 'stopped', 'restored', 'train', 'test', 'fit s'],
          folds.map((f) => [String(f.fold), num(f.score), ...(trainScores ? [f.trainScore === null ? '-' : num(f.trainScore)] : []), num(f.testLoss), String(f.epochsRun), f.stoppedEpoch === null ? '-' : String(f.stoppedEpoch), f.restoredEpoch === null ? '-' : String(f.restoredEpoch), String(f.trainSize), String(f.testSize), f.fitTime.toFixed(2)]),
        ),
      );
    }
    if (epochs.length) {
      lines.push('');
      lines.push('learning curves (per fold, first epoch → last):');
      const all = epochs.flatMap((e) => [e.loss, e.valLoss ?? e.testLoss]).filter(Number.isFinite);
      const lo = Math.min(...all);
      const hi = Math.max(...all);
      const hasVal = epochs.some((e) => e.valLoss !== null);
      for (const fold of [...new Set(epochs.map((e) => e.fold))]) {
        const fe = epochs.filter((e) => e.fold === fold);
        const row = (name: string, xs: number[]) => `  fold ${fold} ${name.padEnd(9)} ${sparkline(xs, lo, hi)}  ${formatValue(xs[0])} → ${formatValue(xs[xs.length - 1])}`;
        lines.push(row('loss', fe.map((e) => e.loss)));
        lines.push(hasVal ? row('val_loss', fe.map((e) => e.valLoss ?? NaN)) : row('test_loss', fe.map((e) => e.testLoss)));
      }
    }
    io.out(lines.join('\n'));
  });
}

export function registerShow<T>(y: Argv<T>, io: Output): Argv<T> {
  return y.command(
    'show <trial>',
    "one trial in detail: params, per-fold scores, learning-curve sparklines ('best' for the best)",
    (c) => withStudy(withDb(c)).positional('trial', { type: 'string', demandOption: true, describe: "trial number, or 'best'" }),
    (a) => showCommand({ db: a.db, study: a.study, trial: a.trial }, io),
  );
}
