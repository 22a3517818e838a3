/**
 * A stack of M Keras Sequential models (conv nets) trained by the WGSL kernels of conv-kernels.ts:
 * the same layer shapes and activations, each model with its own fold, optimizer and learning rate,
 * per-layer L1/L2/MaxNorm, dropout rates and seed. As the MLP stack (webgpu-engine.ts), a whole
 * epoch is one list of compute passes and the host reads back two numbers per model per epoch.
 *
 * Per step: the batch is gathered (through each model's row list and scaler) into X0; each layer
 * writes its output A (Conv2D/Dense also Z); the loss kernel (kernels.ts) writes dL/dlogits; layers
 * backward write D, the gradient of their input's producer (dL/dZ where that is a Conv2D/Dense
 * layer, its act' applied in the epilogue); every kernel is updated right after its gradients are
 * taken, by kernels.ts's optimizer kernel. Flatten is free (NHWC is already flat): it aliases its
 * input's buffers. BatchNormalization normalizes by the statistics of each batch's real rows and
 * updates its moving statistics in the same kernel (conv-kernels.ts bnStatsKernel).
 */
import type { ModelConfig } from '../../models/config.js';
import { paddingBeforeAfter, sequentialShapes, type SequentialLayer } from '../../models/layers.js';
import { initialWeights } from '../../models/weights.js';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, type Activation } from '../../spec/vocabulary.js';
import type { LossAndMetric, ModelJob, StackRuntime } from '../runtime.js';
import type { GpuContext } from './device.js';
import { bnBackwardKernel, bnForwardKernel, bnGradKernel, bnStatsKernel, convGemmBindings, convGemmKernel, dropoutKernel, elementWorkgroups, gapBackwardKernel, gapForwardKernel, gatherKernel, layerMaxNormKernel, layerPenaltyKernel, poolBackwardKernel, poolForwardKernel, wgradReduceKernel, wgradSplit, type ConvGemmKind, type ConvGeometry } from './conv-kernels.js';
import { GEMM_TILES, gemmTile, lossKernel, lossUnsupported, MAX_HIDDEN, MAX_OUTPUTS, MODEL_WORDS, optimizerKernel, type Access } from './kernels.js';
import { StackEpochs } from './stack-epochs.js';
import { bytes, foldBuffers, Kernels, STEP_STRIDE, writeModelWords, type Dispatch, type DropoutSlot } from './pipelines.js';

/**
 * Layers as the stack runs them: Keras's, plus what an MLP with batch norm needs (its hidden layer
 * is Dense -> BatchNormalization -> activation -> Dropout): an activation after a
 * BatchNormalization, and a Dropout's mask key (the MLP's hidden-layer index, models/dropout.ts).
 */
export type GpuLayer = SequentialLayer & { after?: Activation; dropKey?: number };

/** Converted MLPs and their originals (whose initial weights they start from: models/weights.ts initialWeights). */
const mlpOf = new WeakMap<ModelConfig, ModelConfig>();

/** An MLP (ModelConfig without `layers`) as the Sequential model the stack trains; the same weights in the same order. */
export function mlpAsSequential(m: ModelConfig): ModelConfig {
  const kernel = { init: m.init, l1: m.l1, l2: m.l2, maxNorm: m.maxNorm };
  const layers: GpuLayer[] = [];
  m.hidden.forEach((h, l) => {
    if (m.batchNorm) {
      layers.push({ kind: 'dense', units: h.units, activation: 'linear', ...kernel });
      layers.push({ kind: 'batch_normalization', momentum: BATCH_NORM_MOMENTUM, epsilon: BATCH_NORM_EPSILON, after: m.activation });
    } else {
      layers.push({ kind: 'dense', units: h.units, activation: m.activation, ...kernel });
    }
    if (h.dropout > 0) layers.push({ kind: 'dropout', rate: h.dropout, dropKey: l });
  });
  layers.push({ kind: 'dense', units: m.outputDim, activation: m.outputActivation, ...kernel });
  const converted = { ...m, layers, inputShape: [m.inputDim] };
  mlpOf.set(converted, m);
  return converted;
}

/** Workgroups a dispatch may have along one dimension (WebGPU's default limit). */
const MAX_WORKGROUPS = 65535;

/** One layer as the stack runs it. */
interface PlannedLayer {
  layer: SequentialLayer;
  /** Geometry constants (conv-kernels.ts): Conv2D, Dense (a 1x1 convolution), pooling, GAP. */
  geo: ConvGeometry;
  /** Values per sample of its input and output. */
  inSize: number;
  outSize: number;
  /** The nearest layer below that is not a Flatten (whose buffers it reads and whose gradient it writes); -1: the input. */
  below: number;
  /** The act' that a gradient written for this layer's output must apply (Conv2D/Dense with a non-linear activation). */
  act: Activation | null;
  /** Dropout: its slot in the Model struct. */
  dropSlot: number;
  /** Its input is an image (rank 3): BatchNormalization's moving variance is then unbiased, as Keras's fused kernel's. */
  spatialIn: boolean;
}

