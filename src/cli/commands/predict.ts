/** predict: run an exported model on data, report its score and write the predictions. */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { isTrainingData, loadPredictionData } from '../../data/load.js';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../files.js';
import { formatValue } from '../../report/render.js';
import { readExportMeta, scorePredictions } from '../../study/export.js';
import type { Output } from '../io.js';

export interface PredictArgs {
  /** A directory written by nnsearch export. */
  model: string;
  data: string;
  out?: string;
  /** Print the first N predictions. */
  show: number;
}

export async function predictCommand(args: PredictArgs, io: Output): Promise<void> {
  const meta = readExportMeta(args.model);
  const { data, labelled } = loadPredictionData(args.data, { inputDim: meta.inputDim, task: meta.task, classes: meta.classes, classNames: meta.classNames, csv: { header: meta.data.header, target: meta.data.target } }, process.cwd());
  if (data.d !== meta.inputDim) throw new UsageError(`--data: ${data.source} has ${data.d} features, the model takes ${meta.inputDim}`);
  const { loadLayersModel, predictRows, ensureTfjsBackend } = await import('../../engine/layers-model.js');
  await ensureTfjsBackend();
  const model = await loadLayersModel(args.model);
  const classification = meta.task === 'classification';
  const { predictions, outputs, width } = predictRows(model, data.x, data.n, data.d, classification);
  model.dispose();
  const name = (v: number) => (classification && meta.classNames ? meta.classNames[v] : formatValue(v));
  io.out(`${data.source}: ${data.n} samples`);
  if (labelled) {
    const training = isTrainingData(args.data, meta.data, process.cwd());
    io.out(`${meta.metric} ${scorePredictions(predictions, data.y, classification).toFixed(4)}${training ? ' (on the data the model was trained on: a training score, not an estimate for new data)' : ''}`);
  }
  const shown = Math.min(args.show, data.n);
  if (shown > 0) io.out(`first ${shown} predictions: ${Array.from(predictions.subarray(0, shown), name).join(' ')}`);
  if (args.out) {
    const head = ['prediction', ...(labelled ? ['label'] : []), ...(classification && width > 1 ? Array.from({ length: width }, (_, j) => `p_${meta.classNames?.[j] ?? j}`) : [])];
    const rows = Array.from({ length: data.n }, (_, i) => [name(predictions[i]), ...(labelled ? [name(data.y[i])] : []), ...(classification && width > 1 ? Array.from(outputs.subarray(i * width, (i + 1) * width), (p) => p.toFixed(6)) : [])].join(','));
    writeFileAtomic(resolve(args.out), [head.join(','), ...rows].join('\n') + '\n');
    io.err(`wrote ${args.out}`);
  }
}

export function registerPredict<T>(y: Argv<T>, io: Output): Argv<T> {
  return y.command(
    'predict',
    'run an exported model on data and report its accuracy',
    (c) =>
      c
        .option('model', { type: 'string', demandOption: true, describe: 'directory written by nnsearch export' })
        .option('data', { type: 'string', demandOption: true, describe: 'mnist, fashion-mnist[:train], an IDX directory, or a CSV file' })
        .option('out', { type: 'string', describe: 'write every prediction (and class probabilities) to this CSV file' })
        .option('show', { type: 'number', default: 10, describe: 'print the first N predictions' }),
    (a) => predictCommand({ model: a.model, data: a.data, out: a.out, show: a.show }, io),
  );
}
