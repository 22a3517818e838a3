/**
 * The WebGPU engine: stacks of MLPs trained by nnsearch's own WGSL kernels (kernels.ts) through
 * Dawn; Sequential models (conv nets) and MLPs with batch norm train on sequential-stack.ts. A whole epoch of a stack — every step of every model — is one compute pass in one command
 * buffer; the host reads back two numbers per model per epoch. Models of a stack share layer sizes,
 * batch size, activations and loss; each has its own data fold, learning rate, optimizer and
 * settings, dropout and seed.
 */
import type { ModelConfig } from '../../models/config.js';
import { initialWeights, layerWidths } from '../../models/weights.js';
import type { Engine, LossAndMetric, ModelJob, StackRuntime } from '../runtime.js';
import { requestDevice, type GpuContext } from './device.js';
import { GEMM_TILES, gemmBindings, gemmKernel, gemmTile, lossKernel, lossUnsupported, MAX_HIDDEN, MAX_OUTPUTS, maxNormKernel, MODEL_WORDS, optimizerKernel, penaltyKernel, type GemmKind } from './kernels.js';
import { GroupedSequentialStack, mlpAsSequential, modelsPerGroup, sequentialStackKey, sequentialUnsupported, WebgpuSequentialStack } from './sequential-stack.js';
import { StackEpochs } from './stack-epochs.js';
import { bytes, foldBuffers, Kernels, STEP_STRIDE, writeModelWords, type Dispatch, type TilePolicy } from './pipelines.js';

export type { TilePolicy } from './pipelines.js';



/** Why the GPU engine cannot train a model, or null when it can. */
export function webgpuUnsupported(m: ModelConfig, batchSize?: number): string | null {
  if (m.layers) return sequentialUnsupported(m, batchSize);
  if (m.activation === 'softmax') return 'a softmax hidden activation';
  if (m.hidden.length > MAX_HIDDEN) return `more than ${MAX_HIDDEN} hidden layers`;
  if (m.outputDim > MAX_OUTPUTS) return `more than ${MAX_OUTPUTS} outputs`;
  const loss = lossUnsupported(m.loss, m.outputActivation);
  if (loss) return loss;
  // with batch norm: as the Sequential model Dense -> BatchNormalization -> activation -> Dropout
  if (m.batchNorm) return sequentialUnsupported(mlpAsSequential(m), batchSize);
  return null;
}

export class WebgpuStack implements StackRuntime {
  readonly size: number;
  private readonly device: GPUDevice;
  private readonly buffers: GPUBuffer[] = [];
  private readonly widths: number[];
  private readonly B: number;
  private readonly L: number;
  private readonly models: ArrayBuffer;
  private readonly modelsBuf: GPUBuffer;
  private readonly stepBuf: GPUBuffer;
  private readonly stepGroup: GPUBindGroup;
  private readonly orderBuf: GPUBuffer;
  private readonly accBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;
  private readonly W: GPUBuffer[] = [];
  private readonly b: GPUBuffer[] = [];
  private readonly nFitMax: number;
  private readonly iterations: number[];
  private readonly trainSteps: Dispatch[];
  private readonly evalSteps: { validation: Dispatch[]; test: Dispatch[] };
  private readonly needsPenalty: boolean;
  private readonly penaltyEval: Dispatch[];

