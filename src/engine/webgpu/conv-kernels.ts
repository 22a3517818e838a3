/**
 * WGSL kernels for a stack of M Keras Sequential models (conv nets) with the same layer shapes,
 * channels last (NHWC) as models/layers.ts: workgroup_id.z = model, shapes as pipeline-overridable
 * constants, the step from the dynamic uniform as in kernels.ts (whose loss and optimizer kernels
 * the Sequential stack reuses).
 *
 * Conv2D and Dense are one implicit GEMM (a Dense layer is a 1x1 convolution over its input's
 * [h, w] positions, or over a single position for flat input), tiled through workgroup memory like
 * kernels.ts's gemmKernel; im2col is never written, the tile loads compute it:
 *   forward  Z[r, co] = sum_k X(r, k) W[k, co] + b[co],  r = (n, oy, ox), k = (ky, kx, ci); A = act(Z)
 *   wgrad    G[k, co] = sum_r X(r, k) D[r, co] (+ L1/L2), with one more row of ones: the bias gradient;
 *            its output is small (taps x filters) and its contraction long (batch x positions), so
 *            it is split over SPLIT slices of the contraction (wgrad_part, one workgroup per tile and
 *            slice), summed in slice order by wgradReduceKernel (deterministic, no atomics)
 *   dgrad    Dx[r', ci] = sum_(ky, kx, co) D[(n, oy, ox), co] W[ky, kx, ci, co] where
 *            oy * SH + ky - PT = iy (the transposed convolution as a gather: no atomics)
 * D of a Conv2D/Dense layer is dL/dZ; a backward kernel that writes the gradient of such a layer's
 * output multiplies by its act'(Z) in its epilogue (PREV activation), as the MLP's grad_x does.
 * Pooling keeps the TensorFlow 'same' rule of layers.ts: windows clipped to the real cells, max
 * pooling's argmax (first strictly larger cell) kept for the backward pass, average pooling
 * dividing by the real cells. The backward passes of pooling are gathers over the windows that
 * contain an input cell, so overlapping windows need no atomics either.
 */
import type { Activation } from '../../spec/vocabulary.js';
import { actFunctions, COMMON, GEMM_TILES, type Access, type GemmTile } from './kernels.js';

/** Which product a conv GEMM pipeline computes. */
export type ConvGemmKind = 'forward' | 'logits' | 'wgrad' | 'wgrad_part' | 'dgrad';

export interface ConvBinding {
  name: string;
  access: Access;
}

const r = (name: string): ConvBinding => ({ name, access: 'read' });
const rw = (name: string): ConvBinding => ({ name, access: 'rw' });

/** Storage bindings of a conv GEMM (group 1), in binding order; dgrad reads Zprev only with a PREV activation. */
export function convGemmBindings(kind: ConvGemmKind, prev: boolean): ConvBinding[] {
  switch (kind) {
    case 'forward':
      return [r('IN'), r('W'), r('bias'), rw('Z'), rw('OUT')];
    case 'logits':
      return [r('IN'), r('W'), r('bias'), rw('Z')];
    case 'wgrad':
      return [r('IN'), r('D'), r('W'), rw('G'), rw('GB'), r('reg')];
    case 'wgrad_part':
      return [r('IN'), r('D'), rw('PART')];
    case 'dgrad':
      return [r('D'), r('W'), rw('G'), ...(prev ? [r('Zprev')] : [])];
  }
}

/** Geometry constants every conv kernel declares: input [B, H, W, CIN], output [B, OH, OW, COUT], kernel, strides, padding before. */
const GEOMETRY = /* wgsl */ `
override B: u32;
override H: u32;
override W_: u32;
override CIN: u32;
override OH: u32;
override OW: u32;
override COUT: u32;
override KH: u32 = 1u;
override KW: u32 = 1u;
override SH: u32 = 1u;
override SW: u32 = 1u;
override PT: u32 = 0u;
override PL: u32 = 0u;
`;

/** The geometry of one layer as pipeline constants. */
export interface ConvGeometry {
  B: number;
  H: number;
  W_: number;
  CIN: number;
  OH: number;
  OW: number;
  COUT: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PT: number;
  PL: number;
}