const isKernel = (l: SequentialLayer): l is Extract<SequentialLayer, { kind: 'conv2d' | 'dense' }> => l.kind === 'conv2d' || l.kind === 'dense';
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The stack's plan of a model at batch size B (shapes assumed valid: see sequentialUnsupported). */
export function planLayers(m: ModelConfig, B: number): PlannedLayer[] {
  const layers = m.layers!;
  const input = m.inputShape ?? [m.inputDim];
  const shapes = sequentialShapes(layers, input);
  if (!shapes.ok) throw new Error(`layer ${shapes.index}: ${shapes.message}`);
  let below = -1;
  let dropSlot = 0;
  return layers.map((layer, i) => {
    const inShape = i === 0 ? input : shapes.shapes[i - 1];
    const outShape = shapes.shapes[i];
    const [H, W_, CIN] = inShape.length === 3 ? inShape : [1, 1, inShape[0]];
    const [OH, OW, COUT] = outShape.length === 3 ? outShape : [1, 1, outShape[0]];
    const geo: ConvGeometry = { B, H, W_, CIN, OH, OW, COUT, KH: 1, KW: 1, SH: 1, SW: 1, PT: 0, PL: 0 };
    if (layer.kind === 'conv2d' || layer.kind === 'max_pooling2d' || layer.kind === 'average_pooling2d') {
      const k = layer.kind === 'conv2d' ? layer.kernelSize : layer.poolSize;
      Object.assign(geo, {
        KH: k[0], KW: k[1], SH: layer.strides[0], SW: layer.strides[1],
        PT: paddingBeforeAfter(H, k[0], layer.strides[0], layer.padding)[0],
        PL: paddingBeforeAfter(W_, k[1], layer.strides[1], layer.padding)[0],
      });
    }
    if (layer.kind === 'dense') Object.assign(geo, { OH: H, OW: W_ });
    const after = (layer as GpuLayer).after;
    const act = isKernel(layer) && i < layers.length - 1 && layer.activation !== 'linear' ? layer.activation : layer.kind === 'batch_normalization' && after && after !== 'linear' ? after : null;
    const planned: PlannedLayer = { layer, geo, inSize: size(inShape), outSize: size(outShape), below, act, dropSlot: layer.kind === 'dropout' ? dropSlot++ : -1, spatialIn: inShape.length === 3 };
    if (layer.kind !== 'flatten') below = i;
    return planned;
  });
}

/**
 * Why the WebGPU engine cannot train this Sequential model (at this batch size), or null. Models
 * it declines train on the CPU engines.
 */
export function sequentialUnsupported(m: ModelConfig, batchSize?: number): string | null {
  const layers = m.layers ?? [];
  const shapes = sequentialShapes(layers, m.inputShape ?? [m.inputDim]);
  if (!shapes.ok) return `layer ${shapes.index}: ${shapes.message}`;
  if (layers.at(-1)?.kind !== 'dense' || shapes.shapes.at(-1)!.length !== 1) return 'a Sequential model whose last layer is not a Dense layer on flat input';
  if (layers.slice(0, -1).some((l) => isKernel(l) && l.activation === 'softmax')) return 'a softmax hidden activation';
  if (layers.filter((l) => l.kind === 'dropout').length > MAX_HIDDEN) return `more than ${MAX_HIDDEN} Dropout layers`;
  if (m.outputDim > MAX_OUTPUTS) return `more than ${MAX_OUTPUTS} outputs`;
  const loss = lossUnsupported(m.loss, m.outputActivation);
  if (loss) return loss;
  if (batchSize !== undefined) {
    // the row tiles of the convolutions' products (16 rows each) along one dispatch dimension
    for (const p of planLayers(m, batchSize)) {
      if (isKernel(p.layer) && Math.ceil((batchSize * Math.max(p.geo.OH * p.geo.OW, p.geo.H * p.geo.W_)) / 16) > MAX_WORKGROUPS) {
        return `a ${p.layer.kind} layer of more than ${MAX_WORKGROUPS * 16} positions per batch`;
      }
    }
  }
  return null;
}

