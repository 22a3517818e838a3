/**
 * npm run bench [-- --quick] [-- --gpu-software] [-- --help]
 *
 * CPU training speed of the native trainer beside NumPy/OpenBLAS and PyTorch on the same work, in
 * the same run, like for like: every side trains dense(784->H, relu) -> dense(H->10, softmax) with
 * Adam 1e-3 on the embedded MNIST digits (real labels, batches from a fresh shuffle every epoch) and
 * reports the held-out accuracy it reached, each anchor pinned to the threads nnsearch uses. Rows:
 * one thread at hidden {64, 256, 1024} x batch {32, 100, 512}; two threads (a native stack against
 * two single-thread processes, and one two-thread process); the whole init-mode grid through the CLI
 * against the same fits in PyTorch. Also the machine's load, tfjs wasm, memory over trials, and the
 * WebGPU paths where a GPU is present. Prints JSON.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchCommand } from '../src/cli/commands/search.js';
import { NativeEngine } from '../src/engine/native-engine.js';
import { TfjsEngine, liveTensors } from '../src/engine/tfjs-engine.js';
import { silentProgress } from '../src/study/run.js';
import { blasWarning, pythonWith, runAnchor, runConcurrent, writeAnchorDataset, type AnchorResult, type AnchorShape } from './cpu-anchors.js';
import { nativeKernelReport, trainTimed, type TimedTraining } from './cpu-native.js';
import { gpuPaths } from './gpu-paths.js';
import { MachineWatch } from './machine.js';
import { flopsPerSample, mnistJob, mnistSplit, randomMnistLike, type MnistSplit } from './workload.js';
import { wholeSearch } from './whole-search.js';

const HELP = `npm run bench [-- options]

CPU training speed of the native trainer beside NumPy/OpenBLAS and PyTorch (bench/anchors/, run in
the same command with Debian's /usr/bin/python3 when it has them), on the embedded MNIST digits.
Prints one JSON document; takes about 4 minutes (--quick: about 1).

  --quick          fewer samples and epochs, a 2-epoch init-mode search
  --gpu-software   also time the WebGPU engine on SwiftShader (a functional check, not a speed)
  --help           this text

NNSEARCH_NATIVE_ISA=portable|avx2|avx512 forces the native trainer's SIMD path (the JSON says which ran).
Run it on a quiet machine: the JSON records the load average and other processes' CPU use, and warns.`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const quick = argv.includes('--quick');
const HIDDEN = [64, 256, 1024];
const BATCHES = [32, 100, 512];
const TWO_THREAD_BATCH = 100;
const STACK_MODELS = 4;
const EPOCHS = quick ? 2 : 3;
const SEED = 1;

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Number((a / b).toFixed(2)) : null);
const shapeList = (shapes: [number, number][]) => shapes.map(([h, b]) => `${h}x${b}`).join(',');
const find = (r: AnchorResult, h: number, b: number): AnchorShape | undefined => ('shapes' in r ? r.shapes.find((s) => s.hidden === h && s.batch === b) : undefined);

interface NativeFigure {
  samples_per_s: number;
  accuracy: number;
  gflops: number;
  percent_of_peak: number | null;
}

interface OneThreadRow {
  hidden: number;
  batch: number;
  native: NativeFigure | { error: string };
  numpy: { samples_per_s: number; accuracy: number } | AnchorResult;
  torch: { samples_per_s: number; accuracy: number } | AnchorResult;
  ratio_to_numpy: number | null;
  ratio_to_torch: number | null;
}

interface Anchors {
  numpy: string | null;
  torch: string | null;
  data: string;
}

function anchorArgs(anchors: Anchors, shapes: [number, number][], threads: number): string[] {
  return ['--data', anchors.data, '--shapes', shapeList(shapes), '--epochs', String(EPOCHS), '--threads', String(threads), '--seed', String(SEED)];
}

function runOne(python: string | null, script: string, anchors: Anchors, shapes: [number, number][], threads: number): AnchorResult {
  if (!python) return { error: `no Python with ${script.includes('torch') ? 'torch' : 'numpy'} (tried /usr/bin/python3, python3)` };
  return runAnchor(python, script, anchorArgs(anchors, shapes, threads), threads) as AnchorResult;
}

/** One thread everywhere: the native trainer with one model, NumPy and PyTorch pinned to one thread. */
async function oneThreadRows(split: MnistSplit, anchors: Anchors, peak: number | null) {
  const native = NativeEngine.create(1);
  const rows: OneThreadRow[] = [];
  const runtimes: Record<string, AnchorResult> = {};
  for (const hidden of HIDDEN) {
    // one hidden size at a time on every side, so a change in the machine's load hits all three alike
    const shapes = BATCHES.map((b): [number, number] => [hidden, b]);
    const nat: (TimedTraining | null)[] = [];
    for (const [, batch] of shapes) nat.push(native ? await trainTimed(native, [mnistJob(split, SEED, hidden, batch)], EPOCHS, SEED) : null);
    const numpy = runOne(anchors.numpy, 'mlp_numpy.py', anchors, shapes, 1);
    const torch = runOne(anchors.torch, 'mlp_torch_cpu.py', anchors, shapes, 1);
    runtimes.numpy ??= numpy;
    runtimes.torch ??= torch;
    shapes.forEach(([h, b], i) => {
      const n = nat[i];
      const gflops = n ? (n.model_samples_per_s * flopsPerSample(h)) / 1e9 : null;
      const np = find(numpy, h, b);
      const pt = find(torch, h, b);
      rows.push({
        hidden: h,
        batch: b,
        native: n ? { samples_per_s: n.model_samples_per_s, accuracy: n.accuracy[0], gflops: Number(gflops!.toFixed(1)), percent_of_peak: peak ? Math.round((100 * gflops!) / peak) : null } : { error: 'native trainer not built' },
        numpy: np ? { samples_per_s: np.samples_per_s, accuracy: np.accuracy } : numpy,
        torch: pt ? { samples_per_s: pt.samples_per_s, accuracy: pt.accuracy } : torch,
        ratio_to_numpy: ratio(n?.model_samples_per_s, np?.samples_per_s),
        ratio_to_torch: ratio(n?.model_samples_per_s, pt?.samples_per_s),
      });
    });
  }
  return { rows, runtimes };
}

