/**
 * WGSL compute kernels for a stack of M MLPs trained together. Every kernel is batched over models
 * (workgroup_id.z = model); shapes are pipeline-overridable constants; per-model hyperparameters live
 * in a storage buffer; the step (or evaluation chunk) comes from a uniform at a dynamic offset, so a
 * whole epoch is one compute pass with no host round trip. The formulas are Keras's, as in the tfjs
 * and native engines (all three are checked against Keras golden values); dropout masks use the
 * shared counter-based hash.
 */
import type { Activation, EpochMetric, Loss } from '../../spec/vocabulary.js';

/** Per-model parameters, as laid out in the `models` storage buffer (32-bit words). */
export const MODEL_WORDS = 48;
export const MODEL_FIELDS = {
  lr: 0,
  decay: 1,
  momentum: 2,
  beta1: 3,
  beta2: 4,
  epsilon: 5,
  rho: 6,
  l1: 7,
  l2: 8,
  maxNorm: 9,
  active: 10, // u32
  iterBase: 11, // u32: updates done before this epoch
  nFit: 12, // u32
  nEval: 13, // u32: rows of the list being evaluated
  optimizer: 14, // u32: index in OPTIMIZERS
  flags: 15, // u32: 1 nesterov, 2 centered, 4 scaler
  dropThreshold: 16, // 8 x u32: keep a unit when (hash >> 8) >= threshold (0: no dropout)
  dropScale: 24, // 8 x f32
  dropKey: 32, // 8 x u32: mixSeed(seed, DROP, layer)
} as const;
export const MAX_HIDDEN = 8;
/** Output units the loss kernel handles (a private array per row). */
export const MAX_OUTPUTS = 256;

/** The Model struct, the step uniform, the shared dropout hash (every kernel's prelude). */
export const COMMON = /* wgsl */ `
struct Model {
  lr: f32, decay: f32, momentum: f32, beta1: f32,
  beta2: f32, epsilon: f32, rho: f32, l1: f32,
  l2: f32, max_norm: f32, is_active: u32, iter_base: u32,
  n_fit: u32, n_eval: u32, optimizer: u32, flags: u32,
  drop_threshold: array<u32, 8>,
  drop_scale: array<f32, 8>,
  drop_key: array<u32, 8>,
  pad: array<u32, 8>,
}
struct Step { index: u32, p1: u32, p2: u32, p3: u32 }

fn hash32(key: u32, counter: u32) -> u32 {
  var x = key ^ (counter * 0x9e3779b9u);
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  x = x + key;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  return x;
}

/** The dropout factor (0 or 1/(1-rate)) of unit i of hidden layer l at this step. */
fn dropout(mdl: Model, l: u32, step: u32, i: u32) -> f32 {
  let thr = mdl.drop_threshold[l];
  if (thr == 0u) { return 1.0; }
  let key = hash32(mdl.drop_key[l], mdl.iter_base + step);
  return select(0.0, mdl.drop_scale[l], (hash32(key, i) >> 8u) >= thr);
}
`;

/** WGSL expressions of act(z) and act'(z) in terms of z and a = act(z). */
export function activationWgsl(act: Activation): { fwd: string; grad: string } {
  switch (act) {
    case 'relu':
      return { fwd: 'max(z, 0.0)', grad: 'select(0.0, 1.0, z > 0.0)' };
    case 'tanh':
      return { fwd: 'tanh(z)', grad: '1.0 - a * a' };
    case 'sigmoid':
      return { fwd: '1.0 / (1.0 + exp(-z))', grad: 'a * (1.0 - a)' };
    case 'softplus':
      return { fwd: 'select(log(1.0 + exp(z)), z + log(1.0 + exp(-z)), z > 0.0)', grad: '1.0 / (1.0 + exp(-z))' };
    case 'softsign':
      return { fwd: 'z / (1.0 + abs(z))', grad: '1.0 / ((1.0 + abs(z)) * (1.0 + abs(z)))' };
    case 'selu':
      return { fwd: 'select(1.7580993408473766 * (exp(z) - 1.0), 1.0507009873554805 * z, z > 0.0)', grad: 'select(1.7580993408473766 * exp(z), 1.0507009873554805, z > 0.0)' };
    case 'elu':
      return { fwd: 'select(exp(z) - 1.0, z, z > 0.0)', grad: 'select(a + 1.0, 1.0, z > 0.0)' };
    case 'leaky_relu':
      return { fwd: 'select(0.2 * z, z, z > 0.0)', grad: 'select(0.2, 1.0, z > 0.0)' };
    case 'linear':
      return { fwd: 'z', grad: '1.0' };
    case 'softmax':
      throw new Error('softmax is only supported as the output activation on the GPU');
  }
}