/** What must agree for Sequential models to share a GPU stack: every layer's shape and activation (compiled in). */
export function sequentialStackKey(m: ModelConfig): string {
  const layers = m.layers ?? [];
  return JSON.stringify([
    m.inputShape ?? [m.inputDim],
    m.outputDim,
    layers.map((l, i) => {
      switch (l.kind) {
        case 'conv2d': return [l.kind, l.filters, ...l.kernelSize, ...l.strides, l.padding, l.activation];
        case 'max_pooling2d':
        case 'average_pooling2d': return [l.kind, ...l.poolSize, ...l.strides, l.padding];
        case 'dense': return [l.kind, l.units, i === layers.length - 1 ? m.outputActivation : l.activation];
        // momentum and epsilon are compiled in
        case 'batch_normalization': return [l.kind, l.momentum, l.epsilon, (l as GpuLayer).after ?? 'linear'];
        default: return [l.kind];
      }
    }),
  ]);
}

export class WebgpuSequentialStack implements StackRuntime {
  readonly size: number;
  private readonly device: GPUDevice;
  private readonly buffers: GPUBuffer[] = [];
  private readonly B: number;
  private readonly models: ArrayBuffer;
  private readonly modelsBuf: GPUBuffer;
  private readonly stepGroup: GPUBindGroup;
  private readonly orderBuf: GPUBuffer;
  private readonly accBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;
  /** Per Conv2D/Dense layer (in layer order): kernel [M x K x COUT] and bias [M x COUT]. */
  private readonly params: { W: GPUBuffer; b: GPUBuffer; K: number; COUT: number }[] = [];
  /** Every weight array of a model, in Keras order (snapshot, restore): buffer [M x n]. */
  private readonly weightList: { buf: GPUBuffer; n: number }[] = [];
  private readonly nFitMax: number;
  private readonly iterations: number[];
  private readonly trainSteps: Dispatch[];
  private readonly evalSteps: { validation: Dispatch[]; test: Dispatch[] };
  private readonly penaltyEval: Dispatch[];

  private readonly scratch: ScratchBuffers;
  private readonly ownsScratch: boolean;

