/**
 * The shape of one `params` entry, checked before zod so that the message names the real problem:
 * a NaN or infinite value, the vocabulary of another tool (Optuna's low/high/choices, W&B's
 * distributions), or a misspelt key ("did you mean 'max'?"). Pure.
 */
import type { SpecIssue } from './schema.js';
import { didYouMean } from './suggest.js';

type Path = (string | number)[];

const RANGE_KEYS = ['min', 'max', 'log', 'type', 'step', 'distribution', 'q'];
const FORM_KEYS = ['values', 'value', ...RANGE_KEYS];
const SUPPORTED_DISTRIBUTIONS = ['uniform', 'log_uniform_values', 'int_uniform', 'q_uniform'];

/** Keys other tools use, and what nnsearch calls them. */
const FOREIGN_KEYS: Record<string, string> = {
  low: "use min (Optuna's low is nnsearch's min)",
  high: "use max (Optuna's high is nnsearch's max)",
  choices: "use values (Optuna's choices are nnsearch's values)",
  mu: "normal distributions are not supported (W&B's mu/sigma): give min and max, with log: true for a log scale",
  sigma: "normal distributions are not supported (W&B's mu/sigma): give min and max, with log: true for a log scale",
};

/** W&B distributions nnsearch does not take as they are, with what to write instead. */
const FOREIGN_DISTRIBUTIONS: Record<string, string> = {
  categorical: 'a list of choices needs no distribution: write values: [...]',
  constant: 'a constant needs no distribution: write value: x',
  log_uniform: "W&B's log_uniform takes exponents of e; write min and max as values with distribution: log_uniform_values (or log: true)",
  inv_log_uniform: 'not supported; write min and max with log: true',
  q_log_uniform: 'not supported; write min and max with log: true, or values: [...]',
  q_log_uniform_values: 'not supported; write min and max with log: true, or values: [...]',
  normal: 'normal distributions are not supported; write min and max (with log: true for a log scale)',
  q_normal: 'normal distributions are not supported; write min and max with step',
  log_normal: 'normal distributions are not supported; write min and max with log: true',
  q_log_normal: 'normal distributions are not supported; write min and max with log: true',
  int_uniform_values: 'write min and max with type: int',
};

function describeNumber(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function checkValue(v: unknown, at: Path, out: SpecIssue[]): void {
  if (typeof v === 'number' && !Number.isFinite(v)) out.push({ path: at, message: `${describeNumber(v)} is not a usable value (give a finite number)` });
  else if (Array.isArray(v)) v.forEach((x, i) => checkValue(x, [...at, i], out));
}

/** Problems with the shape of one params entry that zod would word poorly; empty when zod should judge it. */
export function paramDefShapeIssues(raw: unknown, at: Path): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (Array.isArray(raw)) {
    raw.forEach((v, i) => checkValue(v, [...at, i], out));
    return out;
  }
  if (raw === null || typeof raw !== 'object') return out;
  const def = raw as Record<string, unknown>;
  const keys = Object.keys(def);
  for (const k of keys) {
    if (FORM_KEYS.includes(k)) continue;
    if ((k === 'mu' || k === 'sigma') && typeof def.distribution === 'string') continue; // said with the distribution
    if (k in FOREIGN_KEYS) out.push({ path: [...at, k], message: `unknown key: ${FOREIGN_KEYS[k]}` });
    else {
      const guess = didYouMean(k, FORM_KEYS);
      out.push({ path: [...at, k], message: guess ? `unknown key (did you mean '${guess}'?)` : `unknown key (expected values, value, or min and max with log, type, step, distribution)` });
    }
  }
  const dist = def.distribution;
  if (typeof dist === 'string' && !SUPPORTED_DISTRIBUTIONS.includes(dist)) {
    out.push({ path: [...at, 'distribution'], message: `'${dist}' is not supported (supported: ${SUPPORTED_DISTRIBUTIONS.join(', ')})${dist in FOREIGN_DISTRIBUTIONS ? `: ${FOREIGN_DISTRIBUTIONS[dist]}` : ''}` });
  }
  if ('values' in def) checkValue(def.values, [...at, 'values'], out);
  if ('value' in def) checkValue(def.value, [...at, 'value'], out);
  for (const bound of ['min', 'max', 'step', 'q'] as const) {
    const v = def[bound];
    if (typeof v === 'number' && !Number.isFinite(v)) out.push({ path: [...at, bound], message: `must be a finite number, got ${describeNumber(v)}` });
  }
  if (out.length > 0) return out;
  const hasMin = 'min' in def;
  const hasMax = 'max' in def;
  if (!('values' in def) && !('value' in def)) {
    if (hasMin !== hasMax) out.push({ path: [...at, hasMin ? 'max' : 'min'], message: `is required with ${hasMin ? 'min' : 'max'} (a range needs both)` });
    else if (!hasMin) out.push({ path: at, message: 'expected a list of values, {values: [...]}, {value: x} or {min, max}' });
  }
  return out;
}
