/**
 * What the WebGPU stacks (MLPs: webgpu-engine.ts; Sequential conv nets: sequential-stack.ts) share:
 * the pipeline cache, a dispatch, the per-model parameter words, and encoding a list of steps as
 * compute passes at dynamic step offsets with one read-back of the accumulators at the end.
 */
import { mixSeed } from '../../rng.js';
import { OPTIMIZERS } from '../../spec/vocabulary.js';
import type { ModelJob } from '../runtime.js';
import { GEMM_TILES, MODEL_FIELDS, MODEL_WORDS, type Access } from './kernels.js';

/** Bytes between two steps' uniforms (WebGPU's minUniformBufferOffsetAlignment). */
export const STEP_STRIDE = 256;
/** Training steps per command buffer: small enough that the GPU starts early, large enough to amortize a submit. */
export const STEPS_PER_SUBMIT = 50;
const DROPOUT_STREAM = 0x44524f50; // 'DROP', as models/dropout.ts

/** A typed array's bytes as WebGPU accepts them (a view on a plain ArrayBuffer). */
export function bytes(a: Float32Array): Float32Array<ArrayBuffer> {
  return a.buffer instanceof ArrayBuffer ? (a as Float32Array<ArrayBuffer>) : new Float32Array(a);
}

/** GEMM tiles: chosen per shape and stack size (kernels.ts gemmTile), or forced for comparisons. */
export type TilePolicy = 'auto' | keyof typeof GEMM_TILES;

/** Compiled pipelines, cached by code, constants and binding access; group 0 is the step uniform. */
export class Kernels {
  private readonly cache = new Map<string, GPUComputePipeline>();
  readonly stepLayout: GPUBindGroupLayout;

  constructor(
    private readonly device: GPUDevice,
    readonly tiles: TilePolicy,
    /** Slices of every conv weight gradient's contraction, forced (tests); null: conv-kernels.ts wgradSplit. */
    readonly splitK: number | null = null,
  ) {
    this.stepLayout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 } }],
    });
  }

  layout(access: Access[]): GPUBindGroupLayout {
    return this.device.createBindGroupLayout({
      entries: access.map((a, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: a === 'read' ? 'read-only-storage' : 'storage' } })),
    });
  }

  pipeline(code: string, access: Access[], constants: Record<string, number>): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    const key = `${code}\n${JSON.stringify(constants)}\n${access.join(',')}`;
    const layout = this.layout(access);
    let pipeline = this.cache.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.stepLayout, layout] }),
        compute: { module: this.device.createShaderModule({ code }), entryPoint: 'main', constants },
      });
      this.cache.set(key, pipeline);
    }
    return { pipeline, layout: pipeline.getBindGroupLayout(1) };
  }
}

export interface Dispatch {
  /** What it computes, for profiles (bench/gpu-profile.ts). */
  label: string;
  pipeline: GPUComputePipeline;
  group: GPUBindGroup;
  size: [number, number, number];
}

/** A dropout layer of a model: its rate and the layer index that keys its masks (models/dropout.ts). */
export interface DropoutSlot {
  rate: number;
  layer: number;
}

/**
 * Writes model m's words of the `models` buffer (kernels.ts MODEL_FIELDS). `l1`, `l2` and
 * `maxNorm` are the MLP's; a Sequential stack keeps them per layer elsewhere and passes zeros.
 */