  constructor(ctx: GpuContext, kernels: Kernels, private readonly jobs: ModelJob[], data: { X: GPUBuffer; Y: GPUBuffer }) {
    const device = ctx.device;
    this.device = device;
    const M = jobs.length;
    this.size = M;
    const first = jobs[0];
    const cfg = first.config.model;
    this.widths = layerWidths(cfg);
    this.B = first.config.train.batchSize;
    this.L = this.widths.length - 1;
    const B = this.B;
    const L = this.L;
    const d = this.widths[0];
    const classification = first.data.task === 'classification';
    this.iterations = jobs.map(() => 0);
    this.needsPenalty = jobs.some((j) => j.config.model.l1 > 0 || j.config.model.l2 > 0);

    const f32 = (n: number) => this.buffer(4 * Math.max(1, n), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    // per-model parameters
    this.models = new ArrayBuffer(M * MODEL_WORDS * 4);
    this.modelsBuf = this.buffer(this.models.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    jobs.forEach((j, m) => this.writeModel(m, j, 0));
    // index lists: training order (rewritten every epoch), validation, test
    this.nFitMax = Math.max(...jobs.map((j) => j.data.fit.length));
    this.orderBuf = f32(M * this.nFitMax);
    const { lists, scalerBuf } = foldBuffers(device, jobs, d, f32);

    // weights, gradients, optimizer slots, activations
    const gW: GPUBuffer[] = [];
    const gb: GPUBuffer[] = [];
    const slotsW: GPUBuffer[][] = [];
    const slotsB: GPUBuffer[][] = [];
    const Z: GPUBuffer[] = [];
    const A: GPUBuffer[] = [];
    const dZ: GPUBuffer[] = [];
    for (let l = 0; l < L; l++) {
      const fanIn = this.widths[l];
      const fanOut = this.widths[l + 1];
      this.W.push(f32(M * fanIn * fanOut));
      this.b.push(f32(M * fanOut));
      gW.push(f32(M * fanIn * fanOut));
      gb.push(f32(M * fanOut));
      slotsW.push([0, 1, 2].map(() => f32(M * fanIn * fanOut)));
      slotsB.push([0, 1, 2].map(() => f32(M * fanOut)));
      Z.push(f32(M * B * fanOut));
      A.push(f32(M * B * fanOut));
      dZ.push(f32(M * B * fanOut));
    }
    jobs.forEach((j, m) => {
      this.writeWeights(m, initialWeights(j.config.model, j.seed));
      this.initSlots(m, j, slotsW, slotsB);
    });
    this.accBuf = this.buffer(M * 16, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    this.readBuf = this.buffer(M * 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    // step indices at a dynamic offset
    const maxSteps = Math.max(Math.ceil(this.nFitMax / B), Math.ceil(lists.validation.width / B), Math.ceil(lists.test.width / B), 1);
    this.stepBuf = this.buffer(maxSteps * STEP_STRIDE, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const stepWords = new Uint32Array((maxSteps * STEP_STRIDE) / 4);
    for (let s = 0; s < maxSteps; s++) stepWords[(s * STEP_STRIDE) / 4] = s;
    device.queue.writeBuffer(this.stepBuf, 0, stepWords);
    this.stepGroup = device.createBindGroup({ layout: kernels.stepLayout, entries: [{ binding: 0, resource: { buffer: this.stepBuf, size: 16 } }] });

    // ---- pipelines and bind groups
    const act = cfg.activation;
    const wg = (n: number, size: number) => Math.ceil(n / size);
    const group = (layout: GPUBindGroupLayout, bufs: GPUBuffer[]) => device.createBindGroup({ layout, entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    /**
     * A GEMM dispatch for an output of outRows x outCols per model; `buffers` names its bindings
     * (kernels.ts gemmBindings). The first layer reads the dataset through `list` (gathered).
     */
    const gemm = (label: string, kind: GemmKind, constants: Record<string, number>, outRows: number, outCols: number, buffers: Record<string, GPUBuffer>, list?: { buf: GPUBuffer; width: number; evaluation: boolean }): Dispatch => {
      const gathered = list !== undefined;
      const bindings = gemmBindings(kind, gathered);
      const tile = kernels.tiles === 'auto' ? gemmTile(outRows, outCols, M) : GEMM_TILES[kernels.tiles];
      const all = { ...buffers, models: this.modelsBuf, ...(list ? { A: data.X, list: list.buf, scaler: scalerBuf } : {}) };
      const { pipeline, layout } = kernels.pipeline(
        gemmKernel(kind, act, tile, gathered),
        bindings.map((x) => x.access),
        list ? { ...constants, LIST: list.width, EVAL: list.evaluation ? 1 : 0 } : constants,
      );
      return {
        label,
        pipeline,
        group: group(
          layout,
          bindings.map((x) => all[x.name as keyof typeof all]!),
        ),
        size: [wg(outCols, 16 * tile.cols), wg(outRows, 16 * tile.rows), M],
      };
    };
    const listOf = (part: 'validation' | 'test' | null) => (part ? { ...lists[part], evaluation: true } : { buf: this.orderBuf, width: this.nFitMax, evaluation: false });
    const forward = (part: 'validation' | 'test' | null): Dispatch[] => {
      const out: Dispatch[] = [];
      for (let l = 0; l < L; l++) {
        const constants = { ROWS: B, INNER: this.widths[l], COLS: this.widths[l + 1], LAYER: l };
        const buffers = { W: this.W[l], bias: this.b[l], Z: Z[l], OUT: A[l], ...(l > 0 ? { A: A[l - 1] } : {}) };
        const kind: GemmKind = l === L - 1 ? 'forward_output' : part ? 'forward_eval' : 'forward_hidden';
        out.push(gemm(`forward L${l}`, kind, constants, B, this.widths[l + 1], buffers, l === 0 ? listOf(part) : undefined));
      }
      return out;
    };
    const lossFor = (evalPart: 'validation' | 'test' | null): Dispatch => {
      const list = listOf(evalPart);
      const { pipeline, layout } = kernels.pipeline(lossKernel(cfg.loss, cfg.outputActivation, first.metric, classification, this.widths[L]), ['read', 'read', 'read', 'rw', 'rw', 'read'], {
        ROWS: B,
        C: this.widths[L],
        LIST: list.width,
        GRAD: evalPart ? 0 : 1,
        EVAL: evalPart ? 1 : 0,
      });
      return { label: 'loss', pipeline, group: group(layout, [Z[L - 1], data.Y, list.buf, dZ[L - 1], this.accBuf, this.modelsBuf]), size: [1, 1, M] };
    };
    const backward: Dispatch[] = [];
    for (let l = L - 1; l >= 0; l--) {
      const fanIn = this.widths[l];
      const fanOut = this.widths[l + 1];
      // the weight and bias gradients in one product; then dZ of the layer below, from the weights before their update
      backward.push(gemm(`grad_w L${l}`, 'grad_w', { ROWS: B, INNER_OUT: fanIn, COLS: fanOut }, fanIn + 1, fanOut, { D: dZ[l], W: this.W[l], G: gW[l], GB: gb[l], ...(l > 0 ? { A: A[l - 1] } : {}) }, l === 0 ? listOf(null) : undefined));
      if (l > 0) {
        backward.push(gemm(`grad_x L${l}`, 'grad_x', { ROWS: B, INNER: fanOut, COLS: fanIn, LAYER: l - 1 }, B, fanIn, { D: dZ[l], W: this.W[l], Zprev: Z[l - 1], G: dZ[l - 1] }));
      }
      for (const [param, grad, slots, size] of [
        [this.W[l], gW[l], slotsW[l], fanIn * fanOut],
        [this.b[l], gb[l], slotsB[l], fanOut],
      ] as [GPUBuffer, GPUBuffer, GPUBuffer[], number][]) {
        const o = kernels.pipeline(optimizerKernel(), ['rw', 'read', 'rw', 'rw', 'rw', 'read'], { SIZE: size, BATCH: B });
        backward.push({ label: `optimizer ${param === this.b[l] ? 'b' : 'W'}${l}`, pipeline: o.pipeline, group: group(o.layout, [param, grad, ...slots, this.modelsBuf]), size: [wg(size, 256), 1, M] });
      }
      if (jobs.some((j) => j.config.model.maxNorm !== null)) {
        const mn = kernels.pipeline(maxNormKernel(), ['rw', 'read'], { IN: fanIn, OUT: fanOut, BATCH: B });
        backward.push({ label: `max_norm L${l}`, pipeline: mn.pipeline, group: group(mn.layout, [this.W[l], this.modelsBuf]), size: [wg(fanOut, 64), 1, M] });
      }
    }
    // L1/L2 penalties: of the weights before each update into the batch loss (slot 0), and of the
    // current weights once per evaluation (slot 2)
    const penalty = (evaluation: boolean): Dispatch[] =>
      !this.needsPenalty
        ? []
        : this.W.map((W, l) => {
            const size = this.widths[l] * this.widths[l + 1];
            const p = kernels.pipeline(penaltyKernel(), ['read', 'rw', 'read'], { SIZE: size, BATCH: B, SLOT: evaluation ? 2 : 0, EVAL: evaluation ? 1 : 0 });
            return { label: `penalty L${l}`, pipeline: p.pipeline, group: group(p.layout, [W, this.accBuf, this.modelsBuf]), size: [1, 1, M] as [number, number, number] };
          });
    this.penaltyEval = penalty(true);
    this.trainSteps = [...forward(null), lossFor(null), ...penalty(false), ...backward];
    this.evalSteps = {
      validation: [...forward('validation'), lossFor('validation')],
      test: [...forward('test'), lossFor('test')],
    };
  }

  private buffer(size: number, usage: number): GPUBuffer {
    const b = this.device.createBuffer({ size: Math.ceil(size / 4) * 4, usage });
    this.buffers.push(b);
    return b;
  }

  private writeModel(m: number, j: ModelJob, iterBase: number, lr?: number, active = true, nEval = 0): void {
    const mc = j.config.model;
    const dropouts = mc.hidden.map((h, l) => ({ rate: h.dropout, layer: l }));
    writeModelWords(this.models, m, j, { iterBase, lr, active, nEval, l1: mc.l1, l2: mc.l2, maxNorm: mc.maxNorm, dropouts });
  }

  private writeWeights(m: number, weights: Float32Array[]): void {
    for (let l = 0; l < this.L; l++) {
      const size = this.widths[l] * this.widths[l + 1];
      this.device.queue.writeBuffer(this.W[l], m * size * 4, bytes(weights[2 * l]));
      this.device.queue.writeBuffer(this.b[l], m * this.widths[l + 1] * 4, bytes(weights[2 * l + 1]));
    }
  }

  private initSlots(m: number, j: ModelJob, slotsW: GPUBuffer[][], slotsB: GPUBuffer[][]): void {
    if (j.config.model.optimizer.name !== 'adagrad') return;
    const v = j.config.model.optimizer.initialAccumulator;
    for (let l = 0; l < this.L; l++) {
      const size = this.widths[l] * this.widths[l + 1];
      this.device.queue.writeBuffer(slotsW[l][0], m * size * 4, new Float32Array(size).fill(v));
      this.device.queue.writeBuffer(slotsB[l][0], m * this.widths[l + 1] * 4, new Float32Array(this.widths[l + 1]).fill(v));
    }
  }

  private epochsCache?: StackEpochs;
  /** Epochs, evaluations and profiles over this stack's buffers and steps (stack-epochs.ts). */
  private get epochs(): StackEpochs {
    return (this.epochsCache ??= new StackEpochs({
      device: this.device, stepGroup: this.stepGroup, orderBuf: this.orderBuf, modelsBuf: this.modelsBuf, accBuf: this.accBuf, readBuf: this.readBuf,
      models: this.models, jobs: this.jobs, B: this.B, nFitMax: this.nFitMax, iterations: this.iterations,
      trainSteps: this.trainSteps, evalSteps: this.evalSteps, penaltyEval: this.penaltyEval,
      writeModel: (m, j, iterBase, lr, active, nEval) => this.writeModel(m, j, iterBase, lr, active, nEval),
    }));
  }

  profileSteps(steps: number): Promise<{ step: number; dispatches: { label: string; ms: number }[] }> {
    return this.epochs.profileSteps(steps);
  }

  trainEpoch(orders: Int32Array[], lrs: number[], active: boolean[]): Promise<LossAndMetric[]> {
    return this.epochs.trainEpoch(orders, lrs, active);
  }

  evaluate(part: 'validation' | 'test', active: boolean[]): Promise<LossAndMetric[]> {
    return this.epochs.evaluate(part, active);
  }

  async snapshot(m: number): Promise<Float32Array[]> {
    const sizes = Array.from({ length: this.L }, (_, l) => [this.widths[l] * this.widths[l + 1], this.widths[l + 1]]).flat();
    const total = sizes.reduce((a, b) => a + b, 0);
    const staging = this.device.createBuffer({ size: total * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    let offset = 0;
    for (let l = 0; l < this.L; l++) {
      encoder.copyBufferToBuffer(this.W[l], m * sizes[2 * l] * 4, staging, offset * 4, sizes[2 * l] * 4);
      offset += sizes[2 * l];
      encoder.copyBufferToBuffer(this.b[l], m * sizes[2 * l + 1] * 4, staging, offset * 4, sizes[2 * l + 1] * 4);
      offset += sizes[2 * l + 1];
    }
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    const out: Float32Array[] = [];
    offset = 0;
    for (const s of sizes) {
      out.push(all.slice(offset, offset + s));
      offset += s;
    }
    return out;
  }

  restore(m: number, weights: Float32Array[]): void {
    this.writeWeights(m, weights);
  }

  dispose(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}

export class WebgpuEngine implements Engine {
  readonly name: string;
  readonly maxStack: number;
  readonly inProcessParallel = true;
  /** Trials a round should claim: a GPU wants many models at once. */
  readonly trialsPerRound: number;
  private readonly kernels: Kernels;
  private readonly data = new WeakMap<Float32Array, { X: GPUBuffer; Y: GPUBuffer }>();

  private constructor(readonly ctx: GpuContext, maxStack: number, tiles: TilePolicy, splitK: number | null, private readonly scratchBudget?: number) {
    this.name = `webgpu (${ctx.kind}: ${ctx.description})`;
    this.maxStack = maxStack;
    this.trialsPerRound = Math.max(1, Math.floor(maxStack / 3));
    this.kernels = new Kernels(ctx.device, tiles, splitK);
  }

  /**
   * A GPU adapter, or with allowSoftware SwiftShader too; null when there is none. tiles, splitK and
   * scratchBudget (bytes of conv-net activations per group of a stack) override the automatic
   * choices, for tests and profiles.
   */
  static async create(opts: { allowSoftware?: boolean; maxStack?: number; tiles?: TilePolicy; splitK?: number; scratchBudget?: number } = {}): Promise<WebgpuEngine | null> {
    const ctx = await requestDevice(opts.allowSoftware ? 'software' : 'gpu');
    return ctx ? new WebgpuEngine(ctx, opts.maxStack ?? (ctx.kind === 'gpu' ? 192 : 8), opts.tiles ?? 'auto', opts.splitK ?? null, opts.scratchBudget) : null;
  }

  supports(job: ModelJob): boolean {
    return webgpuUnsupported(job.config.model, job.config.train.batchSize) === null;
  }

  canStack(a: ModelJob, b: ModelJob): boolean {
    const ma = a.config.model;
    const mb = b.config.model;
    if (ma.layers || mb.layers) {
      return (
        a.data.x === b.data.x &&
        a.config.train.batchSize === b.config.train.batchSize &&
        a.metric === b.metric &&
        ma.loss === mb.loss &&
        ma.layers !== undefined &&
        mb.layers !== undefined &&
        sequentialStackKey(ma) === sequentialStackKey(mb)
      );
    }
    return (
      a.data.x === b.data.x &&
      a.config.train.batchSize === b.config.train.batchSize &&
      a.metric === b.metric &&
      ma.activation === mb.activation &&
      ma.outputActivation === mb.outputActivation &&
      ma.loss === mb.loss &&
      ma.batchNorm === mb.batchNorm &&
      JSON.stringify(layerWidths(ma)) === JSON.stringify(layerWidths(mb))
    );
  }

  private upload(job: ModelJob): { X: GPUBuffer; Y: GPUBuffer } {
    let d = this.data.get(job.data.x);
    if (!d) {
      const device = this.ctx.device;
      const X = device.createBuffer({ size: job.data.x.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(X, 0, bytes(job.data.x));
      const Y = device.createBuffer({ size: job.data.y.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(Y, 0, bytes(job.data.y));
      d = { X, Y };
      this.data.set(job.data.x, d);
    }
    return d;
  }

  /** A stack of conv nets: one WebgpuSequentialStack, or groups of them when the models' activations would not fit. */
  private sequentialStack(jobs: ModelJob[], data: { X: GPUBuffer; Y: GPUBuffer }): WebgpuSequentialStack | GroupedSequentialStack {
    const maxBinding = this.ctx.device.limits.maxStorageBufferBindingSize;
    const perGroup = modelsPerGroup(jobs[0].config.model, jobs[0].config.train.batchSize, maxBinding, this.scratchBudget);
    return jobs.length <= perGroup ? new WebgpuSequentialStack(this.ctx, this.kernels, jobs, data) : new GroupedSequentialStack(this.ctx, this.kernels, jobs, data, perGroup);
  }

  async createStack(jobs: ModelJob[]): Promise<WebgpuStack | WebgpuSequentialStack | GroupedSequentialStack> {
    for (const j of jobs) {
      const why = webgpuUnsupported(j.config.model, j.config.train.batchSize);
      if (why) throw new Error(`webgpu engine: ${why} is not implemented`);
      if (!this.canStack(jobs[0], j)) throw new Error('webgpu engine: a stack needs the same layer shapes, batch size, activations, loss and metric');
    }
    const device = this.ctx.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    const data = this.upload(jobs[0]);
    const model = jobs[0].config.model;
    const stack = model.layers
      ? this.sequentialStack(jobs, data)
      : model.batchNorm
        ? this.sequentialStack(jobs.map((j) => ({ ...j, config: { ...j.config, model: mlpAsSequential(j.config.model) } })), data)
        : new WebgpuStack(this.ctx, this.kernels, jobs, data);
    const oom = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    const error = oom ?? invalid;
    if (error) {
      stack.dispose();
      throw new Error(`webgpu engine: ${error.message.split('\n').slice(0, 3).join(' ')}`);
    }
    return stack;
  }

  async dispose(): Promise<void> {}
}
