/**
 * The native trainer's side of `npm run bench`: which SIMD path runs, the machine's measured FMA
 * peak, and timed epochs of a stack over freshly shuffled batches, with the held-out accuracy reached.
 */
import { loadNativeAddon } from '../src/engine/native-engine.js';
import type { Engine, ModelJob } from '../src/engine/runtime.js';
import { Rng, mixSeed } from '../src/rng.js';

/** The addon's entries for benchmarks and tests (not part of the engine's interface). */
interface NativeKernels {
  kernels(): { isa: string; best: string; supported: string[] };
  fmaPeak(isa: string, seconds: number, threads: number): number;
}

export interface NativeKernelReport {
  isa: string;
  best_isa: string;
  supported: string[];
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
    fma_peak_gflops: { one_thread: Math.round(addon.fmaPeak(k.isa, seconds, 1)), two_threads: Math.round(addon.fmaPeak(k.isa, seconds, 2)) },
  };
}

export interface TimedTraining {
  /** Samples of all models per second, best epoch. */
  model_samples_per_s: number;
  /** Held-out accuracy of each model after the last epoch. */
  accuracy: number[];
}

/** Trains `jobs` as one stack for `epochs` epochs, each over a new seeded shuffle of every model's rows. */
export async function trainTimed(engine: Engine, jobs: ModelJob[], epochs: number, seed: number): Promise<TimedTraining> {
  const stack = await engine.createStack(jobs);
  try {
    const samples = jobs.reduce((a, j) => a + j.data.fit.length, 0);
    let best = 0;
    for (let e = 0; e < epochs; e++) {
      const orders = jobs.map((j, m) => new Rng(mixSeed(seed, e, m)).permutation(j.data.fit.length));
      const t0 = performance.now();
      await stack.trainEpoch(orders, jobs.map((j) => j.config.model.optimizer.learningRate), jobs.map(() => true));
      best = Math.max(best, samples / ((performance.now() - t0) / 1000));
    }
    const test = await stack.evaluate('test', jobs.map(() => true));
    return { model_samples_per_s: Math.round(best), accuracy: test.map((t) => Number(t.metric.toFixed(4))) };
  } finally {
    stack.dispose();
  }
}