/** im2col(m, r, k): the input under kernel tap k = (ky, kx, ci) of output position r = (n, oy, ox), 0 in the padding. */
const IM2COL = /* wgsl */ `
fn im2col(m: u32, r: u32, k: u32) -> f32 {
  let n = r / (OH * OW);
  let p = r % (OH * OW);
  let oy = p / OW;
  let ox = p % OW;
  let ky = k / (KW * CIN);
  let kx = (k / CIN) % KW;
  let ci = k % CIN;
  let iy = i32(oy * SH + ky) - i32(PT);
  let ix = i32(ox * SW + kx) - i32(PL);
  if (iy < 0 || ix < 0 || iy >= i32(H) || ix >= i32(W_)) { return 0.0; }
  return IN[((m * B + n) * H + u32(iy)) * W_ * CIN + u32(ix) * CIN + ci];
}
`;

/** The output gradient reaching input position r = (n, iy, ix) through tap k = (ky, kx, co), 0 where no output position does. */
const DOUT = /* wgsl */ `
fn dout(m: u32, r: u32, k: u32) -> f32 {
  let n = r / (H * W_);
  let p = r % (H * W_);
  let iy = p / W_;
  let ix = p % W_;
  let ky = k / (KW * COUT);
  let kx = (k / COUT) % KW;
  let co = k % COUT;
  let ty = i32(iy + PT) - i32(ky);
  let tx = i32(ix + PL) - i32(kx);
  if (ty < 0 || tx < 0) { return 0.0; }
  let oy = u32(ty) / SH;
  let ox = u32(tx) / SW;
  if (u32(ty) % SH != 0u || u32(tx) % SW != 0u || oy >= OH || ox >= OW) { return 0.0; }
  return D[((m * B + n) * OH + oy) * OW * COUT + ox * COUT + co];
}
`;

/**
 * A conv GEMM pipeline. `act` is the layer's activation (forward), `prev` the activation of the
 * layer whose output gradient dgrad writes (null: none to apply, e.g. pooling or a linear layer).
 */
