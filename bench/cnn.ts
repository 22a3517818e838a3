/**
 * The CNN workload of `npm run bench`: a LeNet-style Keras Sequential model, conv 32 3x3 (relu) -
 * max pool 2 - conv 64 3x3 (relu) - max pool 2 - flatten - dense 128 (relu) - dense 10 (softmax),
 * Adam 1e-3, batch 128, on Fashion-MNIST (/usr/share/datasets/fashion-mnist) or, without it, the
 * embedded MNIST digits; the native engine beside PyTorch CPU (bench/anchors/cnn_torch_cpu.py)
 * training the same model on the same samples, epochs alternating, threads pinned alike.
 */
import { existsSync } from 'node:fs';
import { subset, type Dataset } from '../src/data/dataset.js';
import { loadIdxPair } from '../src/data/load.js';
import { findIdx } from '../src/data/idx.js';
import { loadEmbeddedMnist } from '../src/data/mnist.js';
import type { ModelConfig } from '../src/models/config.js';
import type { SequentialLayer } from '../src/models/layers.js';
import type { Engine, ModelJob } from '../src/engine/runtime.js';
import { Rng } from '../src/rng.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../src/spec/vocabulary.js';
import { NativeEngine } from '../src/engine/native-engine.js';
import { AnchorProcess, writeAnchorDataset, type AnchorRuntime } from './cpu-anchors.js';
import { anchorSide, race, type Figure, type Side } from './race.js';
import { engineSide } from './cpu-native.js';
import { splitFold, type MnistSplit } from './workload.js';

export const CNN_BATCH = 128;

/** Fashion-MNIST's training images (seeded order: `train` for training, `held` after them for accuracy), or the embedded MNIST. */
export function cnnSplit(train: number, held: number, seed = 0): MnistSplit & { dataset: string } {
  const dir = DEFAULT_FASHION_MNIST_DIR;
  const images = existsSync(dir) ? findIdx(dir, 'train-images-idx3-ubyte') : null;
  const labels = existsSync(dir) ? findIdx(dir, 'train-labels-idx1-ubyte') : null;
  const all: Dataset = images && labels ? loadIdxPair(images, labels, 10) : loadEmbeddedMnist();
  const dataset = images && labels ? `fashion-mnist (${dir})` : 'mnist (embedded)';
  const rows = new Rng(seed).permutation(all.n).subarray(0, Math.min(all.n, train + held));
  const n = rows.length;
  return { ds: subset(all, rows, `${dataset} (${Math.min(train, n)} + ${n - Math.min(train, n)} held out)`), train: Math.min(train, n), held: n - Math.min(train, n), dataset };
}

const kernel = { init: 'glorot_uniform' as const, l1: 0, l2: 0, maxNorm: null };

