/**
 * The native trainer's side of `npm run bench`: which SIMD path runs, the machine's measured FMA
 * peak, and an engine (native or tfjs) as a contender of a race (race.ts).
 */
import { loadNativeAddon } from '../src/engine/native-engine.js';
import type { Engine, ModelJob, StackRuntime } from '../src/engine/runtime.js';
import { Rng, mixSeed } from '../src/rng.js';
import type { Side } from './race.js';
import { mnistJob, type MnistSplit } from './workload.js';

/** The addon's entries for benchmarks and tests (not part of the engine's interface). */
interface NativeKernels {
  kernels(): { isa: string; best: string; supported: string[]; optimizer: string };
  fmaPeak(isa: string, seconds: number, threads: number): number;
}

export interface NativeKernelReport {
  /** The matrix products' path (NNSEARCH_NATIVE_ISA forces it), the best this CPU has, all it has. */
  isa: string;
  best_isa: string;
  supported: string[];
  /** The optimizer updates' path (AVX2 where AVX-512 is active: see native/optimizer.cc). */
  optimizer_isa: string;
  /** GFLOP/s of independent FMA chains on the active path: the ceiling the trainer's GFLOP/s are a share of. */
  fma_peak_gflops: { one_thread: number; two_threads: number };
}

export function nativeKernelReport(seconds: number): NativeKernelReport | null {
  const addon = loadNativeAddon() as unknown as NativeKernels | null;
  if (!addon?.kernels) return null;
  const k = addon.kernels();
  return {
    isa: k.isa,
    best_isa: k.best,
    supported: k.supported,
    optimizer_isa: k.optimizer,
    fma_peak_gflops: { one_thread: Math.round(addon.fmaPeak(k.isa, seconds, 1)), two_threads: Math.round(addon.fmaPeak(k.isa, seconds, 2)) },
  };
}

/**
 * An engine as a contender: a stack of `models` models of the shape (seeds seed..seed+models-1;
 * the one-hidden-layer MLP of workload.ts unless `job` makes another), each epoch over a new seeded
 * shuffle of every model's rows.
 */
export function engineSide(
  engine: Engine,
  split: MnistSplit,
  models: number,
  seed: number,
  job: (seed: number, hidden: number, batch: number) => ModelJob = (s, hidden, batch) => mnistJob(split, s, hidden, batch),
): Side {
  let stack: StackRuntime | null = null;
  let jobs: ModelJob[] = [];
  let epoch = 0;
  return {
    samplesPerEpoch: split.train * models,
    async start(hidden, batch) {
      jobs = Array.from({ length: models }, (_, m) => job(seed + m, hidden, batch));
      stack = await engine.createStack(jobs);
      epoch = 0;
    },
    async epoch() {
      const orders = jobs.map((j, m) => new Rng(mixSeed(seed, epoch, m)).permutation(j.data.fit.length));
      epoch++;
      await stack!.trainEpoch(orders, jobs.map((j) => j.config.model.optimizer.learningRate), jobs.map(() => true));
    },
    async accuracy() {
      const test = await stack!.evaluate('test', jobs.map(() => true));
      return test.map((t) => t.metric);
    },
    stop() {
      stack?.dispose();
      stack = null;
    },
  };
}
