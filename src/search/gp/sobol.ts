/**
 * Sobol low-discrepancy points (Joe & Kuo direction numbers, Gray-code order), randomized with a
 * seeded digital shift so different seeds give different, equally well-spread point sets.
 */
import { Rng } from '../../rng.js';
import { SOBOL_DIRECTIONS } from './sobol-directions.js';

const BITS = 32;

export const SOBOL_MAX_DIMS = SOBOL_DIRECTIONS.length;

/** Direction integers V[j][k] (k = 0..31) for dimension j. */
function directions(dim: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let j = 0; j < dim; j++) {
    const v = new Uint32Array(BITS);
    if (j === 0) {
      for (let k = 0; k < BITS; k++) v[k] = (1 << (BITS - 1 - k)) >>> 0;
    } else {
      const [poly, init] = SOBOL_DIRECTIONS[j];
      const s = Math.floor(Math.log2(poly));
      const m = new Array<number>(BITS);
      for (let k = 0; k < s; k++) m[k] = init[k];
      for (let k = s; k < BITS; k++) {
        // m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^s m_{k-s} ^ m_{k-s}
        let next = m[k - s] ^ (m[k - s] * 2 ** s);
        for (let l = 1; l < s; l++) {
          if ((poly >> (s - l)) & 1) next ^= m[k - l] * 2 ** l;
        }
        m[k] = next;
      }
      for (let k = 0; k < BITS; k++) v[k] = (m[k] * 2 ** (BITS - 1 - k)) >>> 0;
    }
    out.push(v);
  }
  return out;
}

/** The first `count` points of a `dim`-dimensional Sobol sequence, optionally digitally shifted. */
export function sobolPoints(dim: number, count: number, seed: number | null = null, skip = 0): Float64Array[] {
  if (dim > SOBOL_MAX_DIMS) throw new RangeError(`sobol: at most ${SOBOL_MAX_DIMS} dimensions`);
  const V = directions(dim);
  const shift = new Uint32Array(dim);
  if (seed !== null) {
    const rng = new Rng(seed);
    for (let j = 0; j < dim; j++) shift[j] = rng.nextUint32();
  }
  const x = new Uint32Array(dim);
  const out: Float64Array[] = [];
  for (let i = 0; i < skip + count; i++) {
    if (i >= skip) out.push(Float64Array.from(x, (v, j) => ((v ^ shift[j]) >>> 0) / 2 ** BITS));
    // Gray code: flip the direction of the lowest zero bit of i
    let c = 0;
    while ((i >> c) & 1) c++;
    for (let j = 0; j < dim; j++) x[j] = (x[j] ^ V[j][c]) >>> 0;
  }
  return out;
}