export function convGemmKernel(kind: ConvGemmKind, act: Activation, tile: GemmTile = GEMM_TILES.small, prev: Activation | null = null): string {
  const BM = 16 * tile.rows;
  const BN = 16 * tile.cols;
  const bindings = convGemmBindings(kind, prev !== null)
    .map((b, i) => `@group(1) @binding(${i}) var<storage, ${b.access === 'rw' ? 'read_write' : 'read'}> ${b.name}: array<f32>;`)
    .join('\n');
  let outRows: string;
  let outCols: string;
  let inner: string;
  let helpers: string;
  let xAt: string;
  let yAt: string;
  let xRowMajor = true;
  let yRowMajor = true;
  let epilogue: string;
  switch (kind) {
    case 'forward':
    case 'logits':
      outRows = '(B * OH * OW)';
      outCols = 'COUT';
      inner = '(KH * KW * CIN)';
      helpers = IM2COL + actFunctions('act', kind === 'forward' ? act : 'linear');
      xAt = 'fn x_at(m: u32, r: u32, k: u32) -> f32 { return im2col(m, r, k); }';
      yAt = 'fn y_at(m: u32, k: u32, c: u32) -> f32 { return W[m * KH * KW * CIN * COUT + k * COUT + c]; }';
      epilogue = `let o = m * B * OH * OW * COUT + row * COUT + col;
        let z = v + bias[m * COUT + col];
        Z[o] = z;${kind === 'forward' ? '\n        OUT[o] = act(z);' : ''}`;
      break;
    case 'wgrad':
    case 'wgrad_part':
      // rows: kernel taps k, and one more of ones (the bias gradient); contraction over output positions
      outRows = '(KH * KW * CIN + 1u)';
      outCols = 'COUT';
      inner = '(B * OH * OW)';
      helpers = IM2COL;
      xAt = `fn x_at(m: u32, r: u32, k: u32) -> f32 {
  if (r == KH * KW * CIN) { return 1.0; }
  return im2col(m, k, r);
}`;
      xRowMajor = false;
      yAt = 'fn y_at(m: u32, k: u32, c: u32) -> f32 { return D[m * B * OH * OW * COUT + k * COUT + c]; }';
      epilogue = kind === 'wgrad_part' ? 'PART[((m * SPLIT + slice) * rows + row) * COUT + col] = v;' : `if (row == KH * KW * CIN) {
          GB[m * COUT + col] = v;
        } else {
          let o = m * KH * KW * CIN * COUT + row * COUT + col;
          let w = W[o];
          G[o] = v + reg[4u * m] * sign(w) + 2.0 * reg[4u * m + 1u] * w;
        }`;
      break;
    case 'dgrad':
      outRows = '(B * H * W_)';
      outCols = 'CIN';
      inner = '(KH * KW * COUT)';
      helpers = DOUT + (prev ? actFunctions('prev', prev) : '');
      xAt = 'fn x_at(m: u32, r: u32, k: u32) -> f32 { return dout(m, r, k); }';
      // W^T per tap: Y(k = (ky, kx, co), c = ci) = W[ky, kx, ci, co]
      yAt = `fn y_at(m: u32, k: u32, c: u32) -> f32 {
  let tap = k / COUT;
  let co = k % COUT;
  return W[m * KH * KW * CIN * COUT + (tap * CIN + c) * COUT + co];
}`;
      yRowMajor = false;
      epilogue = `let o = m * B * H * W_ * CIN + row * CIN + col;
        ${prev ? 'let z = Zprev[o];\n        G[o] = v * prev_grad(z, prev(z));' : 'G[o] = v;'}`;
      break;
  }
  const xCoords = xRowMajor ? 'let r = e / 16u; let k = e % 16u;' : `let k = e / ${BM}u; let r = e % ${BM}u;`;
  const yCoords = yRowMajor ? `let k = e / ${BN}u; let c = e % ${BN}u;` : 'let c = e / 16u; let k = e % 16u;';
  const split = kind === 'wgrad_part';
  return `${GEOMETRY}
${split ? 'override SPLIT: u32;\noverride CHUNK: u32; // contraction per slice, a multiple of 16' : ''}
const TR: u32 = ${tile.rows}u;
const TC: u32 = ${tile.cols}u;
${bindings}
var<workgroup> tileX: array<array<f32, ${BM}>, 16>; // [k][r]
var<workgroup> tileY: array<array<f32, ${BN}>, 16>; // [k][c]
${helpers}
${xAt}
${yAt}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m = wg.z${split ? ' / SPLIT' : ''};
  let row0 = wg.y * ${BM}u;
  let col0 = wg.x * ${BN}u;
  let t = lid.y * 16u + lid.x;
  let rows = ${outRows};
  ${split ? `let slice = wg.z % SPLIT;
  let k_begin = slice * CHUNK;
  let depth = min(${inner}, k_begin + CHUNK);` : `let k_begin = 0u;
  let depth = ${inner};`}
  var acc: array<f32, ${tile.rows * tile.cols}>;
  for (var k0 = k_begin; k0 < depth; k0 = k0 + 16u) {
    for (var e = t; e < ${BM * 16}u; e = e + 256u) {
      ${xCoords}
      var v = 0.0;
      if (row0 + r < rows && k0 + k < depth) { v = x_at(m, row0 + r, k0 + k); }
      tileX[k][r] = v;
    }
    for (var e = t; e < ${BN * 16}u; e = e + 256u) {
      ${yCoords}
      var v = 0.0;
      if (col0 + c < ${outCols} && k0 + k < depth) { v = y_at(m, k0 + k, col0 + c); }
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
      if (row < rows && col < ${outCols}) {
        let v = acc[i * TC + j];
        ${epilogue}
      }
    }
  }
}
`;
}

/**
 * The slices of a split weight gradient summed in slice order, with the L1/L2 terms of `reg`:
 * G[k, co] (k < K) and the bias gradient GB[co] (row K).
 */
export function wgradReduceKernel(): string {
  return `
override K: u32;
override COUT: u32;
override SPLIT: u32;
@group(1) @binding(0) var<storage, read> PART: array<f32>;
@group(1) @binding(1) var<storage, read> W: array<f32>;
@group(1) @binding(2) var<storage, read_write> G: array<f32>;
@group(1) @binding(3) var<storage, read_write> GB: array<f32>;
@group(1) @binding(4) var<storage, read> reg: array<f32>;
${ELEMENTS('(K + 1u) * COUT')}
    var v = 0.0;
    for (var s = 0u; s < SPLIT; s = s + 1u) { v = v + PART[(m * SPLIT + s) * (K + 1u) * COUT + i]; }
    let row = i / COUT;
    let col = i % COUT;
    if (row == K) {
      GB[m * COUT + col] = v;
    } else {
      let o = m * K * COUT + i;
      let w = W[o];
      G[o] = v + reg[4u * m] * sign(w) + 2.0 * reg[4u * m + 1u] * w;
    }
  }
}
`;
}