  constructor(ctx: GpuContext, kernels: Kernels, private readonly jobs: ModelJob[], data: { X: GPUBuffer; Y: GPUBuffer }, scratch?: ScratchBuffers) {
    const device = ctx.device;
    this.device = device;
    const M = jobs.length;
    this.size = M;
    const first = jobs[0];
    const cfg = first.config.model;
    const B = first.config.train.batchSize;
    this.B = B;
    const plan = planLayers(cfg, B);
    const L = plan.length;
    const d = first.data.d;
    const classification = first.data.task === 'classification';
    this.iterations = jobs.map(() => 0);

    const f32 = (n: number) => this.buffer(4 * Math.max(1, n), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    this.models = new ArrayBuffer(M * MODEL_WORDS * 4);
    this.modelsBuf = this.buffer(this.models.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    jobs.forEach((j, m) => this.writeModel(m, j, 0));
    this.nFitMax = Math.max(...jobs.map((j) => j.data.fit.length));
    this.orderBuf = f32(M * this.nFitMax);
    const { lists, scalerBuf } = foldBuffers(device, jobs, d, f32);

    // activations and gradients; a Flatten aliases its input's
    // per-step scratch: shared with the other groups of a split stack (they run one after another)
    const own = scratch === undefined;
    this.scratch = scratch ?? new ScratchBuffers(device);
    this.ownsScratch = own;
    const temp = (key: string, n: number) => this.scratch.get(key, 4 * Math.max(1, n));
    const X0 = temp('X0', M * B * d);
    const A: GPUBuffer[] = [];
    const D: (GPUBuffer | null)[] = [];
    const Z: (GPUBuffer | null)[] = [];
    const ARG: (GPUBuffer | null)[] = [];
    plan.forEach((p, l) => {
      if (p.layer.kind === 'flatten') {
        A.push(l === 0 ? X0 : A[l - 1]);
        D.push(l === 0 ? null : D[l - 1]);
        Z.push(null);
        ARG.push(null);
        return;
      }
      const n = M * B * p.outSize;
      // Z: a Conv2D/Dense layer's pre-activation, a BatchNormalization's normalized input
      Z.push(isKernel(p.layer) || (p.layer.kind === 'batch_normalization' && p.act) ? temp(`Z${l}`, n) : null);
      A.push(l === L - 1 ? Z[l]! : temp(`A${l}`, n));
      D.push(temp(`D${l}`, n));
      ARG.push(p.layer.kind === 'max_pooling2d' ? temp(`ARG${l}`, n) : null);
    });
    const input = (l: number) => (l === 0 ? X0 : A[l - 1]);
    // the gradient a layer's backward writes (null: its input is the data) and the act' it applies
    const target = (l: number) => (plan[l].below < 0 ? null : { G: D[plan[l].below]!, act: plan[plan[l].below].act, Zprev: Z[plan[l].below] });

    // parameters, gradients, optimizer slots, per-model regularization per kernel
    const gW: GPUBuffer[] = [];
    const gb: GPUBuffer[] = [];
    const slotsW: GPUBuffer[][] = [];
    const slotsB: GPUBuffer[][] = [];
    const reg: GPUBuffer[] = [];
    const kernelOf: number[] = [];
    plan.forEach((p, l) => {
      if (!isKernel(p.layer)) return;
      kernelOf[l] = this.params.length;
      const K = p.geo.KH * p.geo.KW * p.geo.CIN;
      const COUT = p.geo.COUT;
      this.params.push({ W: f32(M * K * COUT), b: f32(M * COUT), K, COUT });
      gW.push(f32(M * K * COUT));
      gb.push(f32(M * COUT));
      slotsW.push([0, 1, 2].map(() => f32(M * K * COUT)));
      slotsB.push([0, 1, 2].map(() => f32(M * COUT)));
      const words = new Float32Array(M * 4);
      jobs.forEach((j, m) => {
        const layer = j.config.model.layers![l] as typeof p.layer;
        words.set([layer.l1, layer.l2, layer.maxNorm ?? 0], 4 * m);
      });
      const r = f32(words.length);
      device.queue.writeBuffer(r, 0, words);
      reg.push(r);
    });
    // BatchNormalization: gamma and beta (trained), moving mean and variance; per-step statistics
    const bn: { C: number; xhat: GPUBuffer; gamma: GPUBuffer; beta: GPUBuffer; mm: GPUBuffer; mv: GPUBuffer; gGamma: GPUBuffer; gBeta: GPUBuffer; slots: GPUBuffer[][]; stats: GPUBuffer; coef: GPUBuffer }[] = [];
    const bnOf: number[] = [];
    plan.forEach((p, l) => {
      if (isKernel(p.layer)) {
        const k = this.params[kernelOf[l]];
        this.weightList.push({ buf: k.W, n: k.K * k.COUT }, { buf: k.b, n: k.COUT });
      } else if (p.layer.kind === 'batch_normalization') {
        const C = p.geo.CIN;
        bnOf[l] = bn.length;
        const b = {
          C,
          xhat: temp(`XHAT${l}`, M * B * p.outSize),
          gamma: f32(M * C), beta: f32(M * C), mm: f32(M * C), mv: f32(M * C), gGamma: f32(M * C), gBeta: f32(M * C),
          slots: [0, 1].map(() => [0, 1, 2].map(() => f32(M * C))),
          stats: temp(`STATS${l}`, M * 2 * C), coef: temp(`COEF${l}`, M * 3 * C),
        };
        bn.push(b);
        for (const buf of [b.gamma, b.beta, b.mm, b.mv]) this.weightList.push({ buf, n: C });
      }
    });
    jobs.forEach((j, m) => {
      const mc = j.config.model;
      this.writeWeights(m, initialWeights(mlpOf.get(mc) ?? mc, j.seed));
      if (j.config.model.optimizer.name === 'adagrad') {
        // Adagrad's accumulators start at initial_accumulator_value
        const v = j.config.model.optimizer.initialAccumulator;
        for (const b of bn) for (const slots of b.slots) device.queue.writeBuffer(slots[0], m * b.C * 4, new Float32Array(b.C).fill(v));
        this.params.forEach((k, i) => {
          device.queue.writeBuffer(slotsW[i][0], m * k.K * k.COUT * 4, new Float32Array(k.K * k.COUT).fill(v));
          device.queue.writeBuffer(slotsB[i][0], m * k.COUT * 4, new Float32Array(k.COUT).fill(v));
        });
      }
    });
    this.accBuf = this.buffer(M * 16, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    this.readBuf = this.buffer(M * 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const maxSteps = Math.max(Math.ceil(this.nFitMax / B), Math.ceil(lists.validation.width / B), Math.ceil(lists.test.width / B), 1);
    const stepBuf = this.buffer(maxSteps * STEP_STRIDE, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const stepWords = new Uint32Array((maxSteps * STEP_STRIDE) / 4);
    for (let s = 0; s < maxSteps; s++) stepWords[(s * STEP_STRIDE) / 4] = s;
    device.queue.writeBuffer(stepBuf, 0, stepWords);
    this.stepGroup = device.createBindGroup({ layout: kernels.stepLayout, entries: [{ binding: 0, resource: { buffer: stepBuf, size: 16 } }] });

    // ---- dispatches
    const group = (layout: GPUBindGroupLayout, bufs: GPUBuffer[]) => device.createBindGroup({ layout, entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    const dispatch = (label: string, code: string, access: Access[], constants: Record<string, number>, bufs: GPUBuffer[], size: [number, number, number]): Dispatch => {
      const { pipeline, layout } = kernels.pipeline(code, access, constants);
      return { label, pipeline, group: group(layout, bufs), size };
    };
    const geo = (l: number): Record<string, number> => ({ ...plan[l].geo });
    const convGemm = (label: string, kind: ConvGemmKind, l: number, prev: Activation | null, buffers: Record<string, GPUBuffer>): Dispatch => {
      const g = plan[l].geo;
      const [rows, cols] = kind === 'wgrad' ? [g.KH * g.KW * g.CIN + 1, g.COUT] : kind === 'dgrad' ? [B * g.H * g.W_, g.CIN] : [B * g.OH * g.OW, g.COUT];
      const tile = kernels.tiles === 'auto' ? gemmTile(rows, cols, M) : GEMM_TILES[kernels.tiles];
      const bindings = convGemmBindings(kind, prev !== null);
      const act = isKernel(plan[l].layer) ? plan[l].layer.activation : 'linear';
      return dispatch(label, convGemmKernel(kind, act === 'softmax' ? 'linear' : act, tile, prev), bindings.map((b) => b.access), geo(l), bindings.map((b) => buffers[b.name]), [Math.ceil(cols / (16 * tile.cols)), Math.ceil(rows / (16 * tile.rows)), M]);
    };
    const elements = (n: number): [number, number, number] => [elementWorkgroups(n), 1, M];
    /** A kernel's weight and bias gradients: one product, or split over slices of its contraction and summed in order. */
    const weightGradient = (l: number, i: number): Dispatch[] => {
      const g = plan[l].geo;
      const k = this.params[i];
      const buffers = { IN: input(l), D: D[l]!, W: k.W, G: gW[i], GB: gb[i], reg: reg[i] };
      const tile = kernels.tiles === 'auto' ? gemmTile(k.K + 1, k.COUT, M) : GEMM_TILES[kernels.tiles];
      const depth = B * g.OH * g.OW;
      const tiles = Math.ceil((k.K + 1) / (16 * tile.rows)) * Math.ceil(k.COUT / (16 * tile.cols));
      const wanted = Math.min(kernels.splitK ?? wgradSplit(tiles, M, depth), Math.ceil(depth / 16));
      if (wanted <= 1) return [convGemm(`wgrad L${l}`, 'wgrad', l, null, buffers)];
      const chunk = 16 * Math.ceil(depth / wanted / 16);
      const split = Math.ceil(depth / chunk);
      const part = f32(M * split * (k.K + 1) * k.COUT);
      const bindings = convGemmBindings('wgrad_part', false);
      const all: Record<string, GPUBuffer> = { ...buffers, PART: part };
      return [
        dispatch(`wgrad L${l} (${split} slices)`, convGemmKernel('wgrad_part', 'linear', tile), bindings.map((b) => b.access), { ...geo(l), SPLIT: split, CHUNK: chunk }, bindings.map((b) => all[b.name]), [Math.ceil(k.COUT / (16 * tile.cols)), Math.ceil((k.K + 1) / (16 * tile.rows)), M * split]),
        dispatch(`wgrad sum L${l}`, wgradReduceKernel(), ['read', 'read', 'rw', 'rw', 'read'], { K: k.K, COUT: k.COUT, SPLIT: split }, [part, k.W, gW[i], gb[i], reg[i]], elements((k.K + 1) * k.COUT)),
      ];
    };
    const listOf = (part: 'validation' | 'test' | null) => (part ? { ...lists[part], evaluation: true } : { buf: this.orderBuf, width: this.nFitMax, evaluation: false });

    const forward = (part: 'validation' | 'test' | null): Dispatch[] => {
      const list = listOf(part);
      const out: Dispatch[] = [
        dispatch('gather', gatherKernel(), ['read', 'read', 'read', 'read', 'rw'], { B, FEATURES: d, LIST: list.width, EVAL: part ? 1 : 0 }, [data.X, list.buf, scalerBuf, this.modelsBuf, X0], elements(B * d)),
      ];
      plan.forEach((p, l) => {
        const g = p.geo;
        switch (p.layer.kind) {
          case 'conv2d':
          case 'dense':
            out.push(convGemm(`forward L${l}`, l === L - 1 ? 'logits' : 'forward', l, null, { IN: input(l), W: this.params[kernelOf[l]].W, bias: this.params[kernelOf[l]].b, Z: Z[l]!, OUT: A[l] }));
            break;
          case 'max_pooling2d':
          case 'average_pooling2d': {
            const max = p.layer.kind === 'max_pooling2d';
            out.push(dispatch(`pool L${l}`, poolForwardKernel(max ? 'max' : 'average'), max ? ['read', 'rw', 'rw'] : ['read', 'rw'], geo(l), max ? [input(l), A[l], ARG[l]!] : [input(l), A[l]], elements(B * g.OH * g.OW * g.CIN)));
            break;
          }
          case 'global_average_pooling2d':
            out.push(dispatch(`gap L${l}`, gapForwardKernel(), ['read', 'rw'], geo(l), [input(l), A[l]], elements(B * g.CIN)));
            break;
          case 'dropout':
            out.push(dispatch(`dropout L${l}`, dropoutKernel('forward'), ['read', 'rw', 'read'], { SIZE: B * p.outSize, DROP: p.dropSlot, EVAL: part ? 1 : 0 }, [input(l), A[l], this.modelsBuf], elements(B * p.outSize)));
            break;
          case 'flatten':
            break;
          case 'batch_normalization': {
            const b = bn[bnOf[l]];
            const layer = p.layer;
            const constants = { B, P: g.H * g.W_, C: g.CIN, EPS: layer.epsilon, MOMENTUM: layer.momentum, EVAL: part ? 1 : 0 };
            // the batch's statistics (and the moving update), or in evaluation the moving ones, into STATS
            out.push(dispatch(`bn statistics L${l}`, bnStatsKernel(), ['read', 'rw', 'rw', 'rw', 'read'], { ...constants, UNBIAS: p.spatialIn ? 1 : 0 }, [input(l), b.stats, b.mm, b.mv, this.modelsBuf], [g.CIN, 1, M]));
            const fwd: [Access, GPUBuffer][] = [['read', input(l)], ['read', b.stats], ['read', b.gamma], ['read', b.beta], ['rw', b.xhat], ['rw', A[l]], ...(p.act ? [['rw', Z[l]!] as [Access, GPUBuffer]] : [])];
            out.push(dispatch(`bn L${l}`, bnForwardKernel(p.act), fwd.map((x) => x[0]), { B, P: g.H * g.W_, C: g.CIN, EPS: layer.epsilon }, fwd.map((x) => x[1]), elements(B * p.outSize)));
            break;
          }
        }
      });
      const C = cfg.outputDim;
      out.push(
        dispatch('loss', lossKernel(cfg.loss, cfg.outputActivation, first.metric, classification, C), ['read', 'read', 'read', 'rw', 'rw', 'read'], { ROWS: B, C, LIST: list.width, GRAD: part ? 0 : 1, EVAL: part ? 1 : 0 }, [A[L - 1], data.Y, list.buf, D[L - 1]!, this.accBuf, this.modelsBuf], [1, 1, M]),
      );
      return out;
    };
    // L1/L2 penalties: of the kernels before each update into the batch loss (slot 0), of the current ones per evaluation (slot 2)
    const penalty = (evaluation: boolean): Dispatch[] =>
      this.params.flatMap((k, i) => {
        const used = jobs.some((j) => j.config.model.layers!.filter(isKernel).some((layer, n) => n === i && (layer.l1 > 0 || layer.l2 > 0)));
        if (!used) return [];
        return [dispatch(`penalty K${i}`, layerPenaltyKernel(), ['read', 'rw', 'read', 'read'], { SIZE: k.K * k.COUT, BATCH: B, SLOT: evaluation ? 2 : 0, EVAL: evaluation ? 1 : 0 }, [k.W, this.accBuf, this.modelsBuf, reg[i]], [1, 1, M])];
      });
    const backward: Dispatch[] = [];
    for (let l = L - 1; l >= 0; l--) {
      const p = plan[l];
      const g = p.geo;
      const t = target(l);
      const prevBufs = (binding: Record<string, GPUBuffer>) => (t?.act ? { ...binding, Zprev: t.Zprev! } : binding);
      const prevList = (bufs: GPUBuffer[]) => (t?.act ? [...bufs, t.Zprev!] : bufs);
      const prevAccess = (access: Access[]): Access[] => (t?.act ? [...access, 'read'] : access);
      switch (p.layer.kind) {
        case 'conv2d':
        case 'dense': {
          const i = kernelOf[l];
          const k = this.params[i];
          backward.push(...weightGradient(l, i));
          if (t) backward.push(convGemm(`dgrad L${l}`, 'dgrad', l, t.act, prevBufs({ D: D[l]!, W: k.W, G: t.G })));
          for (const [param, grad, slots, n, what] of [
            [k.W, gW[i], slotsW[i], k.K * k.COUT, 'W'],
            [k.b, gb[i], slotsB[i], k.COUT, 'b'],
          ] as [GPUBuffer, GPUBuffer, GPUBuffer[], number, string][]) {
            backward.push(dispatch(`optimizer ${what}${l}`, optimizerKernel(), ['rw', 'read', 'rw', 'rw', 'rw', 'read'], { SIZE: n, BATCH: B }, [param, grad, ...slots, this.modelsBuf], [Math.ceil(n / 256), 1, M]));
          }
          if (jobs.some((j) => (j.config.model.layers![l] as typeof p.layer).maxNorm !== null)) {
            backward.push(dispatch(`max_norm L${l}`, layerMaxNormKernel(), ['rw', 'read', 'read'], { IN: k.K, OUT: k.COUT, BATCH: B }, [k.W, this.modelsBuf, reg[i]], [Math.ceil(k.COUT / 64), 1, M]));
          }
          break;
        }
        case 'max_pooling2d':
        case 'average_pooling2d': {
          if (!t) break;
          const max = p.layer.kind === 'max_pooling2d';
          backward.push(dispatch(`pool backward L${l}`, poolBackwardKernel(max ? 'max' : 'average', t.act), prevAccess(max ? ['read', 'rw', 'read'] : ['read', 'rw']), geo(l), prevList(max ? [D[l]!, t.G, ARG[l]!] : [D[l]!, t.G]), elements(B * g.H * g.W_ * g.CIN)));
          break;
        }
        case 'batch_normalization': {
          const b = bn[bnOf[l]];
          const C = g.CIN;
          const constants = { B, P: g.H * g.W_, C, EPS: p.layer.epsilon };
          backward.push(dispatch(`bn gradients L${l}`, bnGradKernel(), ['read', 'read', 'read', 'read', 'rw', 'rw', 'rw', 'read'], constants, [D[l]!, b.xhat, b.stats, b.gamma, b.gGamma, b.gBeta, b.coef, this.modelsBuf], [C, 1, M]));
          if (t) backward.push(dispatch(`bn backward L${l}`, bnBackwardKernel(t.act), prevAccess(['read', 'read', 'read', 'rw', 'read']), constants, prevList([D[l]!, b.xhat, b.coef, t.G, this.modelsBuf]), elements(B * p.outSize)));
          for (const [param, grad, slots, what] of [
            [b.gamma, b.gGamma, b.slots[0], 'gamma'],
            [b.beta, b.gBeta, b.slots[1], 'beta'],
          ] as [GPUBuffer, GPUBuffer, GPUBuffer[], string][]) {
            backward.push(dispatch(`optimizer ${what}${l}`, optimizerKernel(), ['rw', 'read', 'rw', 'rw', 'rw', 'read'], { SIZE: C, BATCH: B }, [param, grad, ...slots, this.modelsBuf], [Math.ceil(C / 256), 1, M]));
          }
          break;
        }
        case 'global_average_pooling2d':
          if (t) backward.push(dispatch(`gap backward L${l}`, gapBackwardKernel(t.act), prevAccess(['read', 'rw']), geo(l), prevList([D[l]!, t.G]), elements(B * p.inSize)));
          break;
        case 'dropout':
          if (t) backward.push(dispatch(`dropout backward L${l}`, dropoutKernel('backward', t.act), prevAccess(['read', 'rw', 'read']), { SIZE: B * p.outSize, DROP: p.dropSlot }, prevList([D[l]!, t.G, this.modelsBuf]), elements(B * p.outSize)));
          break;
        default:
          break;
      }
    }
    this.penaltyEval = penalty(true);
    this.trainSteps = [...forward(null), ...penalty(false), ...backward];
    this.evalSteps = { validation: forward('validation'), test: forward('test') };
  }

  private buffer(bytes: number, usage: number): GPUBuffer {
    const b = this.device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage });
    this.buffers.push(b);
    return b;
  }

  private writeModel(m: number, j: ModelJob, iterBase: number, lr?: number, active = true, nEval = 0): void {
    const dropouts: DropoutSlot[] = j.config.model.layers!.flatMap((l, i) => (l.kind === 'dropout' ? [{ rate: l.rate, layer: (l as GpuLayer).dropKey ?? i }] : []));
    writeModelWords(this.models, m, j, { iterBase, lr, active, nEval, l1: 0, l2: 0, maxNorm: null, dropouts });
  }

  private writeWeights(m: number, weights: Float32Array[]): void {
    this.weightList.forEach((w, i) => this.device.queue.writeBuffer(w.buf, m * w.n * 4, bytes(weights[i])));
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

  /** Model m's weights in Keras order: Conv2D/Dense kernel and bias; BatchNormalization gamma, beta, moving mean and variance. */
  async snapshot(m: number): Promise<Float32Array[]> {
    const sizes = this.weightList.map((w) => w.n);
    const total = sizes.reduce((a, b) => a + b, 0);
    const staging = this.device.createBuffer({ size: total * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    let offset = 0;
    for (const w of this.weightList) {
      encoder.copyBufferToBuffer(w.buf, m * w.n * 4, staging, offset * 4, w.n * 4);
      offset += w.n;
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
    if (this.ownsScratch) this.scratch.destroy();
  }
}

/** Activation and gradient buffers by name, shared by stacks that never run at the same time. */
export class ScratchBuffers {
  private readonly buffers = new Map<string, GPUBuffer>();
  constructor(private readonly device: GPUDevice) {}

  /** The buffer `key` of at least `bytes` (the first request of a key must be the largest). */
  get(key: string, bytes: number): GPUBuffer {
    const b = this.buffers.get(key);
    if (b && b.size >= bytes) return b;
    if (b) throw new Error(`webgpu engine: scratch buffer ${key} asked to grow (${b.size} -> ${bytes} bytes)`);
    const created = this.device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    this.buffers.set(key, created);
    return created;
  }

  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}

/** Bytes per model of the per-step scratch (the largest buffer, and all of them) at batch size B. */
export function scratchBytes(m: ModelConfig, B: number): { largest: number; total: number } {
  let largest = 4 * B * m.inputDim;
  let total = largest;
  for (const p of planLayers(m, B)) {
    if (p.layer.kind === 'flatten') continue;
    const n = 4 * B * p.outSize;
    const buffers = 2 + (isKernel(p.layer) ? 1 : 0) + (p.layer.kind === 'batch_normalization' ? (p.act ? 2 : 1) : 0) + (p.layer.kind === 'max_pooling2d' ? 1 : 0);
    largest = Math.max(largest, n);
    total += buffers * n;
  }
  return { largest, total };
}

/** Scratch memory one group of a conv-net stack may use; groups of the same stack share it. */
export const SCRATCH_BUDGET = 2 ** 31;

/**
 * Models per group of a conv-net stack: as many as keep every scratch buffer within the device's
 * binding limit and all of them within SCRATCH_BUDGET (activations of big conv nets times many
 * models would otherwise exceed both).
 */
export function modelsPerGroup(m: ModelConfig, B: number, maxBinding: number, budget = SCRATCH_BUDGET): number {
  const { largest, total } = scratchBytes(m, B);
  return Math.max(1, Math.min(Math.floor(maxBinding / largest), Math.floor(budget / total)));
}

/**
 * A stack of conv nets larger than one group: groups of `perGroup` models, each a
 * WebgpuSequentialStack, trained one after another on shared scratch buffers.
 */
export class GroupedSequentialStack implements StackRuntime {
  readonly size: number;
  private readonly groups: { stack: WebgpuSequentialStack; first: number }[] = [];
  private readonly scratch: ScratchBuffers;

  constructor(ctx: GpuContext, kernels: Kernels, jobs: ModelJob[], data: { X: GPUBuffer; Y: GPUBuffer }, private readonly perGroup: number) {
    this.size = jobs.length;
    this.scratch = new ScratchBuffers(ctx.device);
    for (let first = 0; first < jobs.length; first += perGroup) {
      this.groups.push({ stack: new WebgpuSequentialStack(ctx, kernels, jobs.slice(first, first + perGroup), data, this.scratch), first });
    }
  }

  private async each(f: (stack: WebgpuSequentialStack, range: [number, number]) => Promise<LossAndMetric[]>): Promise<LossAndMetric[]> {
    const out: LossAndMetric[] = [];
    for (const g of this.groups) out.push(...(await f(g.stack, [g.first, g.first + g.stack.size])));
    return out;
  }

  trainEpoch(orders: Int32Array[], lrs: number[], active: boolean[]): Promise<LossAndMetric[]> {
    return this.each((s, [a, b]) => s.trainEpoch(orders.slice(a, b), lrs.slice(a, b), active.slice(a, b)));
  }

  evaluate(part: 'validation' | 'test', active: boolean[]): Promise<LossAndMetric[]> {
    return this.each((s, [a, b]) => s.evaluate(part, active.slice(a, b)));
  }

  private groupOf(m: number): { stack: WebgpuSequentialStack; first: number } {
    return this.groups[Math.floor(m / this.perGroup)];
  }

  /** The first group's profile (bench/gpu-profile.ts); the others repeat it. */
  profileSteps(steps: number): Promise<{ step: number; dispatches: { label: string; ms: number }[] }> {
    return this.groups[0].stack.profileSteps(steps);
  }

  snapshot(m: number): Promise<Float32Array[]> {
    const g = this.groupOf(m);
    return g.stack.snapshot(m - g.first);
  }

  restore(m: number, weights: Float32Array[]): void {
    const g = this.groupOf(m);
    g.stack.restore(m - g.first, weights);
  }

  dispose(): void {
    for (const g of this.groups) g.stack.dispose();
    this.scratch.destroy();
  }
}
