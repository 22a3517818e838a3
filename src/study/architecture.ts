/**
 * A trial's architecture as Keras's model.summary() prints it (layers, output shapes, parameter
 * counts), for show, report and the HTML report. Conv nets only (an MLP's `units` say it all). The
 * sample shape comes from the spec when it says it (mnist, fashion-mnist: 28x28x1, 10 classes), else
 * from the data itself.
 */
import { loadDataset } from '../data/load.js';
import { resolveTrial, type DataShape } from '../models/config.js';
import { isSequentialSpec, summaryLines } from '../models/sequential.js';
import type { Params } from '../search/space.js';
import type { Spec } from '../spec/schema.js';

function dataShape(spec: Spec): DataShape {
  const d = spec.data;
  if ((d.dataset === 'mnist' || d.dataset === 'fashion-mnist') && !d.shape) return { d: 784, task: 'classification', nClasses: d.classes ?? 10, shape: [28, 28, 1] };
  const { train } = loadDataset(d, '/', spec.seed);
  return { d: train.d, task: train.task, nClasses: train.nClasses, ...(train.shape ? { shape: train.shape } : {}) };
}

/** model.summary() lines of the trial's model, or null for an MLP (or when the data cannot be read). */
export function architectureLines(spec: Spec, params: Params): string[] | null {
  if (!isSequentialSpec(spec.model)) return null;
  try {
    const cfg = resolveTrial(spec, params, dataShape(spec));
    return summaryLines(cfg.model.layers!, cfg.model.inputShape!);
  } catch {
    return null;
  }
}
