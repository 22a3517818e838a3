/**
 * Keras initializers, exactly as Keras defines them, drawn from nnsearch's seeded Rng so every
 * engine starts from the same weights. Kernel shape is [fanIn, fanOut] (a Dense kernel).
 */
import { Rng } from '../rng.js';
import type { Initializer } from '../spec/vocabulary.js';

/** 1 / stddev of a standard normal truncated to [-2, 2] (Keras's VarianceScaling constant). */
export const TRUNCATED_NORMAL_STD_CORRECTION = 0.87962566103423978;

type Mode = 'fan_in' | 'fan_out' | 'fan_avg';
type Distribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/** The VarianceScaling parameters behind each named initializer. */
export const VARIANCE_SCALING: Partial<Record<Initializer, { scale: number; mode: Mode; distribution: Distribution }>> = {
  lecun_uniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  lecun_normal: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
  glorot_uniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  glorot_normal: { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
  he_uniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  he_normal: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' },
};

/** The bound (uniform) or standard deviation (normal) an initializer uses for a kernel shape. */
export function initializerScale(name: Initializer, fanIn: number, fanOut: number): { kind: 'uniform' | 'normal' | 'truncated_normal' | 'zero' | 'orthogonal'; value: number } {
  if (name === 'uniform') return { kind: 'uniform', value: 0.05 };
  if (name === 'normal') return { kind: 'normal', value: 0.05 };
  if (name === 'zero') return { kind: 'zero', value: 0 };
  if (name === 'orthogonal') return { kind: 'orthogonal', value: 1 };
  const vs = VARIANCE_SCALING[name];
  if (!vs) throw new Error(`no initializer ${name}`);
  const n = vs.mode === 'fan_in' ? fanIn : vs.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
  const scale = vs.scale / Math.max(1, n);
  if (vs.distribution === 'uniform') return { kind: 'uniform', value: Math.sqrt(3 * scale) };
  if (vs.distribution === 'untruncated_normal') return { kind: 'normal', value: Math.sqrt(scale) };
  return { kind: 'truncated_normal', value: Math.sqrt(scale) / TRUNCATED_NORMAL_STD_CORRECTION };
}

/**
 * A kernel of rows x cols, row-major: a Dense kernel [fanIn, fanOut], or a Conv2D kernel
 * [kh, kw, cin, cout] seen as [kh*kw*cin, cout] (Keras's own view for Orthogonal), whose fans Keras
 * counts over the receptive field: fan_in = kh*kw*cin, fan_out = kh*kw*cout.
 */
export function initKernel(name: Initializer, rows: number, cols: number, rng: Rng, fans = { fanIn: rows, fanOut: cols }): Float32Array {
  const out = new Float32Array(rows * cols);
  const { kind, value } = initializerScale(name, fans.fanIn, fans.fanOut);
  switch (kind) {
    case 'zero':
      return out;
    case 'uniform':
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-value, value);
      return out;
    case 'normal':
      for (let i = 0; i < out.length; i++) out[i] = rng.normal() * value;
      return out;
    case 'truncated_normal':
      for (let i = 0; i < out.length; i++) out[i] = rng.truncatedNormal() * value;
      return out;
    case 'orthogonal':
      return orthogonal(rows, cols, rng);
  }
}

/**
 * Keras Orthogonal(gain=1): QR of a normal (max x min) matrix with R's diagonal made positive,
 * transposed when there are fewer rows than columns. Modified Gram–Schmidt yields that Q directly.
 */
function orthogonal(rows: number, cols: number, rng: Rng): Float32Array {
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // a: tall x narrow, column-major for Gram–Schmidt
  const a = Array.from({ length: narrow }, () => Float64Array.from({ length: tall }, () => rng.normal()));
  for (let j = 0; j < narrow; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < tall; i++) dot += a[k][i] * a[j][i];
      for (let i = 0; i < tall; i++) a[j][i] -= dot * a[k][i];
    }
    let norm = 0;
    for (let i = 0; i < tall; i++) norm += a[j][i] * a[j][i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < tall; i++) a[j][i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows >= cols ? a[c][r] : a[r][c];
  }
  return out;
}