/** WGSL functions `name(z)` and `name_grad(z, a)` of an activation (none for softmax). */
export function actFunctions(name: string, act: Activation): string {
  if (act === 'softmax') return '';
  const { fwd, grad } = activationWgsl(act);
  return `fn ${name}(z: f32) -> f32 { return ${fwd}; }\nfn ${name}_grad(z: f32, a: f32) -> f32 { return ${grad}; }\n`;
}

/** Which product a GEMM pipeline computes, and its fused epilogue. */
export type GemmKind =
  /** Z = A W + b; OUT = act(Z) * dropout(LAYER)  (A: [ROWS x INNER], W: [INNER x COLS]) */
  | 'forward_hidden'
  /** as forward_hidden, without dropout (evaluation) */
  | 'forward_eval'
  /** Z = A W + b (logits) */
  | 'forward_output'
  /**
   * G = A^T D + l1 sign(W) + 2 l2 W and GB = column sums of D, the bias gradient, computed as one
   * more row of A^T D with A's extra column all ones  (A: [ROWS x INNER_OUT], D: [ROWS x COLS];
   * G, W: [INNER_OUT x COLS]; GB: [COLS])
   */
  | 'grad_w'
  /** G = (D W^T) * dropout(LAYER) * act'(Zprev)  (D: [ROWS x INNER], W: [COLS x INNER]; G, Zprev: [ROWS x COLS]) */
  | 'grad_x';

/** How a kernel binds a storage buffer. */
export type Access = 'read' | 'rw';

export interface GemmBinding {
  name: string;
  access: Access;
}

/**
 * The storage bindings of a GEMM pipeline, in binding order (group 1). With `gathered` (the first
 * layer), the left operand A is not a buffer of activations but the dataset X read through the
 * step's row list and each model's scaler: no gathered copy of the batch is written.
 */
export function gemmBindings(kind: GemmKind, gathered: boolean): GemmBinding[] {
  const r = (name: string): GemmBinding => ({ name, access: 'read' });
  const rw = (name: string): GemmBinding => ({ name, access: 'rw' });
  const input = gathered ? [r('list'), r('scaler')] : [];
  switch (kind) {
    case 'forward_hidden':
    case 'forward_eval':
      return [r('A'), r('W'), r('bias'), rw('Z'), r('models'), rw('OUT'), ...input];
    case 'forward_output':
      return [r('A'), r('W'), r('bias'), rw('Z'), r('models'), ...input];
    case 'grad_w':
      return [r('A'), r('D'), r('W'), rw('G'), r('models'), rw('GB'), ...input];
    case 'grad_x':
      if (gathered) throw new Error('grad_x never reads the dataset');
      return [r('D'), r('W'), r('Zprev'), rw('G'), r('models')];
  }
}

/**
 * Outputs per thread of a GEMM pipeline (rows x cols). A workgroup is 16 x 16 threads, so its output
 * tile is (16 * rows) x (16 * cols).
 */
export interface GemmTile {
  rows: number;
  cols: number;
}

/** The two tiles gemmTile chooses from: 16 x 16 (one output per thread) and 64 x 64 (4 x 4 each). */
export const GEMM_TILES = { small: { rows: 1, cols: 1 }, large: { rows: 4, cols: 4 } } as const satisfies Record<string, GemmTile>;

/** Workgroups below which a dispatch leaves much of a large GPU idle (an H100 has 132 SMs). */
const BUSY_WORKGROUPS = 192;

/**
 * The tile of a product of outRows x outCols per model, for `models` models at once: 64 x 64 with
 * 4 x 4 register blocks for the big products of a search (batch x 784 -> hidden and its weight
 * gradient), where each workgroup-memory read then feeds four multiply-adds instead of one, as long
 * as that still gives the GPU enough workgroups; else 16 x 16, one output per thread, which spreads a
 * small stack (or a 10-class output layer a 64-wide tile would mostly pad) over more of the GPU.
 * Measured on an H100 (bench/results/): for 784-64-10 at batch 100, 64 x 64 tiles win from about
 * 128 models, 16 x 16 below.
 */
