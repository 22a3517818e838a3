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
 * WebGPU paths where a GPU is present. And a LeNet-style CNN (bench/cnn.ts) on Fashion-MNIST beside
 * PyTorch CPU: one model on 1 and 2 threads, a stack of 2 models on 2 threads. Prints JSON.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchCommand } from '../src/cli/commands/search.js';
import { NativeEngine } from '../src/engine/native-engine.js';
import { TfjsEngine, liveTensors } from '../src/engine/tfjs-engine.js';
import { silentProgress } from '../src/study/run.js';
import { AnchorProcess, blasWarning, pythonWith, writeAnchorDataset, type AnchorRuntime } from './cpu-anchors.js';
import { engineSide, nativeKernelReport } from './cpu-native.js';
import { anchorSide, race, type Figure, type Side } from './race.js';
import { gpuPaths } from './gpu-paths.js';
import { MachineWatch } from './machine.js';
import { flopsPerSample, mnistSplit, randomMnistLike } from './workload.js';
import { wholeSearch } from './whole-search.js';
import { cnnRows } from './cnn.js';

const HELP = `npm run bench [-- options]

CPU training speed of the native trainer beside NumPy/OpenBLAS and PyTorch (bench/anchors/, run in
the same command with Debian's /usr/bin/python3 when it has them), on the embedded MNIST digits (MLPs)
and Fashion-MNIST (a LeNet-style CNN, or the embedded digits without /usr/share/datasets/fashion-mnist).
Prints one JSON document; takes about 4 minutes on 2 quiet cores, the CNN rows included (--quick: about 2).

  --quick          fewer samples and epochs, a 2-epoch init-mode search
  --cnn            only the CNN rows (LeNet-style on Fashion-MNIST beside PyTorch CPU; about 2 minutes on 2 quiet cores)
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
const EPOCHS = quick ? 2 : 4;
const SEED = 1;

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Number((a / b).toFixed(2)) : null);

const speed = (f: Figure | { error: string }) => ('model_samples_per_s' in f ? f.model_samples_per_s : undefined);

interface OneThreadRow {
  hidden: number;
  batch: number;
  native: (Figure & { gflops: number; percent_of_peak: number | null }) | { error: string };
  numpy: Figure | { error: string };
  torch: Figure | { error: string };
  ratio_to_numpy: number | null;
  ratio_to_torch: number | null;
}

/** One thread everywhere: the native trainer with one model, NumPy and PyTorch pinned to one thread. */
async function oneThreadRows(sides: Record<'native' | 'numpy' | 'torch', Side | null>, peak: number | null): Promise<OneThreadRow[]> {
  const rows: OneThreadRow[] = [];
  for (const hidden of HIDDEN)
    for (const batch of BATCHES) {
      const r = await race(sides, hidden, batch, EPOCHS);
      const n = speed(r.native);
      const gflops = n ? (n * flopsPerSample(hidden)) / 1e9 : 0;
      rows.push({
        hidden,
        batch,
        native: n ? { ...(r.native as Figure), gflops: Number(gflops.toFixed(1)), percent_of_peak: peak ? Math.round((100 * gflops) / peak) : null } : (r.native as { error: string }),
        numpy: r.numpy,
        torch: r.torch,
        ratio_to_numpy: ratio(n, speed(r.numpy)),
        ratio_to_torch: ratio(n, speed(r.torch)),
      });
    }
  return rows;
}

/**
 * Two threads: a native stack of 2 models on 2 threads (how nnsearch trains folds and trials side by
 * side) against two single-thread NumPy / PyTorch processes stepping through their epochs together
 * (GridSearchCV's n_jobs=2), and one 2-thread process training one model (the BLAS's own threading).
 */
async function twoThreadRows(sides: Record<string, Side | null>) {
  const rows = [];
  for (const hidden of HIDDEN) {
    const r = await race(sides, hidden, TWO_THREAD_BATCH, EPOCHS);
    rows.push({
      hidden,
      batch: TWO_THREAD_BATCH,
      ...r,
      ratio_to_numpy_2_processes: ratio(speed(r.native_stack_2_models_2_threads), speed(r.numpy_2_processes_1_thread)),
      ratio_to_torch_2_processes: ratio(speed(r.native_stack_2_models_2_threads), speed(r.torch_2_processes_1_thread)),
    });
  }
  return rows;
}

/** A random search of one-epoch trials on 2,000 digits, for memoryOverTrials. */
const MEMORY_SPEC = `name: bench-mem
seed: 1
data:
  dataset: mnist
  limit: 2000
