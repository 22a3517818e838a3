/** Class labels: integers 0..C-1 are used as they are; anything else becomes named classes. */
import { DataError } from '../errors.js';

export interface Classes {
  y: Float32Array;
  nClasses: number;
  classNames?: string[];
}

/**
 * Integer labels 0..C-1 stay as they are, with C = `classes` when given (a label >= C is out of range)
 * or max + 1. Other labels (text, negative, fractional) are named classes, sorted, numbered 0..C-1.
 */
export function labelsToClasses(raw: (string | number)[], classes: number | undefined, where: (i: number) => string, knownNames?: readonly string[]): Classes {
  const n = raw.length;
  if (knownNames) return byName(raw, knownNames, where);
  const nums = raw.map((v) => (typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v)));
  const integral = nums.every((v) => Number.isInteger(v) && v >= 0);
  if (integral) {
    const max = Math.max(...nums);
    const nClasses = classes ?? max + 1;
    const bad = nums.findIndex((v) => v >= nClasses);
    if (bad >= 0) throw new DataError(`${where(bad)}: label ${nums[bad]} out of range 0..${nClasses - 1}`);
    if (nClasses < 2) throw new DataError(`${where(0)}: a classification target needs at least two classes`);
    return { y: Float32Array.from(nums), nClasses };
  }
  if (classes !== undefined) {
    const bad = nums.findIndex((v) => !(Number.isInteger(v) && v >= 0));
    throw new DataError(`${where(bad)}: label '${raw[bad]}' out of range 0..${classes - 1}`);
  }
  const names = [...new Set(raw.map(String))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length < 2) throw new DataError(`${where(0)}: a classification target needs at least two classes`);
  const index = new Map(names.map((s, i) => [s, i]));
  const y = new Float32Array(n);
  raw.forEach((v, i) => (y[i] = index.get(String(v)) as number));
  return { y, nClasses: names.length, classNames: names };
}

/** Labels given by the class names a model was trained with (predict on a model's own vocabulary). */
function byName(raw: (string | number)[], names: readonly string[], where: (i: number) => string): Classes {
  const index = new Map(names.map((s, i) => [s, i]));
  const y = new Float32Array(raw.length);
  raw.forEach((v, i) => {
    const k = index.get(String(v).trim());
    if (k === undefined) throw new DataError(`${where(i)}: label '${v}' is not one of the model's classes (${names.join(', ')})`);
    y[i] = k;
  });
  return { y, nClasses: names.length, classNames: [...names] };
}
