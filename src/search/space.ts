/**
 * The search space: one distribution per searched field (Optuna's vocabulary). Pure types and the
 * arithmetic samplers need; building a space from a spec's `params` lives in spec/space.ts.
 */
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
  /** A conditional parameter applies only when all of these hold (and is absent from configurations otherwise). */
  when?: Condition[];
}

export type ParamSpace = Param[];

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

/** A configuration's identity within a study: its params as JSON with sorted keys. */
export function configKey(params: Params): string {
  return JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
}

/** A condition of a conditional parameter: it applies only while `param` takes one of `values`. */
export interface Condition {
  param: string;
  values: ParamValue[];
}

/** Whether a parameter applies to a configuration: every condition met (unconditional ones always). */
export function isActive(param: Param, params: Params): boolean {
  return (param.when ?? []).every((c) => params[c.param] !== undefined && c.values.some((v) => JSON.stringify(v) === JSON.stringify(params[c.param])));
}

/** A configuration without the parameters that do not apply to it (in space order). */
export function activeOnly(space: ParamSpace, params: Params): Params {
  const out: Params = {};
  for (const p of space) if (params[p.name] !== undefined && isActive(p, out)) out[p.name] = params[p.name];
  return out;
}

/**
 * Canonical string key of a configuration: its values in the space's order, as JSON (field order
 * and extra fields do not matter; a value and its JSON round trip give the same key). Two trials
 * with the same key train the same model: samplers and the storage use it to refuse repeats.
 */
export function paramsKey(space: ParamSpace, params: Params): string {
  const active = space.some((p) => p.when?.length) ? activeOnly(space, params) : params;
  return JSON.stringify(space.map((p) => active[p.name] ?? null));
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
  const size = space.reduce((n, p) => n * distributionSize(p.dist), 1);
  // conditional parameters: fewer configurations than the product (the grid counts them)
  return Number.isFinite(size) && space.some((p) => p.when?.length) ? conditionalCount(space) : size;
}

/** Configurations of a finite space with conditional parameters (a parameter that does not apply takes no value). */
function conditionalCount(space: ParamSpace): number {
  const controllers = [...new Set(space.flatMap((p) => (p.when ?? []).map((c) => c.param)))];
  const memo = new Map<string, number>();
  const count = (i: number, chosen: Params): number => {
    if (i === space.length) return 1;
    const key = `${i}|${JSON.stringify(controllers.map((c) => chosen[c] ?? null))}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const p = space[i];
    const n = !isActive(p, chosen) ? count(i + 1, chosen) : (gridValues(p.dist) ?? []).reduce<number>((sum, v) => sum + count(i + 1, { ...chosen, [p.name]: v }), 0);
    memo.set(key, n);
    return n;
  };
  return count(0, {});
}