model:
  units: [64]
  activation: relu
  optimizer: adam
  init: normal
train:
  epochs: 1
  batch_size: 100
cv:
  folds: 3
params:
  learning_rate: {min: 0.0001, max: 0.01, log: true}
`;

/** RSS after 5 and after 25 trials in one process (native engine): memory must not grow with trials. */
async function memoryOverTrials(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'nns-mem-'));
  writeFileSync(join(dir, 'mem.yaml'), MEMORY_SPEC);
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

type TwoRow = Awaited<ReturnType<typeof twoThreadRows>>[number];

function goals(one: OneThreadRow[], two: TwoRow[]) {
  const below = (key: 'ratio_to_numpy' | 'ratio_to_torch') => one.filter((r) => r[key] === null || r[key]! < 1).map((r) => `${r.hidden}x${r.batch}: ${r[key]}`);
  const lowPeak = one
    .filter((r) => r.hidden >= 256 && r.batch >= 100)
    .filter((r) => !('percent_of_peak' in r.native) || (r.native.percent_of_peak ?? 0) < 60)
    .map((r) => `${r.hidden}x${r.batch}`);
  const stackBelow = two.filter((r) => r.ratio_to_numpy_2_processes === null || r.ratio_to_numpy_2_processes < 1).map((r) => `${r.hidden}x${r.batch}: ${r.ratio_to_numpy_2_processes}`);
  // a trainer that skips work would be fast and learn less: its held-out accuracy must keep up
  const accuracy = (f: Figure | { error: string }) => ('accuracy' in f ? f.accuracy[0] : -1);
  const lagging = one.filter((r) => accuracy(r.native) < accuracy(r.numpy) - 0.05).map((r) => `${r.hidden}x${r.batch}`);
  return {
    native_accuracy_within_0_05_of_numpy_at_every_shape: { met: lagging.length === 0, below: lagging },
    one_thread_at_least_numpy_at_every_shape: { met: below('ratio_to_numpy').length === 0, below: below('ratio_to_numpy') },
    one_thread_at_least_torch_at_every_shape: { met: below('ratio_to_torch').length === 0, below: below('ratio_to_torch') },
    sixty_percent_of_peak_at_hidden_256_plus_batch_100_plus: { met: lowPeak.length === 0, below: lowPeak },
    stack_on_2_threads_at_least_2_numpy_processes: { met: stackBelow.length === 0, below: stackBelow },
  };
}

const CNN = { train: quick ? 2000 : 8000, held: quick ? 1000 : 2000, epochs: quick ? 2 : 3 };

/** --cnn: the CNN rows alone. */
async function cnnOnly(): Promise<void> {
  const watch = new MachineWatch();
  const dir = mkdtempSync(join(tmpdir(), 'nns-bench-'));
  const native = nativeKernelReport(quick ? 0.3 : 1);
  const cnn = await cnnRows({ ...CNN, seed: SEED, torchPython: pythonWith('torch'), dir });
  const machine = watch.finish();
  console.log(JSON.stringify({ bench: 'train (CPU), CNN rows only', quick, machine, warnings: machine.warnings, native: native ?? { error: 'native trainer not built' }, cnn }, null, 2));
}

async function main(): Promise<void> {
  if (argv.includes('--cnn')) return cnnOnly();
  const watch = new MachineWatch();
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'nns-bench-'));
  const kernels = nativeKernelReport(quick ? 0.3 : 1);
  const split = mnistSplit(quick ? 3000 : 8000, quick ? 1000 : 2000);
  const data = writeAnchorDataset(dir, 'shapes', split.ds, split.train);
  const numpyPython = pythonWith('numpy');
  const torchPython = pythonWith('torch');
  const startAnchor = (python: string | null, script: string, threads: number) => (python ? AnchorProcess.start(python, script, ['--data', data, '--seed', String(SEED)], threads) : null);
  const numpy = [startAnchor(numpyPython, 'mlp_numpy.py', 1), startAnchor(numpyPython, 'mlp_numpy.py', 1), startAnchor(numpyPython, 'mlp_numpy.py', 2)];
  const torch = [startAnchor(torchPython, 'mlp_torch_cpu.py', 1), startAnchor(torchPython, 'mlp_torch_cpu.py', 1), startAnchor(torchPython, 'mlp_torch_cpu.py', 2)];
  const side = (processes: (AnchorProcess | null)[]) => (processes.every((p) => p) ? anchorSide(processes as AnchorProcess[], split.train) : null);
  const runtime = async (p: AnchorProcess | null, module: string): Promise<AnchorRuntime | { error: string }> => {
    if (!p) return { error: `no Python with ${module} (tried /usr/bin/python3, python3)` };
    return p.request<AnchorRuntime>({ op: 'runtime' }).catch((e: Error) => ({ error: e.message }));
  };
  const runtimes = { numpy: await runtime(numpy[0], 'numpy'), torch: await runtime(torch[0], 'torch'), numpy_2_threads: await runtime(numpy[2], 'numpy'), torch_2_threads: await runtime(torch[2], 'torch') };
  const native1 = NativeEngine.create(1);
  const native2 = NativeEngine.create(2);
  const one = await oneThreadRows({ native: native1 && engineSide(native1, split, 1, SEED), numpy: side([numpy[0]]), torch: side([torch[0]]) }, kernels?.fma_peak_gflops.one_thread ?? null);
  const two = await twoThreadRows({
    native_stack_2_models_2_threads: native2 && engineSide(native2, split, 2, SEED),
    numpy_2_processes_1_thread: side([numpy[0], numpy[1]]),
    torch_2_processes_1_thread: side([torch[0], torch[1]]),
    numpy_1_process_2_threads: side([numpy[2]]),
    torch_1_process_2_threads: side([torch[2]]),
  });
  for (const p of [...numpy, ...torch]) p?.close();
  const cnn = await cnnRows({ ...CNN, seed: SEED, torchPython, dir });
  const search = wholeSearch(dir, cores, torchPython, quick ? 2 : null);

  const tfjs = await TfjsEngine.create('wasm');
  const before = liveTensors();
  const small = mnistSplit(quick ? 1000 : 2000, 500);
  const tfjsRun = (await race({ tfjs: engineSide(tfjs, small, 1, SEED) }, 64, 100, 2)).tfjs;
  const tensorsAfter = liveTensors() - before;
  const memory = await memoryOverTrials();
  const gpu = await gpuPaths(quick ? randomMnistLike(2000) : randomMnistLike(20000), { software: argv.includes('--gpu-software') });
  const warnings = Object.values(runtimes).map((r) => ('blas' in r ? blasWarning(r) : null)).filter((w): w is string => w !== null);
  const machine = watch.finish();
  console.log(
    JSON.stringify(
      {
        bench: 'train (CPU)',
        quick,
        machine,
        warnings: [...machine.warnings, ...warnings],
        native: kernels ?? { error: 'native trainer not built' },
        anchors: runtimes,
        workload: {
          model: 'dense(784->H, relu) -> dense(H->10, softmax), categorical cross-entropy, Adam 1e-3, glorot-uniform kernels',
          data: `embedded MNIST, ${split.train} training digits in batches from a new shuffle every epoch, ${split.held} held out for accuracy (after the last epoch)`,
          epochs: EPOCHS,
          speed: 'samples/s of the best epoch',
          like_for_like:
            'every side trains the same digits and labels, the same model and optimizer, batches from a new shuffle every epoch, the same number of epochs, its epochs alternating with the other sides\' (native, numpy, torch, native...); NumPy pinned by OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, PyTorch by torch.set_num_threads and the same variables, to the threads nnsearch uses: one_thread rows 1 thread on every side; two_threads rows a native stack of 2 models on 2 threads against two single-thread processes whose epochs start together and end when both have (and one 2-thread process training one model, for reference)',
          gflops: 'samples/s x (4 (784 H + 10 H) + 2 x 10 H): forward and weight gradients of both layers and the hidden layer gradient, the work actually done',
        },
        one_thread: one,
        two_threads: two,
        cnn,
        whole_search: search,
        goals: goals(one, two),
        tfjs_wasm_one_model: { ...tfjsRun, hidden: 64, batch: 100, training_digits: small.train },
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
