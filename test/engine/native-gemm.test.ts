/**
 * The native trainer's blocked matrix products (native/gemm.cc): every SIMD path this CPU runs, and
 * the portable one, against a plain triple loop on shapes that are not multiples of any tile or
 * cache block; then the whole trainer on each path against Keras's golden values and the tfjs engine.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NativeEngine, loadNativeAddon } from '../../src/engine/native-engine.js';
import { TfjsEngine } from '../../src/engine/tfjs-engine.js';
import { packageRoot } from '../../src/paths.js';
import { Rng } from '../../src/rng.js';
import { blobs, jobFor } from '../fixtures/synthetic.js';
import { checkGoldenCase, checkStackMatchesSingles, golden } from './keras-golden.js';

/** The addon's entries for tests and benchmarks (not part of the engine's interface). */
interface NativeKernels {
  kernels(): { isa: string; best: string; supported: string[]; optimizer: string };
  setIsa(name: string): boolean;
  gemm(M: number, N: number, K: number, A: Float32Array, lda: number, transA: boolean, B: Float32Array, ldb: number, transB: boolean, bias: Float32Array | null, isa: string): Float32Array;
}

const addon = loadNativeAddon() as unknown as NativeKernels | null;
const supported = addon?.kernels().supported ?? [];

interface Operands {
  M: number;
  N: number;
  K: number;
  A: Float32Array;
  lda: number;
  transA: boolean;
  B: Float32Array;
  ldb: number;
  transB: boolean;
  bias: Float32Array | null;
}

/** Random operands; `pad` widens the leading dimensions beyond the matrix, as a view into a larger one would. */
function operands(M: number, N: number, K: number, transA: boolean, transB: boolean, withBias: boolean, draw: () => number, pad = 0): Operands {
  const lda = (transA ? M : K) + pad;
  const ldb = (transB ? K : N) + pad;
  const fill = (n: number) => Float32Array.from({ length: n }, draw);
  return { M, N, K, A: fill((transA ? K : M) * lda), lda, transA, B: fill((transB ? N : K) * ldb), ldb, transB, bias: withBias ? fill(N) : null };
}

/** C = op(A) op(B) (+ bias) in double, and the sum of |terms| of each element (the rounding scale). */
function reference(o: Operands): { c: Float64Array; scale: Float64Array } {
  const c = new Float64Array(o.M * o.N);
  const scale = new Float64Array(o.M * o.N);
  for (let i = 0; i < o.M; i++)
    for (let j = 0; j < o.N; j++) {
      let s = o.bias ? o.bias[j] : 0;
      let t = Math.abs(s);
      for (let p = 0; p < o.K; p++) {
        const a = o.transA ? o.A[p * o.lda + i] : o.A[i * o.lda + p];
        const b = o.transB ? o.B[j * o.ldb + p] : o.B[p * o.ldb + j];
        s += a * b;
        t += Math.abs(a * b);
      }
      c[i * o.N + j] = s;
      scale[i * o.N + j] = t;
    }
  return { c, scale };
}

function run(o: Operands, isa: string): Float32Array {
  return addon!.gemm(o.M, o.N, o.K, o.A, o.lda, o.transA, o.B, o.ldb, o.transB, o.bias, isa);
}

// M x N x K: single rows and columns, sizes one past a tile (MR 4/6/12, NR 8/16/32) or a block (kc
// 256/1024, mc 128/240), a first layer's products, right edges narrower than every NR and exactly
// half of one (the half-width tiles), N past nc (4096, or fewer columns when the sum is deep), and
// row-major A with rows 4 KB apart (packed) over several row and depth blocks.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 65],
  [7, 1, 13],
  [7, 65, 1],
  [13, 33, 129],
  [12, 32, 128],
  [25, 17, 257],
  [37, 300, 31],
  [65, 7, 1025],
  [100, 64, 784],
  [130, 257, 7],
  [241, 65, 300],
  [1025, 33, 5],
  [3, 4100, 2],
  [9, 8, 40],
  [19, 48, 70],
  [40, 200, 1000],
  [26, 40, 1024],
  [250, 40, 2048],
];
const LAYOUTS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

