/**
 * Every WGSL kernel variant compiles and its pipeline validates, on Dawn's null backend (no GPU
 * needed: it compiles and validates but runs nothing). Skipped when the optional `webgpu` package
 * is not installed.
 */
import { describe, expect, it } from 'vitest';
import { compiles, noDawn, nullCtx } from '../fixtures/wgsl-null.js';
import { gemmKernel, gemmTile, lossKernel, maxNormKernel, optimizerKernel, penaltyKernel, type GemmKind } from '../../src/engine/webgpu/kernels.js';
import { ACTIVATIONS, EPOCH_METRICS, type Activation, type Loss } from '../../src/spec/vocabulary.js';

const hidden = ACTIVATIONS.filter((a) => a !== 'softmax');

describe.skipIf(noDawn)('WGSL kernels on the null backend', () => {
  it('has a validation-only device', () => {
    expect(nullCtx!.kind).toBe('null');
  });

  it('matrix products with every epilogue, activation and tile, reading activations or the dataset', async () => {
    const kinds: GemmKind[] = ['forward_hidden', 'forward_eval', 'forward_output', 'grad_w', 'grad_x'];
    for (const kind of kinds) {
      for (const act of kind === 'forward_output' || kind === 'grad_w' ? (['relu'] as Activation[]) : hidden) {
        for (const gathered of kind === 'grad_x' ? [false] : [false, true]) {
          const constants: Record<string, number> = {
            ...(kind === 'grad_w' ? { ROWS: 32, INNER_OUT: 20, COLS: 10 } : { ROWS: 32, INNER: 20, COLS: 10, LAYER: 0 }),
            ...(gathered ? { LIST: 100, EVAL: 0 } : {}),
          };
          for (const tile of [{ rows: 1, cols: 1 }, { rows: 4, cols: 4 }, { rows: 4, cols: 1 }, { rows: 1, cols: 4 }]) {
            expect(await compiles(gemmKernel(kind, act, tile, gathered), constants), `${kind} ${act} ${tile.rows}x${tile.cols} gathered=${gathered}`).toBeNull();
          }
        }
      }
    }
  });

  it('loss kernels for every supported loss, output and metric, with and without gradients', async () => {
    const pairs: [Loss, Activation, boolean][] = [
      ['categorical_crossentropy', 'softmax', true],
      ['sparse_categorical_crossentropy', 'softmax', true],
      ['binary_crossentropy', 'sigmoid', true],
      ['mse', 'softmax', true],
      ['mse', 'linear', false],
      ['mae', 'tanh', false],
      ['mse', 'sigmoid', true],
    ];
    for (const [loss, out, classification] of pairs) {
      for (const metric of EPOCH_METRICS.filter((m) => classification || m !== 'accuracy')) {
        for (const grad of [0, 1]) {
          expect(await compiles(lossKernel(loss, out, metric, classification), { ROWS: 32, C: classification && out !== 'sigmoid' ? 10 : 1, LIST: 100, GRAD: grad, EVAL: 1 - grad }), `${loss} ${out} ${metric} grad=${grad}`).toBeNull();
        }
      }
    }
  });

  it('optimizer, max-norm and penalty kernels', async () => {
    expect(await compiles(optimizerKernel(), { SIZE: 50176, BATCH: 32 })).toBeNull();
    expect(await compiles(maxNormKernel(), { IN: 784, OUT: 64, BATCH: 32 })).toBeNull();
    for (const evaluation of [0, 1]) expect(await compiles(penaltyKernel(), { SIZE: 50176, BATCH: 32, SLOT: evaluation * 2, EVAL: evaluation })).toBeNull();
  });

  it('rejects invalid WGSL (the check can fail)', async () => {
    expect(await compiles(gemmKernel('grad_x', 'relu').replace('fn main', 'fn main main'), { ROWS: 1, INNER: 1, COLS: 1 })).toMatch(/error/i);
  });
});

describe('GEMM tile choice', () => {
  it('picks register-blocked tiles only for wide products over enough models to fill a GPU', () => {
    expect(gemmTile(100, 64, 1)).toEqual({ rows: 1, cols: 1 });
    expect(gemmTile(100, 64, 32)).toEqual({ rows: 1, cols: 1 });
    expect(gemmTile(100, 64, 128)).toEqual({ rows: 4, cols: 4 });
    expect(gemmTile(785, 64, 16)).toEqual({ rows: 4, cols: 4 });
    expect(gemmTile(100, 10, 512)).toEqual({ rows: 1, cols: 1 });
  });
});