/** Workgroups below which a dispatch leaves much of a large GPU idle (kernels.ts gemmTile's threshold). */
const BUSY_WORKGROUPS = 192;

/**
 * Slices of a weight gradient's contraction: enough workgroups to keep a GPU busy (output tiles x
 * models x slices >= 192), each slice at least 256 deep; 1 (no split) when the tiles alone suffice.
 */
export function wgradSplit(outTiles: number, models: number, depth: number): number {
  const want = Math.ceil(BUSY_WORKGROUPS / Math.max(1, outTiles * models));
  return Math.max(1, Math.min(want, Math.floor(depth / 256)));
}

/** Threads of the element-wise kernels' workgroups; they stride over their elements, so any size fits one dispatch. */
export const ELEMENT_WORKGROUP = 256;
/** Workgroups an element-wise dispatch uses at most (per model), below WebGPU's 65535 per dimension. */
export const MAX_ELEMENT_WORKGROUPS = 4096;

/** Workgroups of an element-wise dispatch over n elements per model. */
export function elementWorkgroups(n: number): number {
  return Math.max(1, Math.min(MAX_ELEMENT_WORKGROUPS, Math.ceil(n / ELEMENT_WORKGROUP)));
}

/** The loop header of an element-wise kernel over N elements of model m. */
const ELEMENTS = (n: string) => /* wgsl */ `@compute @workgroup_size(${ELEMENT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let m = wg.z;
  for (var i = gid.x; i < ${n}; i = i + nwg.x * ${ELEMENT_WORKGROUP}u) {`;

/** The window of output position (oy, ox), clipped to the real cells: [y0, y1) x [x0, x1). */
const WINDOW = /* wgsl */ `
fn window(oy: u32, ox: u32) -> vec4i {
  let ty = i32(oy * SH) - i32(PT);
  let tx = i32(ox * SW) - i32(PL);
  return vec4i(max(ty, 0), min(ty + i32(KH), i32(H)), max(tx, 0), min(tx + i32(KW), i32(W_)));
}
/** Output positions whose window holds input row or column i: [lo, hi]. */
fn covering(i: u32, pad: u32, k: u32, s: u32, outs: u32) -> vec2i {
  let top = i32(i + pad);
  let num = top - i32(k) + 1;
  let lo = select(0, (num + i32(s) - 1) / i32(s), num > 0);
  let hi = min(top / i32(s), i32(outs) - 1);
  return vec2i(lo, hi);
}
`;

/**
 * Pooling forward, one thread per output: max (the first strictly larger real cell wins; its
 * index within the sample, (iy * W + ix) * C + c, goes to ARG) or average over the real cells.
 * C = CIN = COUT.
 */
export function poolForwardKernel(kind: 'max' | 'average'): string {
  return `${GEOMETRY}
@group(1) @binding(0) var<storage, read> IN: array<f32>;
@group(1) @binding(1) var<storage, read_write> OUT: array<f32>;
${kind === 'max' ? '@group(1) @binding(2) var<storage, read_write> ARG: array<u32>;' : ''}
${WINDOW}
${ELEMENTS('B * OH * OW * CIN')}
    let c = i % CIN;
    let p = i / CIN;
    let ox = p % OW;
    let oy = (p / OW) % OH;
    let n = p / (OW * OH);
    let w = window(oy, ox);
    let base = (m * B + n) * H * W_ * CIN;
    ${kind === 'max'
      ? `var arg = (u32(w.x) * W_ + u32(w.z)) * CIN + c;
    var best = IN[base + arg];
    for (var iy = w.x; iy < w.y; iy = iy + 1) {
      for (var ix = w.z; ix < w.w; ix = ix + 1) {
        let at = (u32(iy) * W_ + u32(ix)) * CIN + c;
        let x = IN[base + at];
        if (x > best) { best = x; arg = at; }
      }
    }
    OUT[m * B * OH * OW * CIN + i] = best;
    ARG[m * B * OH * OW * CIN + i] = arg;`
      : `var sum = 0.0;
    for (var iy = w.x; iy < w.y; iy = iy + 1) {
      for (var ix = w.z; ix < w.w; ix = ix + 1) { sum = sum + IN[base + (u32(iy) * W_ + u32(ix)) * CIN + c]; }
    }
    OUT[m * B * OH * OW * CIN + i] = sum / f32((w.y - w.x) * (w.w - w.z));`}
  }
}
`;
}