export function writeModelWords(
  models: ArrayBuffer,
  m: number,
  j: ModelJob,
  o: { iterBase: number; lr?: number; active?: boolean; nEval?: number; l1: number; l2: number; maxNorm: number | null; dropouts: DropoutSlot[] },
): void {
  const f = new Float32Array(models, m * MODEL_WORDS * 4, MODEL_WORDS);
  const u = new Uint32Array(models, m * MODEL_WORDS * 4, MODEL_WORDS);
  const opt = j.config.model.optimizer;
  f[MODEL_FIELDS.lr] = o.lr ?? opt.learningRate;
  f[MODEL_FIELDS.decay] = opt.decay;
  f[MODEL_FIELDS.momentum] = opt.momentum;
  f[MODEL_FIELDS.beta1] = opt.beta1;
  f[MODEL_FIELDS.beta2] = opt.beta2;
  f[MODEL_FIELDS.epsilon] = opt.epsilon;
  f[MODEL_FIELDS.rho] = opt.rho;
  f[MODEL_FIELDS.l1] = o.l1;
  f[MODEL_FIELDS.l2] = o.l2;
  f[MODEL_FIELDS.maxNorm] = o.maxNorm ?? 0;
  u[MODEL_FIELDS.active] = o.active === false ? 0 : 1;
  u[MODEL_FIELDS.iterBase] = o.iterBase;
  u[MODEL_FIELDS.nFit] = j.data.fit.length;
  u[MODEL_FIELDS.nEval] = o.nEval ?? 0;
  u[MODEL_FIELDS.optimizer] = OPTIMIZERS.indexOf(opt.name);
  u[MODEL_FIELDS.flags] = (opt.nesterov ? 1 : 0) | (opt.centered ? 2 : 0) | (j.data.scaler ? 4 : 0);
  o.dropouts.forEach((d, k) => {
    // keep a unit when its 24-bit uniform u = k / 2^24 satisfies u >= rate, i.e. k >= ceil(rate * 2^24)
    u[MODEL_FIELDS.dropThreshold + k] = d.rate > 0 ? Math.ceil(d.rate * 16777216) : 0;
    f[MODEL_FIELDS.dropScale + k] = 1 / (1 - d.rate);
    u[MODEL_FIELDS.dropKey + k] = mixSeed(j.seed >>> 0, DROPOUT_STREAM, d.layer);
  });
}

/**
 * Encodes the steps (each a list of dispatches, step s at uniform offset s * STEP_STRIDE) and reads
 * back `words` floats of `acc` once at the end. Steps go out in command buffers of
 * STEPS_PER_SUBMIT, so the GPU starts on the first while the host still encodes the rest.
 */
export async function runSteps(device: GPUDevice, stepGroup: GPUBindGroup, passes: Dispatch[][], acc: GPUBuffer, read: GPUBuffer, words: number): Promise<Float32Array> {
  let encoder = device.createCommandEncoder();
  let pass = encoder.beginComputePass();
  passes.forEach((step, s) => {
    if (s > 0 && s % STEPS_PER_SUBMIT === 0) {
      pass.end();
      device.queue.submit([encoder.finish()]);
      encoder = device.createCommandEncoder();
      pass = encoder.beginComputePass();
    }
    for (const d of step) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, stepGroup, [s * STEP_STRIDE]);
      pass.setBindGroup(1, d.group);
      pass.dispatchWorkgroups(...d.size);
    }
  });
  pass.end();
  encoder.copyBufferToBuffer(acc, 0, read, 0, words * 4);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  return out;
}

/**
 * What a stack reads its folds through, for both stacks: each model's validation and test rows as
 * index lists ([M][width], width the longest part) and its scaler as [M][offset, factor][d] (factor 1
 * and offset 0 without one), applied as the first layer reads its inputs.
 */
export function foldBuffers(device: GPUDevice, jobs: ModelJob[], d: number, f32: (n: number) => GPUBuffer):
  { lists: Record<'validation' | 'test', { buf: GPUBuffer; width: number }>; scalerBuf: GPUBuffer } {
  const M = jobs.length;
  const listBuf = (part: 'validation' | 'test') => {
    const width = Math.max(1, ...jobs.map((j) => j.data[part].length));
    const words = new Uint32Array(M * width);
    jobs.forEach((j, m) => words.set(j.data[part], m * width));
    const buf = f32(words.length);
    device.queue.writeBuffer(buf, 0, words);
    return { buf, width };
  };
  const scalers = new Float32Array(M * 2 * d);
  jobs.forEach((j, m) => {
    scalers.fill(1, (2 * m + 1) * d, (2 * m + 2) * d);
    if (j.data.scaler) {
      scalers.set(j.data.scaler.offset, 2 * m * d);
      scalers.set(j.data.scaler.factor, (2 * m + 1) * d);
    }
  });
  const scalerBuf = f32(scalers.length);
  device.queue.writeBuffer(scalerBuf, 0, scalers);
  return { lists: { validation: listBuf('validation'), test: listBuf('test') }, scalerBuf };
}