/** The LeNet-style layers, output Dense included. */
export function lenetLayers(): SequentialLayer[] {
  const conv = (filters: number): SequentialLayer => ({ kind: 'conv2d', filters, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', ...kernel });
  const pool: SequentialLayer = { kind: 'max_pooling2d', poolSize: [2, 2], strides: [2, 2], padding: 'valid' };
  return [conv(32), pool, conv(64), pool, { kind: 'flatten' }, { kind: 'dense', units: 128, activation: 'relu', ...kernel }, { kind: 'dense', units: 10, activation: 'softmax', ...kernel }];
}

export function lenetModel(): ModelConfig {
  return {
    inputDim: 784,
    outputDim: 10,
    hidden: [],
    activation: 'relu',
    outputActivation: 'softmax',
    init: 'glorot_uniform',
    l1: 0,
    l2: 0,
    batchNorm: false,
    maxNorm: null,
    loss: 'categorical_crossentropy',
    optimizer: { name: 'adam', learningRate: 1e-3, momentum: 0, nesterov: false, decay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, rho: 0.9, centered: false, initialAccumulator: 0.1 },
    layers: lenetLayers(),
    inputShape: [28, 28, 1],
  };
}

/** Multiply-adds x 2 of one training sample (forward, weight gradients, input gradients but the first conv's). */
export const LENET_FLOPS_PER_SAMPLE = (() => {
  const conv1 = 26 * 26 * 9 * 32, conv2 = 11 * 11 * 288 * 64, d1 = 1600 * 128, d2 = 128 * 10;
  return 2 * (2 * conv1 + 3 * conv2 + 3 * d1 + 3 * d2);
})();

export function cnnJob(split: MnistSplit, seed: number, batch = CNN_BATCH): ModelJob {
  return { config: { model: lenetModel(), train: { epochs: 1, batchSize: batch, shuffle: true, validationSplit: 0, earlyStopping: null, lrSchedule: null } }, data: splitFold(split), seed, metric: 'accuracy' };
}

/** An engine as a contender of race(): a stack of `models` LeNets (seeds seed..seed+models-1), a new shuffle every epoch. */
export function cnnEngineSide(engine: Engine, split: MnistSplit, models: number, seed: number): Side {
  return engineSide(engine, split, models, seed, (m, _hidden, batch) => cnnJob(split, m, batch));
}

const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Number((a / b).toFixed(2)) : null);
const speed = (f: Figure | { error: string }) => ('model_samples_per_s' in f ? f.model_samples_per_s : undefined);
const withGflops = (f: Figure | { error: string }) =>
  'model_samples_per_s' in f ? { ...f, gflops: Number(((f.model_samples_per_s * LENET_FLOPS_PER_SAMPLE) / 1e9).toFixed(1)) } : f;

export interface CnnOptions {
  train: number;
  held: number;
  epochs: number;
  seed: number;
  /** Debian's python with torch, or null (the rows then say so). */
  torchPython: string | null;
  dir: string;
}

/**
 * The CNN rows: one model on 1 thread and on 2 threads against one PyTorch process on as many
 * threads, and a native stack of 2 models on 2 threads against two single-thread PyTorch processes
 * stepping together (and one 2-thread process). Every side trains the same LeNet on the same samples.
 */
export async function cnnRows(o: CnnOptions) {
  const split = cnnSplit(o.train, o.held);
  const data = writeAnchorDataset(o.dir, 'cnn', split.ds, split.train);
  const start = (threads: number) => (o.torchPython ? AnchorProcess.start(o.torchPython, 'cnn_torch_cpu.py', ['--data', data, '--seed', String(o.seed)], threads) : null);
  const torch = [start(1), start(1), start(2)];
  const side = (ps: (AnchorProcess | null)[]) => (ps.every((p) => p) ? anchorSide(ps as AnchorProcess[], split.train) : null);
  const runtime = async (p: AnchorProcess | null) => (p ? p.request<AnchorRuntime>({ op: 'runtime' }).catch((e: Error) => ({ error: e.message })) : { error: 'no Python with torch (tried /usr/bin/python3, python3)' });
  const anchors = { torch_1_thread: await runtime(torch[0]), torch_2_threads: await runtime(torch[2]) };
  const native1 = NativeEngine.create(1);
  const native2 = NativeEngine.create(2);
  try {
    const one = await race({ native: native1 && cnnEngineSide(native1, split, 1, o.seed), torch: side([torch[0]]) }, 0, CNN_BATCH, o.epochs);
    const two = await race({ native: native2 && cnnEngineSide(native2, split, 1, o.seed), torch: side([torch[2]]) }, 0, CNN_BATCH, o.epochs);
    const stack = await race(
      {
        native_stack_2_models: native2 && cnnEngineSide(native2, split, 2, o.seed),
        torch_2_processes_1_thread: side([torch[0], torch[1]]),
        torch_1_process_2_threads: side([torch[2]]),
      },
      0,
      CNN_BATCH,
      o.epochs,
    );
    const rows = {
      one_model_1_thread: { native: withGflops(one.native), torch: withGflops(one.torch), ratio_to_torch: ratio(speed(one.native), speed(one.torch)) },
      one_model_2_threads: { native: withGflops(two.native), torch: withGflops(two.torch), ratio_to_torch: ratio(speed(two.native), speed(two.torch)) },
      stack_2_threads: {
        native_stack_2_models: withGflops(stack.native_stack_2_models),
        torch_2_processes_1_thread: withGflops(stack.torch_2_processes_1_thread),
        torch_1_process_2_threads: withGflops(stack.torch_1_process_2_threads),
        ratio_to_torch_2_processes: ratio(speed(stack.native_stack_2_models), speed(stack.torch_2_processes_1_thread)),
        ratio_to_torch_2_threads: ratio(speed(stack.native_stack_2_models), speed(stack.torch_1_process_2_threads)),
      },
    };
    const accuracy = (f: Figure | { error: string }) => ('accuracy' in f ? Math.min(...f.accuracy) : -1);
    return {
      workload: {
        model: 'conv2d 32 3x3 relu - max_pooling2d 2 - conv2d 64 3x3 relu - max_pooling2d 2 - flatten - dense 128 relu - dense 10 softmax (Keras Sequential; PyTorch nn.Sequential of the same), glorot-uniform kernels, Adam 1e-3 (epsilon 1e-7), categorical cross-entropy',
        data: `${split.dataset}: ${split.train} training images in batches of ${CNN_BATCH} from a new shuffle every epoch, ${split.held} held out for accuracy (after the last epoch)`,
        epochs: o.epochs,
        speed: 'samples/s of the best epoch (all models of a side together)',
        threads: 'native: NativeEngine threads (1 or 2; a stack of 2 models on 2 threads runs one model per thread, one model on 2 threads splits each batch); PyTorch: torch.set_num_threads(n), set_num_interop_threads(1), OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = n',
        gflops: `samples/s x ${LENET_FLOPS_PER_SAMPLE / 1e6} MFLOP (forward, weight and input gradients, not the first conv's input gradient)`,
      },
      anchors,
      ...rows,
      goals: {
        one_model_2_threads_at_least_torch: { met: (rows.one_model_2_threads.ratio_to_torch ?? 0) >= 1, ratio: rows.one_model_2_threads.ratio_to_torch },
        stack_2_threads_above_one_model_2_threads: {
          met: (speed(stack.native_stack_2_models) ?? 0) > (speed(two.native) ?? Infinity),
          native_stack: speed(stack.native_stack_2_models) ?? null,
          native_one_model: speed(two.native) ?? null,
        },
        native_accuracy_within_0_03_of_torch: {
          met: [one, two].every((r) => accuracy(r.native) >= accuracy(r.torch) - 0.03),
          native: [accuracy(one.native), accuracy(two.native)],
          torch: [accuracy(one.torch), accuracy(two.torch)],
        },
      },
    };
  } finally {
    for (const p of torch) p?.close();
  }
}
