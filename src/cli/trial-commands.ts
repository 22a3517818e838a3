/**
 * Commands about one trial or its model: show (a trial in detail), export (refit the best
 * configuration and save a TensorFlow.js LayersModel), predict (run an exported model on data).
 */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { BackendName } from '../engine/index.js';
import { formatParams, formatValue, renderTable } from '../report/render.js';
import { sparkline } from '../report/sparkline.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { bestTrial, exportModel, predictionData, readExportMeta, scorePredictions } from '../study/export.js';
import { writeFileAtomic } from '../files.js';
import { pickStudy, type Output } from './commands.js';

export function showCommand(args: { db: string; study?: string; trial: string }, io: Output): void {
  const store = SqliteStore.open(args.db, { create: false });
  try {
    const study = pickStudy(store, args.study);
    const t = args.trial === 'best' ? bestTrial(store, study) : store.getTrialByNumber(study.id, Number(args.trial));
    if (!t) throw new UsageError(`show: study '${study.name}' has no trial ${args.trial} (trials are numbered 0..${store.listTrials(study.id).length - 1})`);
    const folds = store.getFolds(t.id);
    const epochs = store.getEpochs(t.id);
    const lines: string[] = [];
    const score = t.state === 'complete' ? `${study.metric} ${t.value!.toFixed(4)} ± ${t.std!.toFixed(4)}` : t.state === 'fail' ? `failed (${t.failReason}): ${t.error ?? ''}` : t.state;
    lines.push(`trial ${t.number} of study ${study.name} (${t.sampler} #${t.samplerIndex}): ${score}`);
    lines.push(`params: ${formatParams(t.params)}`);
    lines.push(`engine ${t.engine ?? '-'} · ${folds.length}/${study.folds} folds · mean fit ${t.meanFitTime?.toFixed(2) ?? '-'} s · ${t.duration?.toFixed(1) ?? '-'} s wall · attempts ${t.attempts}`);
    if (folds.length) {
      lines.push('');
      lines.push(
        renderTable(
          ['fold', study.metric, 'test_loss', 'epochs', 'stopped', 'restored', 'train', 'test', 'fit s'],
          folds.map((f) => [String(f.fold), Number.isNaN(f.score) ? 'nan' : f.score.toFixed(4), Number.isNaN(f.testLoss) ? 'nan' : f.testLoss.toFixed(4), String(f.epochsRun), f.stoppedEpoch === null ? '-' : String(f.stoppedEpoch), f.restoredEpoch === null ? '-' : String(f.restoredEpoch), String(f.trainSize), String(f.testSize), f.fitTime.toFixed(2)]),
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
  } finally {
    store.close();
  }
}

export async function exportCommand(args: { db: string; study?: string; dir: string; backend: BackendName; trial?: number }, io: Output): Promise<void> {
  const store = SqliteStore.open(args.db, { create: false });
  try {
    const study = pickStudy(store, args.study);
    const meta = await exportModel(store, study, { dir: args.dir, backend: args.backend, trial: args.trial });
    io.out(`exported trial ${meta.trial} of ${meta.study} ${formatParams(meta.params as never)} to ${args.dir} (model.json, weights.bin, nnsearch.json)`);
    io.out(`refit on ${meta.trainedOn}, ${meta.epochs} epochs, engine ${meta.engine}`);
    if (meta.test) io.out(`test split (${meta.test.source}): ${meta.test.metric} ${meta.test.engine.toFixed(4)}; reloaded LayersModel: ${meta.test.reloaded.toFixed(4)}`);
    else io.out('the dataset has no test split: nothing scored (use nnsearch predict --model DIR --data ... on held-out data)');
  } finally {
    store.close();
  }
}

export async function predictCommand(args: { model: string; data: string; out?: string; show: number }, io: Output): Promise<void> {
  const meta = readExportMeta(args.model);
  const { data, labelled } = predictionData(args.data, meta, process.cwd());
  if (data.d !== meta.inputDim) throw new UsageError(`--data: ${data.source} has ${data.d} features, the model takes ${meta.inputDim}`);
  const { loadLayersModel, predictRows, ensureTfjsBackend } = await import('../engine/layers-model.js');
  await ensureTfjsBackend();
  const model = await loadLayersModel(args.model);
  const classification = meta.task === 'classification';
  const { predictions, outputs, width } = predictRows(model, data.x, data.n, data.d, classification);
  model.dispose();
  const name = (v: number) => (classification && meta.classNames ? meta.classNames[v] : formatValue(v));
  io.out(`${data.source}: ${data.n} samples`);
  if (labelled) io.out(`${meta.metric} ${scorePredictions(predictions, data.y, classification).toFixed(4)}`);
  const shown = Math.min(args.show, data.n);
  if (shown > 0) io.out(`first ${shown} predictions: ${Array.from(predictions.subarray(0, shown), name).join(' ')}`);
  if (args.out) {
    const head = ['prediction', ...(labelled ? ['label'] : []), ...(classification && width > 1 ? Array.from({ length: width }, (_, j) => `p_${meta.classNames?.[j] ?? j}`) : [])];
    const rows = Array.from({ length: data.n }, (_, i) => [name(predictions[i]), ...(labelled ? [name(data.y[i])] : []), ...(classification && width > 1 ? Array.from(outputs.subarray(i * width, (i + 1) * width), (p) => p.toFixed(6)) : [])].join(','));
    writeFileAtomic(resolve(args.out), [head.join(','), ...rows].join('\n') + '\n');
    io.err(`wrote ${args.out}`);
  }
}
