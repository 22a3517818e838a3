/**
 * The whole-search row of `npm run bench`: configs/init-mode.yaml (8 initializers x 3 folds = 24 fits
 * of 784-128-10, 15 epochs of batch 32) through the CLI on the native trainer with all cores, and the
 * same fits (same folds, model, optimizer, epochs, test fold scored every epoch) in plain PyTorch
 * loops in as many single-thread processes (bench/anchors/init_mode_torch.py). One run each.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { studyFolds } from '../src/cv/evaluate.js';
import { loadEmbeddedMnist } from '../src/data/mnist.js';
import { packageRoot } from '../src/paths.js';
import { parseSpecText } from '../src/spec/file.js';
import { runAnchor, writeAnchorDataset } from './cpu-anchors.js';

interface InitModeSpec {
  model: { units: number[]; learning_rate: number };
  train: { epochs: number; batch_size: number };
  params: { init: string[] };
}

/** The spec's text, with fewer epochs for --quick. */
function specText(epochs: number | null): string {
  const text = readFileSync(join(packageRoot(), 'configs/init-mode.yaml'), 'utf8');
  return epochs === null ? text : text.replace(/epochs: \d+/, `epochs: ${epochs}`);
}

function nnsearchGrid(dir: string, specFile: string, workers: number): Record<string, unknown> {
  const bin = join(packageRoot(), 'bin/nnsearch.js');
  const db = join(dir, 'init-mode.db');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'grid', specFile, '--quiet', '--backend', 'native', '--workers', String(workers), '--db', db], { cwd: dir, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) return { error: (r.stderr || 'nnsearch grid failed').trim().split('\n').pop() };
  const report = spawnSync(process.execPath, [bin, 'report', '--db', db, '--format', 'json'], { cwd: dir, encoding: 'utf8' });
  const cv = (JSON.parse(report.stdout) as { cv_results: { param_init: string[]; mean_test_score: number[] } }).cv_results;
  const mean = Object.fromEntries(cv.param_init.map((init, i) => [init, Number(cv.mean_test_score[i].toFixed(4))]));
  return { backend: 'native', workers, seconds: Number(seconds.toFixed(2)), mean_accuracy: mean };
}

export function wholeSearch(dir: string, workers: number, torchPython: string | null, quickEpochs: number | null): Record<string, unknown> {
  const text = specText(quickEpochs);
  const specFile = join(dir, 'init-mode.yaml');
  writeFileSync(specFile, text);
  const raw = parseYaml(text) as InitModeSpec;
  const fits = raw.params.init.length * 3;
  const native = nnsearchGrid(dir, specFile, workers);
  const out: Record<string, unknown> = { spec: 'configs/init-mode.yaml', epochs: raw.train.epochs, fits, nnsearch: native };
  if (!torchPython) return { ...out, torch: { error: 'no Python with torch' } };
  // the study's own folds, so both sides train and score the same rows
  const parsed = parseSpecText(text);
  if (!parsed.ok) throw new Error('configs/init-mode.yaml does not parse');
  const spec = parsed.spec;
  const data = loadEmbeddedMnist();
  const assignment = new Int32Array(data.n);
  studyFolds(data, spec.cv, spec.data, spec.seed).folds.forEach((f, k) => f.test.forEach((row) => (assignment[row] = k)));
  const prefix = writeAnchorDataset(dir, 'init-mode', data, data.n);
  writeFileSync(join(dir, 'folds.i32'), Buffer.from(assignment.buffer));
  const torch = runAnchor(
    torchPython,
    'init_mode_torch.py',
    ['--data', prefix, '--folds', join(dir, 'folds.i32'), '--inits', raw.params.init.join(','), '--hidden', String(raw.model.units[0]), '--epochs', String(raw.train.epochs), '--batch', String(raw.train.batch_size), '--lr', String(raw.model.learning_rate), '--processes', String(workers)],
    1,
  ) as Record<string, unknown>;
  const ratio = typeof torch.seconds === 'number' && typeof native.seconds === 'number' ? Number((torch.seconds / native.seconds).toFixed(2)) : null;
  return { ...out, torch, speedup_vs_torch: ratio };
}