describe.skipIf(!addon)('native blocked GEMM on each SIMD path', () => {
  it('knows the portable path and names the active one among those this CPU supports', () => {
    const k = addon!.kernels();
    expect(k.supported).toContain('portable');
    expect(k.supported).toContain(k.isa);
    expect(k.supported).toContain(k.best);
    expect(k.optimizer).toBe(k.isa === 'portable' ? 'portable' : 'avx2');
  });

  for (const isa of supported) {
    it(`${isa}: exact on small integers, every layout, odd shapes`, () => {
      // integers in -3..3: every product and partial sum is exact in float32, so any order of
      // summation, with or without FMA, must give the reference exactly
      const rng = new Rng(11);
      const int = () => rng.int(7) - 3;
      for (const [M, N, K] of SHAPES)
        for (const [transA, transB] of LAYOUTS)
          for (const withBias of [false, true]) {
            const o = operands(M, N, K, transA, transB, withBias, int, (M + N) % 3);
            const { c } = reference(o);
            const got = run(o, isa);
            let bad = -1;
            for (let i = 0; i < c.length && bad < 0; i++) if (got[i] !== c[i]) bad = i;
            expect(bad, `${M}x${N}x${K} transA=${transA} transB=${transB} bias=${withBias}: element ${bad} is ${got[bad]}, expected ${c[bad]}`).toBe(-1);
          }
    });

    it(`${isa}: real values within the float32 rounding bound`, () => {
      const rng = new Rng(12);
      const u = () => rng.uniform(-1, 1);
      for (const [M, N, K] of SHAPES)
        for (const [transA, transB] of LAYOUTS) {
          const o = operands(M, N, K, transA, transB, true, u);
          const { c, scale } = reference(o);
          const got = run(o, isa);
          // |fl(sum) - sum| <= gamma_(K+1) * sum |terms|, whatever the order (Higham, 3.1)
          const gamma = ((K + 1) * 2 ** -24) / (1 - (K + 1) * 2 ** -24);
          let worst = 0;
          for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(got[i] - c[i]) / (gamma * scale[i] + 1e-30));
          expect(worst, `${M}x${N}x${K} transA=${transA} transB=${transB}`).toBeLessThanOrEqual(1);
        }
    });
  }

  it('rejects an unknown path and operands smaller than their layout', () => {
    const a = new Float32Array(6);
    expect(() => addon!.gemm(2, 2, 3, a, 3, false, a, 2, false, null, 'sse9')).toThrow(/isa/);
    expect(() => addon!.gemm(3, 2, 3, a, 3, false, a, 2, false, null, 'portable')).toThrow(/smaller/);
    expect(addon!.setIsa('sse9')).toBe(false);
  });

  it('NNSEARCH_NATIVE_ISA forces the path at load, and an unknown value leaves the best', () => {
    const path = join(packageRoot(), 'native/build/Release/nnsearch_native.node');
    const isaWith = (value: string) =>
      spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(path)}).kernels().isa)`], { env: { ...process.env, NNSEARCH_NATIVE_ISA: value }, encoding: 'utf8' }).stdout;
    expect(isaWith('portable')).toBe('portable');
    expect(isaWith('no-such-isa')).toBe(addon!.kernels().best);
  });
});

describe.skipIf(!addon)('the native trainer on each SIMD path', () => {
  const original = addon?.kernels().isa ?? 'portable';
  afterAll(() => {
    addon?.setIsa(original);
  });

  for (const isa of supported) {
    it(`${isa}: every Keras golden case`, async () => {
      expect(addon!.setIsa(isa)).toBe(true);
      const engine = NativeEngine.create()!;
      for (const c of golden.cases) await checkGoldenCase(engine, c, expect);
    });

    it(`${isa}: a 37-65-33-5 network with batches of 19 equals the tfjs engine after 2 epochs`, async () => {
      expect(addon!.setIsa(isa)).toBe(true);
      const ds = blobs(240, 37, 5, 3, 0.8);
      const spec = 'model:\n  units: [65, 33]\n  optimizer: adam\n  learning_rate: 0.01\ntrain:\n  epochs: 2\n  batch_size: 19\n';
      const jobs = [jobFor(ds, spec, {}, 1), jobFor(ds, spec, {}, 2)];
      await checkStackMatchesSingles(NativeEngine.create()!, await TfjsEngine.create('wasm'), jobs, 2, 1e-4, expect);
    });
  }
});