/** Prelude of a backward kernel that may multiply by the act' of the layer below (binding Zprev). */
function prevGrad(prev: Activation | null, binding: number): { decl: string; apply: (v: string, o: string) => string } {
  if (!prev) return { decl: '', apply: (v) => v };
  return {
    decl: `@group(1) @binding(${binding}) var<storage, read> Zprev: array<f32>;\n${actFunctions('prev', prev)}`,
    apply: (v, o) => `${v} * prev_grad(Zprev[${o}], prev(Zprev[${o}]))`,
  };
}

/**
 * Pooling backward, one thread per input cell: the sum over the windows that hold it of their
 * output gradient (max: where it was the argmax; average: divided by the window's real cells).
 */
export function poolBackwardKernel(kind: 'max' | 'average', prev: Activation | null = null): string {
  const p = prevGrad(prev, kind === 'max' ? 3 : 2);
  return `${GEOMETRY}
@group(1) @binding(0) var<storage, read> D: array<f32>;
@group(1) @binding(1) var<storage, read_write> G: array<f32>;
${kind === 'max' ? '@group(1) @binding(2) var<storage, read> ARG: array<u32>;' : ''}
${p.decl}
${WINDOW}
${ELEMENTS('B * H * W_ * CIN')}
    let c = i % CIN;
    let q = i / CIN;
    let ix = q % W_;
    let iy = (q / W_) % H;
    let n = q / (W_ * H);
    let me = (iy * W_ + ix) * CIN + c;
    let ys = covering(iy, PT, KH, SH, OH);
    let xs = covering(ix, PL, KW, SW, OW);
    var sum = 0.0;
    for (var oy = ys.x; oy <= ys.y; oy = oy + 1) {
      for (var ox = xs.x; ox <= xs.y; ox = ox + 1) {
        let o = (m * B + n) * OH * OW * CIN + (u32(oy) * OW + u32(ox)) * CIN + c;
        ${kind === 'max'
          ? 'if (ARG[o] == me) { sum = sum + D[o]; }'
          : `let w = window(u32(oy), u32(ox));
        sum = sum + D[o] / f32((w.y - w.x) * (w.w - w.z));`}
      }
    }
    let at = m * B * H * W_ * CIN + i;
    G[at] = ${p.apply('sum', 'at')};
  }
}
`;
}

/** GlobalAveragePooling2D forward: OUT[n, c] = the mean over the H x W positions (CIN = C). */
export function gapForwardKernel(): string {
  return `${GEOMETRY}
@group(1) @binding(0) var<storage, read> IN: array<f32>;
@group(1) @binding(1) var<storage, read_write> OUT: array<f32>;
${ELEMENTS('B * CIN')}
    let c = i % CIN;
    let n = i / CIN;
    let base = (m * B + n) * H * W_ * CIN + c;
    var sum = 0.0;
    for (var p = 0u; p < H * W_; p = p + 1u) { sum = sum + IN[base + p * CIN]; }
    OUT[m * B * CIN + i] = sum / f32(H * W_);
  }
}
`;
}

/** GlobalAveragePooling2D backward: every position gets its channel's gradient / (H x W). */
export function gapBackwardKernel(prev: Activation | null = null): string {
  const p = prevGrad(prev, 2);
  return `${GEOMETRY}
@group(1) @binding(0) var<storage, read> D: array<f32>;
@group(1) @binding(1) var<storage, read_write> G: array<f32>;
${p.decl}
${ELEMENTS('B * H * W_ * CIN')}
    let c = i % CIN;
    let n = i / (H * W_ * CIN);
    let at = m * B * H * W_ * CIN + i;
    let v = D[(m * B + n) * CIN + c] / f32(H * W_);
    G[at] = ${p.apply('v', 'at')};
  }
}
`;
}

