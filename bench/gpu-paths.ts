/**
 * Stack speed measurements shared by `npm run bench` (CPU machine) and `npm run bench:gpu` (GPU
 * machine): the stacked WebGPU engine on the reference workload beside PyTorch's anchor figures
 * (bench/anchors/mlp_torch.py, run in the same command where torch and CUDA are present).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Engine, ModelJob } from '../src/engine/runtime.js';
import { packageRoot } from '../src/paths.js';
import type { Dataset } from '../src/data/dataset.js';
import { referenceJob } from './workload.js';

/** Best of `repeats` epochs of a stack, in model-samples per second. */
export async function stackSpeed(engine: Engine, jobs: ModelJob[], repeats = 3): Promise<number> {
  const stack = await engine.createStack(jobs);
  const orders = jobs.map((j) => Int32Array.from({ length: j.data.fit.length }, (_, i) => i));
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await stack.trainEpoch(orders, jobs.map(() => 1e-3), jobs.map(() => true));
    const n = jobs.reduce((a, j) => a + j.data.fit.length, 0);
    best = Math.max(best, n / ((performance.now() - t0) / 1000));
  }
  stack.dispose();
  return Math.round(best);
}

type TorchFigure = { anchor: string; models?: number; samples_per_s?: number; model_samples_per_s?: number };

/** PyTorch's figures for the same MLP on the same GPU (one model; M models batched), or why not. */
export function torchAnchor(samples: number, models: number[]): TorchFigure[] | { error: string } {
  const script = join(packageRoot(), 'bench/anchors/mlp_torch.py');
  const r = spawnSync('python3', [script, '--samples', String(samples), '--models', models.join(',')], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'python3 / torch not available').trim().split('\n').pop()! };
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TorchFigure);
}

export interface GpuOptions {
  /** Run on SwiftShader (CPU Vulkan) when there is no GPU: a functional check, not a speed figure. */
  software?: boolean;
  /** Stack sizes to time. */
  models?: number[];
  /** Run PyTorch's anchor too (a GPU machine with torch). */
  torch?: boolean;
}

/**
 * The WebGPU engine on the reference workload: model-samples per second for each stack size, and
 * the ratios to PyTorch's one-model loop (goal >= 10x) and its 128-model batched loop (moonshot >= 1x).
 */
export async function gpuPaths(ds: Dataset, opts: GpuOptions = {}): Promise<Record<string, unknown>> {
  const { WebgpuEngine } = await import('../src/engine/webgpu/webgpu-engine.js');
  const software = opts.software ?? false;
  const gpu = await WebgpuEngine.create({ allowSoftware: software, maxStack: 1024 });
  if (!gpu || (gpu.ctx.kind !== 'gpu' && !software)) return { skipped: 'no GPU adapter' };
  const out: Record<string, unknown> = { adapter: gpu.name, samples_per_model: ds.n };
  const sizes = opts.models ?? (software ? [1, 3] : [1, 3, 32, 128]);
  const stacks: Record<string, { model_samples_per_s: number; ms_per_step: number }> = {};
  for (const M of sizes) {
    const speed = await stackSpeed(gpu, Array.from({ length: M }, (_, s) => referenceJob(ds, s + 1)), 2);
    stacks[`webgpu_stack_${M}`] = { model_samples_per_s: speed, ms_per_step: Number(((1000 * 100 * M) / speed).toFixed(3)) };
  }
  out.stacks = stacks;
  if (software || opts.torch === false) return out;
  const torch = torchAnchor(ds.n, [8, 32, 128]);
  out.torch_anchor = torch;
  if (Array.isArray(torch)) {
    const one = torch.find((t) => t.anchor === 'torch-one-model')?.samples_per_s;
    const batched = torch.find((t) => t.anchor === 'torch-batched' && t.models === 128)?.model_samples_per_s;
    const best = Math.max(...Object.values(stacks).map((v) => v.model_samples_per_s));
    const oneModel = stacks.webgpu_stack_1?.model_samples_per_s;
    out.ratios = {
      best_stack_to_torch_one_model: one ? Number((best / one).toFixed(2)) : null,
      best_stack_to_torch_batched_128: batched ? Number((best / batched).toFixed(2)) : null,
      one_model_to_torch_one_model: one && oneModel ? Number((oneModel / one).toFixed(2)) : null,
      goal: { best_stack_to_torch_one_model: 10, moonshot_best_stack_to_torch_batched_128: 1 },
    };
  }
  return out;
}
