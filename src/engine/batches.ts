/**
 * Assembling mini-batches from a fold: rows gathered from the shared dataset, scaled with the fold's
 * scaler, targets encoded for the output layer (one-hot for several classes, one column otherwise).
 */
import type { FoldData, Scaler } from './runtime.js';

export interface Batch {
  x: Float32Array;
  y: Float32Array;
  /** The dataset rows the batch holds. */
  rows: Int32Array;
}

export class Batcher {
  readonly d: number;
  /** Target columns: classes for a softmax output, else 1. */
  readonly targetWidth: number;

  constructor(private readonly data: FoldData, outputDim: number) {
    this.d = data.d;
    this.targetWidth = outputDim;
  }

  /** Batch of `count` fit samples, in `order` (indices into data.fit) from position `start`. */
  trainBatch(order: Int32Array, start: number, count: number): Batch {
    const rows = new Int32Array(count);
    for (let i = 0; i < count; i++) rows[i] = this.data.fit[order[start + i]];
    return this.gather(rows);
  }

  /** `count` rows of an index list (validation or test), from position `start`. */
  rows(list: Int32Array, start: number, count: number): Batch {
    return this.gather(list.subarray(start, start + count));
  }

  gather(rows: Int32Array): Batch {
    const { x, y, d, scaler } = this.data;
    const count = rows.length;
    const bx = takeRows(x, d, rows, scaler);
    const w = this.targetWidth;
    const by = new Float32Array(count * w);
    const oneHot = this.data.task === 'classification' && w > 1;
    for (let r = 0; r < count; r++) {
      if (oneHot) by[r * w + y[rows[r]]] = 1;
      else by[r] = y[rows[r]];
    }
    return { x: bx, y: by, rows: Int32Array.from(rows) };
  }
}

/** Gathers `rows` of x (n x d) into a new matrix, scaled when a scaler is given. */
export function takeRows(x: Float32Array, d: number, rows: ArrayLike<number>, scaler: Scaler | null): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r] * d;
    const dst = r * d;
    if (scaler) {
      for (let j = 0; j < d; j++) out[dst + j] = (x[src + j] - scaler.offset[j]) * scaler.factor[j];
    } else {
      out.set(x.subarray(src, src + d), dst);
    }
  }
  return out;
}