/**
 * Dropout, forward (OUT = IN * mask; EVAL: IN) or backward (G = D * mask, times act' below). The
 * mask of dropout layer DROP (its slot in the Model struct) at this step is the shared hash of
 * models/dropout.ts, counter = the element's index in the model's batch, so it equals the native
 * trainer's and needs no buffer.
 */
export function dropoutKernel(direction: 'forward' | 'backward', prev: Activation | null = null): string {
  const p = prevGrad(direction === 'backward' ? prev : null, 3);
  return `${COMMON}
override SIZE: u32; // elements per model: batch rows x features
override DROP: u32 = 0u;
override EVAL: u32 = 0u;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> IN: array<f32>;
@group(1) @binding(1) var<storage, read_write> OUT: array<f32>;
@group(1) @binding(2) var<storage, read> models: array<Model>;
${p.decl}
${ELEMENTS('SIZE')}
    let at = m * SIZE + i;
    var v = IN[at];
    if (EVAL == 0u) { v = v * dropout(models[m], DROP, step.index, i); }
    OUT[at] = ${p.apply('v', 'at')};
  }
}
`;
}

/**
 * The step's batch for every model: X0[m, r, :] = dataset row list[m][step * B + r] through model
 * m's scaler, zeros past the end of its list (those rows' loss gradient is zero).
 */
export function gatherKernel(): string {
  return `${COMMON}
override B: u32;
override FEATURES: u32;
override LIST: u32;
override EVAL: u32 = 0u;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> X: array<f32>;
@group(1) @binding(1) var<storage, read> list: array<u32>;
@group(1) @binding(2) var<storage, read> scaler: array<f32>;
@group(1) @binding(3) var<storage, read> models: array<Model>;
@group(1) @binding(4) var<storage, read_write> X0: array<f32>;
${ELEMENTS('B * FEATURES')}
    let r = i / FEATURES;
    let j = i % FEATURES;
    let n = select(models[m].n_fit, models[m].n_eval, EVAL == 1u);
    let pos = step.index * B + r;
    var x = 0.0;
    if (pos < n) {
      x = X[list[m * LIST + pos] * FEATURES + j];
      if ((models[m].flags & 4u) != 0u) { x = (x - scaler[2u * m * FEATURES + j]) * scaler[(2u * m + 1u) * FEATURES + j]; }
    }
    X0[m * B * FEATURES + i] = x;
  }
}
`;
}

/**
 * Per-layer regularization of a Sequential stack: `reg` holds [l1, l2, max_norm, 0] per model for
 * one kernel, which may differ between the models of a stack. Keras MaxNorm on a kernel seen as
 * [IN x OUT] (Conv2D: IN = kh * kw * cin, axes [0, 1, 2]; Dense: axis 0), after the update.
 */
export function layerMaxNormKernel(): string {
  return `${COMMON}
override IN: u32;
override OUT: u32;
override BATCH: u32;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read_write> W: array<f32>;
@group(1) @binding(1) var<storage, read> models: array<Model>;
@group(1) @binding(2) var<storage, read> reg: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let j = gid.x;
  let m = wg.z;
  let mdl = models[m];
  let max_norm = reg[4u * m + 2u];
  if (j >= OUT || max_norm <= 0.0 || mdl.is_active == 0u || step.index * BATCH >= mdl.n_fit) { return; }
  var sq = 0.0;
  for (var i = 0u; i < IN; i = i + 1u) { let w = W[m * IN * OUT + i * OUT + j]; sq = sq + w * w; }
  let norm = sqrt(sq);
  let factor = clamp(norm, 0.0, max_norm) / (1e-7 + norm);
  for (var i = 0u; i < IN; i = i + 1u) { W[m * IN * OUT + i * OUT + j] = W[m * IN * OUT + i * OUT + j] * factor; }
}
`;
}

