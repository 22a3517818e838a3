/**
 * npm run bench [-- --quick] [-- --gpu-software]
 *
 * Training speed on the reference workload (784-64-10, relu/softmax, Adam 1e-3, batch 100): samples/s
 * of each path, and of a whole k-fold grid search through the CLI, beside the NumPy anchor measured
 * in the same run (bench/anchors/mlp_numpy.py). Also peak RSS, and RSS after 5 and after 25 trials
 * in one process (nothing may grow with the number of trials). Prints JSON.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchCommand } from '../src/cli/commands/search.js';
import { NativeEngine } from '../src/engine/native-engine.js';
import { TfjsEngine, liveTensors } from '../src/engine/tfjs-engine.js';
import { packageRoot } from '../src/paths.js';
import { silentProgress } from '../src/study/run.js';
import { gpuPaths, stackSpeed } from './gpu-paths.js';
import { randomMnistLike, referenceJob } from './workload.js';

const quick = process.argv.includes('--quick');
const SAMPLES = quick ? 5000 : 20000;
const root = packageRoot();

function numpyAnchor(): { samples_per_s: number } | { error: string } {
  const r = spawnSync('python3', [join(root, 'bench/anchors/mlp_numpy.py'), '--samples', String(SAMPLES)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'python3 failed').trim().split('\n').pop()! };
  return JSON.parse(r.stdout.trim()) as { samples_per_s: number };
}

function gridSpec(name: string, epochs: number): string {
  return `name: ${name}
seed: 1
data:
  dataset: mnist
model:
  units: [64]
  activation: relu
  optimizer: adam
  init: normal
train:
  epochs: ${epochs}
  batch_size: 100
cv:
  folds: 3
params:
  learning_rate: [0.0005, 0.001, 0.002, 0.004]
`;
}

/** The whole search through the CLI (all cores): model-samples trained per wall second. */
function cliGrid(backend: string, workers: number, epochs: number): Record<string, number | string> {
  const dir = mkdtempSync(join(tmpdir(), 'nns-bench-'));
  writeFileSync(join(dir, 'grid.yaml'), gridSpec('bench-grid', epochs));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin/nnsearch.js'), 'grid', 'grid.yaml', '--quiet', '--backend', backend, '--workers', String(workers)], { cwd: dir, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() ?? 'failed' };
  // 4 trials x 3 folds x epochs x ~6667 training samples (10,000 embedded digits, 3 folds)
  const modelSamples = 4 * 3 * epochs * Math.round((10000 * 2) / 3);
  return { backend, workers, trials: 4, folds: 3, epochs, seconds: Number(seconds.toFixed(2)), model_samples_per_s: Math.round(modelSamples / seconds) };
}

/** RSS after 5 and after 25 trials in one process (native engine): memory must not grow with trials. */
async function memoryOverTrials(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'nns-mem-'));
  const spec = gridSpec('bench-mem', 1).replace('dataset: mnist', 'dataset: mnist\n  limit: 2000').replace(/learning_rate: \[.*\]/, 'learning_rate: {min: 0.0001, max: 0.01, log: true}');
  writeFileSync(join(dir, 'mem.yaml'), spec);
  const io = { out() {}, err() {} };
  const run = (budget: number) => searchCommand('random', { spec: join(dir, 'mem.yaml'), db: join(dir, 'mem.db'), backend: 'native', budget, progress: silentProgress }, io);
  await run(5);
  global.gc?.();
  const after5 = process.memoryUsage().rss;
  await run(25);
  global.gc?.();
  const after25 = process.memoryUsage().rss;
  return { rss_mb_after_5_trials: Math.round(after5 / 2 ** 20), rss_mb_after_25_trials: Math.round(after25 / 2 ** 20) };
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const anchor = numpyAnchor();
  const ds = randomMnistLike(SAMPLES);
  const paths: Record<string, unknown> = {};
  const native = NativeEngine.create(1);
  const nativeAll = NativeEngine.create(cores);
  if (native && nativeAll) {
    paths.native_one_model = { samples_per_s: await stackSpeed(native, [referenceJob(ds, 1)]) };
    paths.native_stack_3_folds_1_thread = { model_samples_per_s: await stackSpeed(native, [1, 2, 3].map((s) => referenceJob(ds, s))) };
    paths[`native_stack_8_${cores}_threads`] = { model_samples_per_s: await stackSpeed(nativeAll, Array.from({ length: 8 }, (_, s) => referenceJob(ds, s + 1)), 2) };
  } else {
    paths.native = { error: 'native trainer not built' };
  }
  const tfjs = await TfjsEngine.create('wasm');
  const small = randomMnistLike(quick ? 2000 : 5000);
  const before = liveTensors();
  paths.tfjs_wasm_one_model = { samples_per_s: await stackSpeed(tfjs, [referenceJob(small, 1)], 2) };
  const tensorsAfter = liveTensors() - before;
  const epochs = quick ? 1 : 5;
  const grids = [cliGrid('auto', cores, epochs)];
  if (!quick) grids.push(cliGrid('wasm', cores, 1));
  const memory = await memoryOverTrials();
  const gpu = await gpuPaths(quick ? randomMnistLike(2000) : ds, { software: process.argv.includes('--gpu-software') });
  const ratio = (v: unknown) => ('samples_per_s' in anchor && typeof v === 'number' ? Number((v / anchor.samples_per_s).toFixed(2)) : null);
  const searchSpeed = grids[0].model_samples_per_s;
  console.log(
    JSON.stringify(
      {
        bench: 'train',
        workload: '784-64-10 relu/softmax, Adam 1e-3, batch 100',
        cores,
        anchor_numpy: anchor,
        paths: Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, { ...(v as object), ratio_to_numpy: ratio((v as Record<string, number>).samples_per_s ?? (v as Record<string, number>).model_samples_per_s) }])),
        whole_search: grids.map((g) => ({ ...g, ratio_to_numpy: ratio(g.model_samples_per_s) })),
        goal: { whole_search_ratio_to_numpy: ratio(searchSpeed), goal: 0.5, moonshot: 1 },
        gpu,
        memory: { ...memory, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), tfjs_tensors_left: tensorsAfter },
      },
      null,
      2,
    ),
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