/** Sum of samples/s over concurrent single-thread processes (each trained its own model). */
function summed(results: unknown[], h: number, b: number): { model_samples_per_s: number; accuracy: number[] } | { error: string } {
  const found = (results as AnchorResult[]).map((r) => find(r, h, b));
  if (found.some((f) => !f)) return { error: (results as { error?: string }[]).find((r) => r.error)?.error ?? 'missing shape' };
  return { model_samples_per_s: found.reduce((a, f) => a + f!.samples_per_s, 0), accuracy: found.map((f) => f!.accuracy) };
}

/**
 * Two threads: a native stack of models on 2 threads (how nnsearch trains folds and trials) against
 * two single-thread NumPy / PyTorch processes started together (GridSearchCV's n_jobs=2), and one
 * 2-thread process training one model (what the BLAS's own threading gives).
 */
async function twoThreadRows(split: MnistSplit, anchors: Anchors) {
  const native = NativeEngine.create(2);
  const shapes = HIDDEN.map((h): [number, number] => [h, TWO_THREAD_BATCH]);
  const nat: (TimedTraining | null)[] = [];
  for (const [h, b] of shapes)
    nat.push(native ? await trainTimed(native, Array.from({ length: STACK_MODELS }, (_, m) => mnistJob(split, SEED + m, h, b)), EPOCHS, SEED) : null);
  const args = anchorArgs(anchors, shapes, 1);
  const numpy2 = anchors.numpy ? await runConcurrent(anchors.numpy, 'mlp_numpy.py', args, 1, 2) : [{ error: 'no Python with numpy' }];
  const torch2 = anchors.torch ? await runConcurrent(anchors.torch, 'mlp_torch_cpu.py', args, 1, 2) : [{ error: 'no Python with torch' }];
  const numpyOne = runOne(anchors.numpy, 'mlp_numpy.py', anchors, shapes, 2);
  const torchOne = runOne(anchors.torch, 'mlp_torch_cpu.py', anchors, shapes, 2);
  return shapes.map(([h, b], i) => {
    const n = nat[i];
    const np2 = summed(numpy2, h, b);
    const pt2 = summed(torch2, h, b);
    return {
      hidden: h,
      batch: b,
      native_stack: n ? { models: STACK_MODELS, threads: 2, model_samples_per_s: n.model_samples_per_s, accuracy: n.accuracy } : { error: 'native trainer not built' },
      numpy_2_processes_1_thread: np2,
      torch_2_processes_1_thread: pt2,
      numpy_1_process_2_threads: find(numpyOne, h, b) ?? numpyOne,
      torch_1_process_2_threads: find(torchOne, h, b) ?? torchOne,
      ratio_to_numpy_2_processes: ratio(n?.model_samples_per_s, 'model_samples_per_s' in np2 ? np2.model_samples_per_s : undefined),
      ratio_to_torch_2_processes: ratio(n?.model_samples_per_s, 'model_samples_per_s' in pt2 ? pt2.model_samples_per_s : undefined),
    };
  });
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

type Row = OneThreadRow;
type TwoRow = Awaited<ReturnType<typeof twoThreadRows>>[number];

function goals(one: Row[], two: TwoRow[]) {
  const below = (rows: Row[], key: 'ratio_to_numpy' | 'ratio_to_torch') => rows.filter((r) => r[key] === null || r[key]! < 1).map((r) => `${r.hidden}x${r.batch}: ${r[key]}`);
  const peakRows = one.filter((r) => r.hidden >= 256 && r.batch >= 100);
  const lowPeak = peakRows.filter((r) => !('percent_of_peak' in r.native) || (r.native.percent_of_peak ?? 0) < 60).map((r) => `${r.hidden}x${r.batch}`);
  const stackBelow = two.filter((r) => r.ratio_to_numpy_2_processes === null || r.ratio_to_numpy_2_processes < 1).map((r) => `${r.hidden}x${r.batch}: ${r.ratio_to_numpy_2_processes}`);
  // a trainer that skips work would be fast and learn less: its held-out accuracy must keep up
  const lagging = one
    .filter((r) => !('accuracy' in r.native) || !('accuracy' in r.numpy) || r.native.accuracy < (r.numpy.accuracy as number) - 0.05)
    .map((r) => `${r.hidden}x${r.batch}`);
  return {
    native_accuracy_within_0_05_of_numpy_at_every_shape: { met: lagging.length === 0, below: lagging },
    one_thread_at_least_numpy_at_every_shape: { met: below(one, 'ratio_to_numpy').length === 0, below: below(one, 'ratio_to_numpy') },
    one_thread_at_least_torch_at_every_shape: { met: below(one, 'ratio_to_torch').length === 0, below: below(one, 'ratio_to_torch') },
    sixty_percent_of_peak_at_hidden_256_plus_batch_100_plus: { met: lowPeak.length === 0, below: lowPeak },
    stack_on_2_threads_at_least_2_numpy_processes: { met: stackBelow.length === 0, below: stackBelow },
  };
}

async function main(): Promise<void> {
  const watch = new MachineWatch();
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'nns-bench-'));
  const kernels = nativeKernelReport(quick ? 0.3 : 1);
  const split = mnistSplit(quick ? 3000 : 8000, quick ? 1000 : 2000);
  const anchors: Anchors = { numpy: pythonWith('numpy'), torch: pythonWith('torch'), data: writeAnchorDataset(dir, 'shapes', split.ds, split.train) };
  const one = await oneThreadRows(split, anchors, kernels?.fma_peak_gflops.one_thread ?? null);
  const two = await twoThreadRows(split, anchors);
  const search = wholeSearch(dir, cores, anchors.torch, quick ? 2 : null);

  const tfjs = await TfjsEngine.create('wasm');
  const before = liveTensors();
  const small = mnistSplit(quick ? 1000 : 2000, 500);
  const tfjsRun = await trainTimed(tfjs, [mnistJob(small, SEED, 64, 100)], 2, SEED);
  const tensorsAfter = liveTensors() - before;
  const memory = await memoryOverTrials();
  const gpu = await gpuPaths(quick ? randomMnistLike(2000) : randomMnistLike(20000), { software: argv.includes('--gpu-software') });
  const warnings = [...Object.values(one.runtimes).map(blasWarning).filter((w): w is string => w !== null)];
  const machine = watch.finish();
  console.log(
    JSON.stringify(
      {
        bench: 'train (CPU)',
        quick,
        machine,
        warnings: [...machine.warnings, ...warnings],
        native: kernels ?? { error: 'native trainer not built' },
        anchors: { numpy: 'runtime' in one.runtimes.numpy ? one.runtimes.numpy.runtime : one.runtimes.numpy, torch: 'runtime' in one.runtimes.torch ? one.runtimes.torch.runtime : one.runtimes.torch },
        workload: {
          model: 'dense(784->H, relu) -> dense(H->10, softmax), categorical cross-entropy, Adam 1e-3, glorot-uniform kernels',
          data: `embedded MNIST, ${split.train} training digits in batches from a new shuffle every epoch, ${split.held} held out for accuracy (after the last epoch)`,
          epochs: EPOCHS,
          speed: 'samples/s of the best epoch',
          like_for_like:
            'every side trains the same digits and labels, the same model and optimizer, batches from a new shuffle every epoch, the same number of epochs; NumPy pinned by OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, PyTorch by torch.set_num_threads and the same variables, to the threads nnsearch uses: one_thread rows 1 thread on every side; two_threads rows a native stack on 2 threads against two single-thread processes started together (and one 2-thread process training one model, for reference)',
          gflops: 'samples/s x (4 (784 H + 10 H) + 2 x 10 H): forward and weight gradients of both layers and the hidden layer gradient, the work actually done',
        },
        one_thread: one.rows,
        two_threads: two,
        whole_search: search,
        goals: goals(one.rows, two),
        tfjs_wasm_one_model: { samples_per_s: tfjsRun.model_samples_per_s, accuracy: tfjsRun.accuracy[0], hidden: 64, batch: 100, training_digits: small.train },
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