export function gemmTile(outRows: number, outCols: number, models: number): GemmTile {
  if (outRows < 48 || outCols < 48) return GEMM_TILES.small;
  const large = models * Math.ceil(outRows / 64) * Math.ceil(outCols / 64);
  return large >= BUSY_WORKGROUPS ? GEMM_TILES.large : GEMM_TILES.small;
}

/** WGSL reading row `r` of the step's batch for model m: the dataset row through the list, scaled. */
const GATHER = /* wgsl */ `
const PADDED: u32 = 0xffffffffu;
/** The dataset row of batch row r of this step for model m, or PADDED past the end of its list. */
fn batch_row(m: u32, r: u32) -> u32 {
  let n = select(models[m].n_fit, models[m].n_eval, EVAL == 1u);
  let pos = step.index * ROWS + r;
  if (pos >= n) { return PADDED; }
  return list[m * LIST + pos];
}
/** Feature j of dataset row src, through model m's scaler (fitted on its training fold). */
fn input_at(m: u32, src: u32, j: u32) -> f32 {
  if (src == PADDED) { return 0.0; }
  let x = A[src * FEATURES + j];
  if ((models[m].flags & 4u) != 0u) { return (x - scaler[2u * m * FEATURES + j]) * scaler[(2u * m + 1u) * FEATURES + j]; }
  return x;
}
`;

/**
 * A model-batched matrix product OUT = X Y with a fused epilogue, tiled through workgroup memory
 * (16-deep slices) and register blocks of tile.rows x tile.cols outputs per thread. Thread (tx, ty)
 * owns rows ty + 16 i and columns tx + 16 j of the tile, so neighbouring threads read neighbouring
 * workgroup-memory words and store neighbouring columns. X(r, k) and Y(k, c) are read through
 * x_at/y_at; tile loads walk each operand in its memory order so that neighbouring threads load
 * neighbouring addresses.
 */
