/**
 * Every WGSL kernel of the Sequential (conv net) stack compiles and its pipeline validates on Dawn's
 * null backend, for every activation, tile, pooling kind and backward epilogue; and the choices of
 * the host side that need no device (dispatch sizes).
 */
import { describe, expect, it } from 'vitest';
import { compiles, noDawn } from '../fixtures/wgsl-null.js';
import { bnBackwardKernel, bnForwardKernel, bnGradKernel, bnStatsKernel, convGemmKernel, dropoutKernel, elementWorkgroups, gapBackwardKernel, gapForwardKernel, gatherKernel, layerMaxNormKernel, layerPenaltyKernel, MAX_ELEMENT_WORKGROUPS, poolBackwardKernel, poolForwardKernel, wgradReduceKernel, wgradSplit, type ConvGemmKind } from '../../src/engine/webgpu/conv-kernels.js';
import { GEMM_TILES } from '../../src/engine/webgpu/kernels.js';
import { ACTIVATIONS, type Activation } from '../../src/spec/vocabulary.js';

const hidden = ACTIVATIONS.filter((a) => a !== 'softmax');
// a 3x3 conv with strides (2, 1) and 'same' padding of an 9x7x3 input into 5x7x8
const geometry = { B: 4, H: 9, W_: 7, CIN: 3, OH: 5, OW: 7, COUT: 8, KH: 3, KW: 3, SH: 2, SW: 1, PT: 1, PL: 1 };

describe.skipIf(noDawn)('conv-net WGSL kernels on the null backend', () => {
  it('implicit-GEMM convolutions: forward with every activation, logits, weight and input gradients with every act\' below, every tile', async () => {
    const tiles = [GEMM_TILES.small, GEMM_TILES.large, { rows: 4, cols: 1 }, { rows: 1, cols: 4 }];
    const variants: [ConvGemmKind, Activation, Activation | null][] = [
      ...hidden.map((a): [ConvGemmKind, Activation, Activation | null] => ['forward', a, null]),
      ['logits', 'linear', null],
      ['wgrad', 'linear', null],
      ['dgrad', 'linear', null],
      ...hidden.map((a): [ConvGemmKind, Activation, Activation | null] => ['dgrad', 'linear', a]),
    ];
    for (const [kind, act, prev] of variants) {
      for (const tile of tiles) {
        expect(await compiles(convGemmKernel(kind, act, tile, prev), geometry), `${kind} ${act} prev=${prev} ${tile.rows}x${tile.cols}`).toBeNull();
      }
    }
  });

  it('the weight gradient split over slices of its contraction, and their ordered sum', async () => {
    for (const tile of [GEMM_TILES.small, GEMM_TILES.large]) {
      expect(await compiles(convGemmKernel('wgrad_part', 'linear', tile), { ...geometry, SPLIT: 3, CHUNK: 48 }), `${tile.rows}x${tile.cols}`).toBeNull();
    }
    expect(await compiles(wgradReduceKernel(), { K: 27, COUT: 8, SPLIT: 3 })).toBeNull();
  });

  it('pooling, global average pooling and dropout, forward and backward', async () => {
    const pool = { ...geometry, OH: 3, OW: 4, COUT: 3, KH: 3, KW: 2, SH: 3, SW: 2, PT: 0, PL: 0 };
    for (const kind of ['max', 'average'] as const) {
      expect(await compiles(poolForwardKernel(kind), pool), `${kind} forward`).toBeNull();
      for (const prev of [null, ...hidden]) expect(await compiles(poolBackwardKernel(kind, prev), pool), `${kind} backward ${prev}`).toBeNull();
    }
    expect(await compiles(gapForwardKernel(), { ...geometry, OH: 1, OW: 1, COUT: 3 })).toBeNull();
    for (const prev of [null, ...hidden]) expect(await compiles(gapBackwardKernel(prev), { ...geometry, OH: 1, OW: 1, COUT: 3 }), `gap backward ${prev}`).toBeNull();
    for (const evaluation of [0, 1]) expect(await compiles(dropoutKernel('forward'), { SIZE: 640, DROP: 2, EVAL: evaluation })).toBeNull();
    for (const prev of [null, ...hidden]) expect(await compiles(dropoutKernel('backward', prev), { SIZE: 640, DROP: 7 }), `dropout backward ${prev}`).toBeNull();
  });

  it('the batch gather and the per-layer max-norm and penalty kernels', async () => {
    for (const evaluation of [0, 1]) expect(await compiles(gatherKernel(), { B: 32, FEATURES: 784, LIST: 1000, EVAL: evaluation })).toBeNull();
    expect(await compiles(layerMaxNormKernel(), { IN: 288, OUT: 64, BATCH: 32 })).toBeNull();
    for (const evaluation of [0, 1]) expect(await compiles(layerPenaltyKernel(), { SIZE: 18432, BATCH: 32, SLOT: 2 * evaluation, EVAL: evaluation })).toBeNull();
  });

  it('batch normalization: statistics with the moving update, normalization, gamma/beta gradients, input gradient with every act\' below', async () => {
    const bn = { B: 8, P: 49, C: 16, EPS: 1e-3, MOMENTUM: 0.99 };
    for (const [unbias, evaluation] of [[0, 0], [1, 0]]) expect(await compiles(bnStatsKernel(), { ...bn, UNBIAS: unbias, EVAL: evaluation })).toBeNull();
    expect(await compiles(bnStatsKernel(), { ...bn, EVAL: 1 })).toBeNull();
    for (const after of [null, ...hidden]) expect(await compiles(bnForwardKernel(after), bn), `bn forward, ${after} after`).toBeNull();
    expect(await compiles(bnGradKernel(), bn)).toBeNull();
    for (const prev of [null, ...hidden]) expect(await compiles(bnBackwardKernel(prev), bn), `bn backward ${prev}`).toBeNull();
  });

  it('rejects invalid WGSL (the check can fail)', async () => {
    expect(await compiles(poolForwardKernel('max').replace('best = x;', 'best = x'), geometry)).toMatch(/error/i);
  });
});

describe('weight-gradient slices', () => {
  it('split long contractions of few output tiles until a GPU has enough workgroups, never below 256 deep', () => {
    // LeNet's first conv at batch 128: 10 x 32 outputs (2 tiles), 128 x 26 x 26 deep
    expect(wgradSplit(2, 1, 128 * 26 * 26)).toBe(96);
    expect(wgradSplit(2, 32, 128 * 26 * 26)).toBe(3);
    expect(wgradSplit(2, 128, 128 * 26 * 26)).toBe(1);
    expect(wgradSplit(2, 1, 600)).toBe(2);
    expect(wgradSplit(1, 1, 200)).toBe(1);
  });
});

describe('element-wise dispatch sizes', () => {
  it('cover small tensors with one workgroup per 256 elements and cap big ones (the kernels stride)', () => {
    expect(elementWorkgroups(1)).toBe(1);
    expect(elementWorkgroups(257)).toBe(2);
    expect(elementWorkgroups(128 * 26 * 26 * 32)).toBe(MAX_ELEMENT_WORKGROUPS);
  });
});
