/**
 * The search space: one distribution per searched field (Optuna's vocabulary), built and checked
 * from the spec's `params` section. Pure.
 */
import type { SpecIssue } from './spec.js';
import { fieldSchema, isIntField, isNumericField, sectionOf, SEARCHABLE_FIELDS, zodMessage, type ParamDef, type RangeDef } from './spec.js';

export type ParamValue = null | boolean | number | string | ParamValue[];
export type Params = Record<string, ParamValue>;

export type Distribution =
  | { kind: 'categorical'; choices: ParamValue[] }
  | { kind: 'float'; low: number; high: number; log: boolean; step: number | null }
  | { kind: 'int'; low: number; high: number; log: boolean; step: number };

export interface Param {
  /** The field's bare name, e.g. `init`, `learning_rate`, `batch_size`. */
  name: string;
  section: 'model' | 'train';
  dist: Distribution;
}

export type ParamSpace = Param[];

/** Builds the space from `params`, appending any problems to `issues`. */
export function buildSpace(defs: Record<string, ParamDef>, issues: SpecIssue[]): ParamSpace {
  const space: ParamSpace = [];
  const seen = new Set<string>();
  for (const [key, def] of Object.entries(defs)) {
    const name = key.replace(/^(model|train)\./, '');
    const at = ['params', key];
    const section = sectionOf(name);
    if (!section) {
      issues.push({ path: at, message: `unknown parameter (searchable: ${[...SEARCHABLE_FIELDS.model, ...SEARCHABLE_FIELDS.train].join(', ')})` });
      continue;
    }
    if (seen.has(name)) {
      issues.push({ path: at, message: `'${name}' is searched twice` });
      continue;
    }
    seen.add(name);
    const dist = Array.isArray(def)
      ? categorical(name, def, at, issues)
      : 'values' in def
        ? categorical(name, def.values, [...at, 'values'], issues)
        : 'value' in def
          ? categorical(name, [def.value], [...at, 'value'], issues)
          : range(name, def, at, issues);
    if (dist) space.push({ name, section, dist });
  }
  return space;
}

function categorical(name: string, values: ParamValue[], at: (string | number)[], issues: SpecIssue[]): Distribution | null {
  const schema = fieldSchema(name);
  const choices: ParamValue[] = [];
  const keys = new Set<string>();
  let ok = true;
  values.forEach((v, i) => {
    const r = schema.safeParse(v, { reportInput: true });
    if (!r.success) {
      ok = false;
      issues.push({ path: [...at, i], message: zodMessage(r.error) });
      return;
    }
    const canonical = r.data as ParamValue;
    const k = JSON.stringify(canonical);
    if (keys.has(k)) {
      ok = false;
      issues.push({ path: [...at, i], message: `duplicate value ${k}` });
      return;
    }
    keys.add(k);
    choices.push(canonical);
  });
  return ok ? { kind: 'categorical', choices } : null;
}

function range(name: string, def: RangeDef, at: (string | number)[], issues: SpecIssue[]): Distribution | null {
  const before = issues.length;
  const schema = fieldSchema(name);
  if (!isNumericField(name)) {
    issues.push({ path: at, message: `min/max ranges only apply to numeric fields; list the values of '${name}' instead` });
    return null;
  }
  const log = def.log ?? def.distribution === 'log_uniform_values';
  if (log && def.min <= 0) issues.push({ path: [...at, 'min'], message: `must be > 0 when log is true (got ${def.min})` });
  const isInt = def.type === 'int' || def.distribution === 'int_uniform' || (def.type === undefined && isIntField(name));
  for (const bound of ['min', 'max'] as const) {
    if (bound === 'min' && log && def.min <= 0) continue;
    if (isInt && !Number.isInteger(def[bound])) continue; // reported below, once, for both bounds
    const r = schema.safeParse(def[bound], { reportInput: true });
    if (!r.success) issues.push({ path: [...at, bound], message: zodMessage(r.error) });
  }
  const step = def.step ?? def.q;
  if (def.type === 'float' && isIntField(name)) issues.push({ path: [...at, 'type'], message: `'${name}' takes integers` });
  if (def.q !== undefined && def.distribution !== 'q_uniform') issues.push({ path: [...at, 'q'], message: "q goes with distribution: q_uniform (or use step)" });
  if (def.min > def.max) issues.push({ path: at, message: `min (${def.min}) > max (${def.max})` });
  if (log && step !== undefined) issues.push({ path: [...at, 'step'], message: 'cannot be combined with log: true' });
  if (isInt && (!Number.isInteger(def.min) || !Number.isInteger(def.max))) {
    issues.push({ path: at, message: `integer parameter needs integer min and max (got ${def.min}, ${def.max})` });
  }
  if (isInt && step !== undefined && !Number.isInteger(step)) issues.push({ path: [...at, 'step'], message: 'must be an integer for an integer parameter' });
  if (issues.length > before) return null;
  if (isInt) return { kind: 'int', low: def.min, high: def.max, log, step: step ?? 1 };
  return { kind: 'float', low: def.min, high: def.max, log, step: step ?? null };
}

/** The finite list of values a grid takes for one distribution, or null when it is continuous. */
export function gridValues(dist: Distribution): ParamValue[] | null {
  if (dist.kind === 'categorical') return dist.choices;
  if (dist.kind === 'float' && dist.step === null) return dist.low === dist.high ? [dist.low] : null;
  const step = dist.step as number;
  const n = Math.floor((dist.high - dist.low) / step + 1e-9) + 1;
  return Array.from({ length: n }, (_, i) => roundStep(dist.low + i * step, step));
}

/** Removes float noise from low + i * step (0.1 * 3 -> 0.3, not 0.30000000000000004). */
export function roundStep(v: number, step: number): number {
  const decimals = Math.max(0, Math.min(12, -Math.floor(Math.log10(step)) + 6));
  return Number(v.toFixed(decimals));
}

/**
 * Canonical string key of a configuration: its values in the space's order, as JSON (field order
 * and extra fields do not matter; a value and its JSON round trip give the same key). Two trials
 * with the same key train the same model: samplers and the storage use it to refuse repeats.
 */
export function paramsKey(space: ParamSpace, params: Params): string {
  return JSON.stringify(space.map((p) => params[p.name] ?? null));
}

/** How many distinct values a distribution takes (Infinity for a continuous float range). */
export function distributionSize(dist: Distribution): number {
  return gridValues(dist)?.length ?? Infinity;
}

/**
 * How many distinct configurations the space holds: the product of its parameters' sizes, or
 * Infinity as soon as one parameter is a continuous float range. An empty space holds one (`{}`).
 */
export function spaceSize(space: ParamSpace): number {
  return space.reduce((n, p) => n * distributionSize(p.dist), 1);
}