/** The L1/L2 penalty of one kernel with per-model [l1, l2] from `reg`, added as kernels.ts penaltyKernel adds it. */
export function layerPenaltyKernel(): string {
  return `${COMMON}
override SIZE: u32;
override BATCH: u32;
override SLOT: u32 = 0u;
override EVAL: u32 = 0u;
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> W: array<f32>;
@group(1) @binding(1) var<storage, read_write> acc: array<f32>;
@group(1) @binding(2) var<storage, read> models: array<Model>;
@group(1) @binding(3) var<storage, read> reg: array<f32>;
var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let m = wg.z;
  let mdl = models[m];
  let l1 = reg[4u * m];
  let l2 = reg[4u * m + 1u];
  var rows = 1.0;
  if (EVAL == 0u) {
    let start = step.index * BATCH;
    rows = f32(select(0u, min(BATCH, mdl.n_fit - start), mdl.n_fit > start));
  }
  var s = 0.0;
  for (var i = lid.x; i < SIZE; i = i + 256u) {
    let w = W[m * SIZE + i];
    s = s + l1 * abs(w) + l2 * w * w;
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

/**
 * BatchNormalization over the last axis: C channels, P positions per sample (H x W for images, 1
 * for flat input); EPS and MOMENTUM are the layer's (the same in every model of a stack). Training
 * normalizes by the statistics of the batch's real rows (a ragged last batch counts only its own);
 * evaluation by the moving statistics. Formulas as the native trainer's (Keras's).
 */
const BN_COMMON = /* wgsl */ `
override B: u32;
override P: u32;
override C: u32;
override EPS: f32;
override MOMENTUM: f32 = 0.99;
override UNBIAS: u32 = 0u; // 1: the moving variance takes the unbiased batch variance (image input)
override EVAL: u32 = 0u;
`;

/** Rows of this step's batch that are real for model m (needs `models` and `step`). */
const REAL_ROWS = /* wgsl */ `
fn real_rows(m: u32) -> u32 {
  let n = select(models[m].n_fit, models[m].n_eval, EVAL == 1u);
  let start = step.index * B;
  return select(0u, min(B, n - start), n > start);
}
`;

/**
 * Training statistics, one workgroup per (channel, model): the batch mean and (biased) variance of
 * the real rows, two passes; then the moving statistics' update (Keras: unbiased for images) when
 * the model trains this step. With EVAL, the moving statistics copied to STATS (the forward kernel
 * reads STATS only).
 */
export function bnStatsKernel(): string {
  return `${COMMON}
${BN_COMMON}
${REAL_ROWS}
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> IN: array<f32>;
@group(1) @binding(1) var<storage, read_write> STATS: array<f32>; // [M][2][C]: mean, variance
@group(1) @binding(2) var<storage, read_write> MM: array<f32>;
@group(1) @binding(3) var<storage, read_write> MV: array<f32>;
@group(1) @binding(4) var<storage, read> models: array<Model>;
var<workgroup> part: array<f32, 256>;

fn reduce(lid: u32, v: f32) -> f32 {
  part[lid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  let total = part[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let lid = lid3.x;
  let c = wg.x;
  let m = wg.z;
  if (EVAL == 1u) {
    if (lid == 0u) {
      STATS[m * 2u * C + c] = MM[m * C + c];
      STATS[(m * 2u + 1u) * C + c] = MV[m * C + c];
    }
    return;
  }
  let n = real_rows(m) * P;
  let base = m * B * P * C + c;
  var s = 0.0;
  for (var i = lid; i < n; i = i + 256u) { s = s + IN[base + i * C]; }
  let mean = reduce(lid, s) / f32(max(n, 1u));
  var q = 0.0;
  for (var i = lid; i < n; i = i + 256u) { let d = IN[base + i * C] - mean; q = q + d * d; }
  let v = reduce(lid, q) / f32(max(n, 1u));
  if (lid == 0u) {
    STATS[m * 2u * C + c] = mean;
    STATS[(m * 2u + 1u) * C + c] = v;
    if (models[m].is_active != 0u && n > 0u) {
      let unbiased = select(v, v * f32(n) / f32(n - 1u), UNBIAS == 1u && n > 1u);
      MM[m * C + c] = MM[m * C + c] * MOMENTUM + mean * (1.0 - MOMENTUM);
      MV[m * C + c] = MV[m * C + c] * MOMENTUM + unbiased * (1.0 - MOMENTUM);
    }
  }
}
`;
}

/**
 * Normalization, element-wise: XHAT = (x - mean) / sqrt(var + EPS) with STATS (the batch's or the
 * moving ones), OUT = gamma XHAT + beta; with an activation after (an MLP's Dense -> BN ->
 * activation), Y = gamma XHAT + beta is kept for its act' and OUT = act(Y).
 */
export function bnForwardKernel(after: Activation | null = null): string {
  return `${COMMON}
${BN_COMMON}
${after ? actFunctions('after', after) : ''}
@group(1) @binding(0) var<storage, read> IN: array<f32>;
@group(1) @binding(1) var<storage, read> STATS: array<f32>;
@group(1) @binding(2) var<storage, read> gamma: array<f32>;
@group(1) @binding(3) var<storage, read> beta: array<f32>;
@group(1) @binding(4) var<storage, read_write> XHAT: array<f32>;
@group(1) @binding(5) var<storage, read_write> OUT: array<f32>;
${after ? '@group(1) @binding(6) var<storage, read_write> Y: array<f32>;' : ''}
${ELEMENTS('B * P * C')}
    let c = i % C;
    let at = m * B * P * C + i;
    let xhat = (IN[at] - STATS[m * 2u * C + c]) * (1.0 / sqrt(STATS[(m * 2u + 1u) * C + c] + EPS));
    XHAT[at] = xhat;
    let y = xhat * gamma[m * C + c] + beta[m * C + c];
    ${after ? 'Y[at] = y;\n    OUT[at] = after(y);' : 'OUT[at] = y;'}
  }
}
`;
}

/**
 * The gradients of gamma (sum of D XHAT) and beta (sum of D) over the real rows, one workgroup per
 * (channel, model); and the input gradient's per-channel coefficients COEF [M][3][C]:
 * gamma / sqrt(var + EPS), mean(D), mean(D XHAT).
 */
export function bnGradKernel(): string {
  return `${COMMON}
${BN_COMMON}
${REAL_ROWS}
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> D: array<f32>;
@group(1) @binding(1) var<storage, read> XHAT: array<f32>;
@group(1) @binding(2) var<storage, read> STATS: array<f32>;
@group(1) @binding(3) var<storage, read> gamma: array<f32>;
@group(1) @binding(4) var<storage, read_write> GGAMMA: array<f32>;
@group(1) @binding(5) var<storage, read_write> GBETA: array<f32>;
@group(1) @binding(6) var<storage, read_write> COEF: array<f32>;
@group(1) @binding(7) var<storage, read> models: array<Model>;
var<workgroup> part: array<vec2f, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let lid = lid3.x;
  let c = wg.x;
  let m = wg.z;
  let n = real_rows(m) * P;
  let base = m * B * P * C + c;
  var s = vec2f(0.0, 0.0);
  for (var i = lid; i < n; i = i + 256u) {
    let g = D[base + i * C];
    s = s + vec2f(g, g * XHAT[base + i * C]);
  }
  part[lid] = s;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k = k >> 1u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let sums = part[0];
    GBETA[m * C + c] = sums.x;
    GGAMMA[m * C + c] = sums.y;
    let inv = 1.0 / f32(max(n, 1u));
    COEF[m * 3u * C + c] = gamma[m * C + c] / sqrt(STATS[(m * 2u + 1u) * C + c] + EPS);
    COEF[(m * 3u + 1u) * C + c] = sums.x * inv;
    COEF[(m * 3u + 2u) * C + c] = sums.y * inv;
  }
}
`;
}

/**
 * The input gradient, element-wise: gamma / sqrt(var + EPS) (D - mean(D) - XHAT mean(D XHAT)) on
 * the real rows (coefficients from bnGradKernel), 0 on padded rows; times act' below.
 */
export function bnBackwardKernel(prev: Activation | null = null): string {
  const p = prevGrad(prev, 5);
  return `${COMMON}
${BN_COMMON}
${REAL_ROWS}
@group(0) @binding(0) var<uniform> step: Step;
@group(1) @binding(0) var<storage, read> D: array<f32>;
@group(1) @binding(1) var<storage, read> XHAT: array<f32>;
@group(1) @binding(2) var<storage, read> COEF: array<f32>;
@group(1) @binding(3) var<storage, read_write> G: array<f32>;
@group(1) @binding(4) var<storage, read> models: array<Model>;
${p.decl}
${ELEMENTS('B * P * C')}
    let c = i % C;
    let at = m * B * P * C + i;
    if (i / (P * C) >= real_rows(m)) {
      G[at] = 0.0;
      continue;
    }
    let v = COEF[m * 3u * C + c] * (D[at] - COEF[(m * 3u + 1u) * C + c] - XHAT[at] * COEF[(m * 3u + 2u) * C + c]);
    G[at] = ${p.apply('v', 'at')};
  }
}
`;
}