export function gemmKernel(kind: GemmKind, act: Activation, tile: GemmTile = { rows: 1, cols: 1 }, gathered = false): string {
  const hiddenAct = kind === 'forward_output' || kind === 'grad_w' ? '' : actFunctions('act', act);
  const BM = 16 * tile.rows;
  const BN = 16 * tile.cols;
  const bindings = gemmBindings(kind, gathered)
    .map((b, i) => `@group(1) @binding(${i}) var<storage, ${b.access === 'rw' ? 'read_write' : 'read'}> ${b.name}: array<${b.name === 'models' ? 'Model' : b.name === 'list' ? 'u32' : 'f32'}>;`)
    .join('\n');
  // output rows, contraction length, accessors of X(r, k) and Y(k, c) and whether each is stored row by row
  let outRows: string;
  let inner: string;
  let xAt: string;
  let xRowMajor = true;
  let yAt: string;
  let yRowMajor = true;
  let overrides: string;
  let epilogue: string;
  const gatherOverrides = gathered ? 'override LIST: u32;\noverride EVAL: u32 = 0u;\n' : '';
  if (kind === 'grad_w') {
    // rows 0..INNER_OUT-1: X(r, k) = A[k, r]; row INNER_OUT: ones, giving the bias gradient
    outRows = '(INNER_OUT + 1u)';
    inner = 'ROWS';
    overrides = `override ROWS: u32;\noverride INNER_OUT: u32;\noverride COLS: u32;\n${gatherOverrides}${gathered ? 'override FEATURES: u32 = INNER_OUT;\n' : ''}`;
    xAt = `fn x_at(m: u32, r: u32, k: u32) -> f32 {
  if (r == INNER_OUT) { return 1.0; }
  ${gathered ? 'return input_at(m, batch_row(m, k), r);' : 'return A[m * ROWS * INNER_OUT + k * INNER_OUT + r];'}
}`;
    xRowMajor = false;
    yAt = 'fn y_at(m: u32, k: u32, c: u32) -> f32 { return D[m * ROWS * COLS + k * COLS + c]; }';
    epilogue = `if (row == INNER_OUT) {
          GB[m * COLS + col] = v;
        } else {
          let o = m * INNER_OUT * COLS + row * COLS + col;
          let w = W[o];
          G[o] = v + models[m].l1 * sign(w) + 2.0 * models[m].l2 * w;
        }`;
  } else {
    outRows = 'ROWS';
    inner = 'INNER';
    overrides = `override ROWS: u32;\noverride INNER: u32;\noverride COLS: u32;\noverride LAYER: u32 = 0u;\n${gatherOverrides}${gathered ? 'override FEATURES: u32 = INNER;\n' : ''}`;
    if (kind === 'grad_x') {
      xAt = 'fn x_at(m: u32, r: u32, k: u32) -> f32 { return D[m * ROWS * INNER + r * INNER + k]; }';
      // the product is with W^T: Y(k, c) = W[c, k]
      yAt = 'fn y_at(m: u32, k: u32, c: u32) -> f32 { return W[m * INNER * COLS + c * INNER + k]; }';
      yRowMajor = false;
      epilogue = `let o = m * ROWS * COLS + row * COLS + col;
        let z = Zprev[o];
        let a = act(z);
        G[o] = v * dropout(models[m], LAYER, step.index, row * COLS + col) * act_grad(z, a);`;
    } else {
      xAt = `fn x_at(m: u32, r: u32, k: u32) -> f32 { return ${gathered ? 'input_at(m, batch_row(m, r), k)' : 'A[m * ROWS * INNER + r * INNER + k]'}; }`;
      yAt = 'fn y_at(m: u32, k: u32, c: u32) -> f32 { return W[m * INNER * COLS + k * COLS + c]; }';
      epilogue =
        kind === 'forward_output'
          ? `Z[m * ROWS * COLS + row * COLS + col] = v + bias[m * COLS + col];`
          : `let o = m * ROWS * COLS + row * COLS + col;
        let z = v + bias[m * COLS + col];
        Z[o] = z;
        OUT[o] = act(z)${kind === 'forward_hidden' ? ' * dropout(models[m], LAYER, step.index, row * COLS + col)' : ''};`;
    }
  }
  // element e of a tile slice: (r, k) with r < BM, k < 16, or (k, c) with c < BN
  const xCoords = xRowMajor ? 'let r = e / 16u; let k = e % 16u;' : `let k = e / ${BM}u; let r = e % ${BM}u;`;
  const yCoords = yRowMajor ? `let k = e / ${BN}u; let c = e % ${BN}u;` : 'let c = e / 16u; let k = e % 16u;';
  return `${COMMON}
${hiddenAct}
${overrides}
const TR: u32 = ${tile.rows}u;
const TC: u32 = ${tile.cols}u;
@group(0) @binding(0) var<uniform> step: Step;
${bindings}
var<workgroup> tileX: array<array<f32, ${BM}>, 16>; // [k][r]
var<workgroup> tileY: array<array<f32, ${BN}>, 16>; // [k][c]
${gathered ? GATHER : ''}
${xAt}
${yAt}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m = wg.z;
  let row0 = wg.y * ${BM}u;
  let col0 = wg.x * ${BN}u;
  let t = lid.y * 16u + lid.x;
  var acc: array<f32, ${tile.rows * tile.cols}>;
  for (var k0 = 0u; k0 < ${inner}; k0 = k0 + 16u) {
    for (var e = t; e < ${BM * 16}u; e = e + 256u) {
      ${xCoords}
      var v = 0.0;
      if (row0 + r < ${outRows} && k0 + k < ${inner}) { v = x_at(m, row0 + r, k0 + k); }
      tileX[k][r] = v;
    }
    for (var e = t; e < ${BN * 16}u; e = e + 256u) {
      ${yCoords}
      var v = 0.0;
      if (col0 + c < COLS && k0 + k < ${inner}) { v = y_at(m, k0 + k, col0 + c); }
      tileY[k][c] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k = k + 1u) {
      var xs: array<f32, ${tile.rows}>;
      var ys: array<f32, ${tile.cols}>;
      for (var i = 0u; i < TR; i = i + 1u) { xs[i] = tileX[k][lid.y + 16u * i]; }
      for (var j = 0u; j < TC; j = j + 1u) { ys[j] = tileY[k][lid.x + 16u * j]; }
      for (var i = 0u; i < TR; i = i + 1u) {
        for (var j = 0u; j < TC; j = j + 1u) { acc[i * TC + j] = acc[i * TC + j] + xs[i] * ys[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TR; i = i + 1u) {
    let row = row0 + lid.y + 16u * i;
    for (var j = 0u; j < TC; j = j + 1u) {
      let col = col0 + lid.x + 16u * j;
      if (row < ${outRows} && col < COLS) {
        let v = acc[i * TC + j];
        ${epilogue}
      }
    }
  }
}
`;
}

