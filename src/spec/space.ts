/**
 * Building the search space from a spec's `params` section: each definition checked against the
 * searched field's own schema and turned into a distribution. Pure.
 */
import type { Condition, Distribution, ParamSpace, ParamValue } from '../search/space.js';
import { nestedField, type NestedField } from './layers-spec.js';
import { fieldSchema, isIntField, isNumericField, sectionOf, SEARCHABLE_FIELDS, zodMessage, type ParamDef, type RangeDef, type SpecIssue } from './schema.js';

/** Builds the space from `params`, appending any problems to `issues`. */
export function buildSpace(defs: Record<string, ParamDef>, issues: SpecIssue[], model: { layers?: unknown; conv_blocks?: unknown } = {}): ParamSpace {
  const space: ParamSpace = [];
  const seen = new Set<string>();
  for (const [key, def] of Object.entries(defs)) {
    const name = key.replace(/^(model|train)\./, '');
    const at = ['params', key];
    const nested = nestedField(name, model);
    if (typeof nested === 'string') {
      issues.push({ path: at, message: nested });
      continue;
    }
    const section = nested ? 'model' : sectionOf(name);
    if (!section) {
      issues.push({ path: at, message: `unknown parameter (searchable: ${[...SEARCHABLE_FIELDS.model, ...SEARCHABLE_FIELDS.train].join(', ')})` });
      continue;
    }
    if (seen.has(name)) {
      issues.push({ path: at, message: `'${name}' is searched twice` });
      continue;
    }
    seen.add(name);
    const field: NestedField = nested ?? { schema: fieldSchema(name), numeric: isNumericField(name), int: isIntField(name) };
    const dist = Array.isArray(def)
      ? categorical(field, def, at, issues)
      : 'values' in def
        ? categorical(field, def.values, [...at, 'values'], issues)
        : 'value' in def
          ? categorical(field, [def.value], [...at, 'value'], issues)
          : range(name, field, def, at, issues);
    if (!dist) continue;
    const when = !Array.isArray(def) && def.when !== undefined ? conditions(def.when, space, [...at, 'when'], issues) : undefined;
    if (when === null) continue;
    space.push(when ? { name, section, dist, when } : { name, section, dist });
  }
  return space;
}

/**
 * The conditions of `when: {param: value | [values]}`: each names a parameter searched before this
 * one, with values it can take. Null (and issues) when one does not.
 */
function conditions(when: Record<string, ParamValue | ParamValue[]>, before: ParamSpace, at: (string | number)[], issues: SpecIssue[]): Condition[] | null {
  const out: Condition[] = [];
  const count = issues.length;
  for (const [key, raw] of Object.entries(when)) {
    const name = key.replace(/^(model|train)\./, '');
    const target = before.find((p) => p.name === name);
    if (!target) {
      issues.push({ path: [...at, key], message: `'${name}' must be a parameter searched before this one (params are read in order)` });
      continue;
    }
    const values = Array.isArray(raw) && target.dist.kind === 'categorical' && !target.dist.choices.some((c) => Array.isArray(c)) ? raw : [raw as ParamValue];
    for (const v of values) {
      const d = target.dist;
      const ok = d.kind === 'categorical' ? d.choices.some((c) => JSON.stringify(c) === JSON.stringify(v)) : typeof v === 'number' && v >= d.low && v <= d.high;
      if (!ok) issues.push({ path: [...at, key], message: `${JSON.stringify(v)} is not a value '${name}' takes${d.kind === 'categorical' ? ` (its values: ${d.choices.map((c) => JSON.stringify(c)).join(', ')})` : ` (${d.low}..${d.high})`}` });
    }
    out.push({ param: name, values });
  }
  if (out.length === 0 && issues.length === count) issues.push({ path: at, message: 'name at least one parameter, e.g. when: {optimizer: [sgd, rmsprop]}' });
  return issues.length > count ? null : out;
}

function categorical(field: NestedField, values: ParamValue[], at: (string | number)[], issues: SpecIssue[]): Distribution | null {
  const schema = field.schema;
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
    const canonical = (field.keepRaw ? v : r.data) as ParamValue;
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

function range(name: string, field: NestedField, def: RangeDef, at: (string | number)[], issues: SpecIssue[]): Distribution | null {
  const before = issues.length;
  const schema = field.schema;
  if (!field.numeric) {
    issues.push({ path: at, message: `min/max ranges only apply to numeric fields; list the values of '${name}' instead` });
    return null;
  }
  const log = def.log ?? def.distribution === 'log_uniform_values';
  if (log && def.min <= 0) issues.push({ path: [...at, 'min'], message: `must be > 0 when log is true (got ${def.min})` });
  const isInt = def.type === 'int' || def.distribution === 'int_uniform' || (def.type === undefined && field.int);
  for (const bound of ['min', 'max'] as const) {
    if (bound === 'min' && log && def.min <= 0) continue;
    if (isInt && !Number.isInteger(def[bound])) continue; // reported below, once, for both bounds
    const r = schema.safeParse(def[bound], { reportInput: true });
    if (!r.success) issues.push({ path: [...at, bound], message: zodMessage(r.error) });
  }
  const step = def.step ?? def.q;
  if (def.type === 'float' && field.int) issues.push({ path: [...at, 'type'], message: `'${name}' takes integers` });
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