/** Why lossKernel has no form for this loss and output activation, or null. */
export function lossUnsupported(loss: Loss, outAct: Activation): string | null {
  const ce = loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy';
  if (ce && outAct !== 'softmax') return `${loss} without a softmax output`;
  if (loss === 'binary_crossentropy' && outAct !== 'sigmoid') return 'binary_crossentropy without a sigmoid output';
  return null;
}

/**
 * Loss and metric of each model's batch, added to acc[m] = (loss sum, metric sum); with GRAD the
 * gradient of the batch-mean loss w.r.t. the logits goes to dZ. One workgroup per model.
 */
export function lossKernel(loss: Loss, outAct: Activation, metric: EpochMetric, classification: boolean, outputs = MAX_OUTPUTS): string {
  const softmax = outAct === 'softmax';
  const ceLogits = (loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy') && softmax;
  const bceLogits = loss === 'binary_crossentropy' && outAct === 'sigmoid';
  if (!ceLogits && !bceLogits && loss !== 'mse' && loss !== 'mae') throw new Error(`the GPU engine has no ${loss} on a ${outAct} output`);
  const lossBlock = ceLogits
    ? `for (var j = 0u; j < C; j = j + 1u) {
        let t = target_of(row, j);
        l = l - t * (Z[base + j] - lse);
        g[j] = (p[j] - t) * inv;
      }`
    : bceLogits
      ? `for (var j = 0u; j < C; j = j + 1u) {
        let z = Z[base + j];
        let t = target_of(row, j);
        l = l + max(z, 0.0) - z * t + log(1.0 + exp(-abs(z)));
        g[j] = (p[j] - t) * inv / f32(C);
      }
      l = l / f32(C);`
      : `for (var j = 0u; j < C; j = j + 1u) {
        let d = p[j] - target_of(row, j);
        l = l + ${loss === 'mae' ? 'abs(d)' : 'd * d'};
        g[j] = ${loss === 'mae' ? 'sign(d)' : '2.0 * d'} * inv / f32(C);
      }
      l = l / f32(C);
      ${softmax
        ? `var dot = 0.0;
      for (var j = 0u; j < C; j = j + 1u) { dot = dot + p[j] * g[j]; }
      for (var j = 0u; j < C; j = j + 1u) { g[j] = p[j] * (g[j] - dot); }`
        : `for (var j = 0u; j < C; j = j + 1u) { g[j] = g[j] * out_act_grad(Z[base + j], p[j]); }`}`;
  const metricBlock =
    metric === 'loss'
      ? 'msum = msum + l;'
      : metric === 'accuracy'
        ? `if (C == 1u) {
        msum = msum + select(0.0, 1.0, (p[0] > 0.5) == (target_of(row, 0u) > 0.5));
      } else {
        var targ = 0u;
        for (var j = 1u; j < C; j = j + 1u) { if (target_of(row, j) > target_of(row, targ)) { targ = j; } }
        msum = msum + select(0.0, 1.0, arg == targ);
      }`
        : `var s = 0.0;
      for (var j = 0u; j < C; j = j + 1u) { let d = p[j] - target_of(row, j); s = s + ${metric === 'mae' ? 'abs(d)' : 'd * d'}; }
      msum = msum + s / f32(C);`;
  return `${COMMON}
${actFunctions('out_act', outAct)}
const MAXC: u32 = ${Math.max(1, Math.min(outputs, MAX_OUTPUTS))}u; // per-row scratch, sized to the output layer
override ROWS: u32;
override C: u32;
override LIST: u32;
override GRAD: u32 = 1u;
override EVAL: u32 = 0u;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> Z: array<f32>;
@group(1) @binding(1) var<storage, read> Y: array<f32>;
@group(1) @binding(2) var<storage, read> list: array<u32>;
@group(1) @binding(3) var<storage, read_write> dZ: array<f32>;
@group(1) @binding(4) var<storage, read_write> acc: array<f32>;
@group(1) @binding(5) var<storage, read> models: array<Model>;
var<workgroup> lossPart: array<f32, 64>;
var<workgroup> metricPart: array<f32, 64>;

fn target_of(row: u32, j: u32) -> f32 {
  ${classification ? `if (C > 1u) { return select(0.0, 1.0, u32(Y[row]) == j); }` : ''}
  return Y[row];
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let m = wg.z;
  let n = select(models[m].n_fit, models[m].n_eval, EVAL == 1u);
  let start = step.index * ROWS;
  let rows = select(0u, min(ROWS, n - start), n > start);
  let inv = 1.0 / f32(max(rows, 1u));
  var lsum = 0.0;
  var msum = 0.0;
  for (var r = lid.x; r < ROWS; r = r + 64u) {
    let base = m * ROWS * C + r * C;
    if (r >= rows) {
      if (GRAD == 1u) { for (var j = 0u; j < C; j = j + 1u) { dZ[base + j] = 0.0; } }
      continue;
    }
    let row = list[m * LIST + start + r];
    var p: array<f32, MAXC>;
    var g: array<f32, MAXC>;
    var mx = Z[base];
    var arg = 0u;
    for (var j = 1u; j < C; j = j + 1u) { if (Z[base + j] > mx) { mx = Z[base + j]; arg = j; } }
    ${softmax
      ? `var se = 0.0;
    for (var j = 0u; j < C; j = j + 1u) { p[j] = exp(Z[base + j] - mx); se = se + p[j]; }
    for (var j = 0u; j < C; j = j + 1u) { p[j] = p[j] / se; }
    let lse = mx + log(se);`
      : `for (var j = 0u; j < C; j = j + 1u) { p[j] = out_act(Z[base + j]); }`}
    var l = 0.0;
    ${lossBlock}
    if (GRAD == 1u) { for (var j = 0u; j < C; j = j + 1u) { dZ[base + j] = g[j]; } }
    lsum = lsum + l;
    ${metricBlock}
  }
  lossPart[lid.x] = lsum;
  metricPart[lid.x] = msum;
  workgroupBarrier();
  if (lid.x == 0u) {
    var lt = 0.0;
    var mt = 0.0;
    for (var i = 0u; i < 64u; i = i + 1u) { lt = lt + lossPart[i]; mt = mt + metricPart[i]; }
    acc[m * 4u] = acc[m * 4u] + lt;
    acc[m * 4u + 1u] = acc[m * 4u + 1u] + mt;
  }
}
`;
}

/**
 * One optimizer update of a parameter tensor [M x SIZE] (Keras 3 rules, Keras 2 decay). A model takes
 * no step when inactive or when this step has no rows for it (its fold is shorter).
 */
export function optimizerKernel(): string {
  return `${COMMON}
override SIZE: u32;
override BATCH: u32;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read_write> P: array<f32>;
@group(1) @binding(1) var<storage, read> G: array<f32>;
@group(1) @binding(2) var<storage, read_write> S0: array<f32>;
@group(1) @binding(3) var<storage, read_write> S1: array<f32>;
@group(1) @binding(4) var<storage, read_write> S2: array<f32>;
@group(1) @binding(5) var<storage, read> models: array<Model>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let i = gid.x;
  let m = wg.z;
  let mdl = models[m];
  if (i >= SIZE || mdl.is_active == 0u || step.index * BATCH >= mdl.n_fit) { return; }
  let k = m * SIZE + i;
  let it = f32(mdl.iter_base + step.index);
  let rate = mdl.lr / (1.0 + mdl.decay * it);
  let t = it + 1.0;
  let g = G[k];
  var w = P[k];
  switch (mdl.optimizer) {
    case 0u: { // sgd
      if (mdl.momentum > 0.0) {
        let v = mdl.momentum * S0[k] - rate * g;
        S0[k] = v;
        w = w + select(v, mdl.momentum * v - rate * g, (mdl.flags & 1u) != 0u);
      } else {
        w = w - rate * g;
      }
    }
    case 1u: { // adam
      let alpha = rate * sqrt(1.0 - pow(mdl.beta2, t)) / (1.0 - pow(mdl.beta1, t));
      let mm = S0[k] + (g - S0[k]) * (1.0 - mdl.beta1);
      let vv = S1[k] + (g * g - S1[k]) * (1.0 - mdl.beta2);
      S0[k] = mm;
      S1[k] = vv;
      w = w - (mm * alpha) / (sqrt(vv) + mdl.epsilon);
    }
    case 2u: { // adagrad
      let acc = S0[k] + g * g;
      S0[k] = acc;
      w = w - (rate * g) / sqrt(acc + mdl.epsilon);
    }
    case 3u: { // rmsprop
      let vel = mdl.rho * S0[k] + (1.0 - mdl.rho) * g * g;
      S0[k] = vel;
      var denom = vel + mdl.epsilon;
      if ((mdl.flags & 2u) != 0u) {
        let avg = mdl.rho * S2[k] + (1.0 - mdl.rho) * g;
        S2[k] = avg;
        denom = vel - avg * avg + mdl.epsilon;
      }
      let inc = (rate * g) / sqrt(denom);
      if (mdl.momentum > 0.0) {
        let mom = mdl.momentum * S1[k] + inc;
        S1[k] = mom;
        w = w - mom;
      } else {
        w = w - inc;
      }
    }
    case 4u: { // adadelta
      let ag = mdl.rho * S0[k] + (1.0 - mdl.rho) * g * g;
      S0[k] = ag;
      let delta = (-sqrt(S1[k] + mdl.epsilon) * g) / sqrt(ag + mdl.epsilon);
      S1[k] = mdl.rho * S1[k] + (1.0 - mdl.rho) * delta * delta;
      w = w + rate * delta;
    }
    default: { // adamax
      let mm = S0[k] + (g - S0[k]) * (1.0 - mdl.beta1);
      let u = max(mdl.beta2 * S1[k], abs(g));
      S0[k] = mm;
      S1[k] = u;
      w = w - (rate * mm) / ((1.0 - pow(mdl.beta1, t)) * (u + mdl.epsilon));
    }
  }
  P[k] = w;
}
`;
}

/** Keras MaxNorm(max_norm, axis=0) on kernels [M x IN x OUT], after the update. */
export function maxNormKernel(): string {
  return `${COMMON}
override IN: u32;
override OUT: u32;
override BATCH: u32;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read_write> W: array<f32>;
@group(1) @binding(1) var<storage, read> models: array<Model>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let j = gid.x;
  let m = wg.z;
  let mdl = models[m];
  if (j >= OUT || mdl.max_norm <= 0.0 || mdl.is_active == 0u || step.index * BATCH >= mdl.n_fit) { return; }
  var sq = 0.0;
  for (var i = 0u; i < IN; i = i + 1u) { let w = W[m * IN * OUT + i * OUT + j]; sq = sq + w * w; }
  let norm = sqrt(sq);
  let factor = clamp(norm, 0.0, mdl.max_norm) / (1e-7 + norm);
  for (var i = 0u; i < IN; i = i + 1u) { W[m * IN * OUT + i * OUT + j] = W[m * IN * OUT + i * OUT + j] * factor; }
}
`;
}

/**
 * The L1/L2 penalty of one kernel [M x SIZE] (Keras adds it to each batch's logged loss, before the
 * update): acc[m][SLOT] += (l1 sum|w| + l2 sum w^2) * (rows of this step, or 1 for evaluation).
 */
export function penaltyKernel(): string {
  return `${COMMON}
override SIZE: u32;
override BATCH: u32;
override SLOT: u32 = 0u;
override EVAL: u32 = 0u;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> W: array<f32>;
@group(1) @binding(1) var<storage, read_write> acc: array<f32>;
@group(1) @binding(2) var<storage, read> models: array<Model>;
var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let m = wg.z;
  let mdl = models[m];
  var rows = 1.0;
  if (EVAL == 0u) {
    let start = step.index * BATCH;
    rows = f32(select(0u, min(BATCH, mdl.n_fit - start), mdl.n_fit > start));
  }
  var s = 0.0;
  for (var i = lid.x; i < SIZE; i = i + 256u) {
    let w = W[m * SIZE + i];
    s = s + mdl.l1 * abs(w) + mdl.l2 * w * w;
  }
  part[lid.x] = s;
  workgroupBarrier();
  if (lid.x == 0u) {
    var t = 0.0;
    for (var i = 0u; i < 256u; i = i + 1u) { t = t + part[i]; }
    acc[m * 4u + SLOT] = acc[m * 4u + SLOT] + t * rows;
  }
}
`;
}
