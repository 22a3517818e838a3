/**
 * Grid search as an indexable product (sklearn's ParameterGrid): `gridSize` and `gridAt` without
 * building the product. Parameters vary in spec order, the last one fastest.
 */
import { SpecError } from '../errors.js';
import { heldKeys, type Sampler, type SamplerOptions } from './sampler.js';
import { gridValues, paramsKey, type Params, type ParamSpace, type ParamValue } from './space.js';

/** The values of every parameter; throws SpecError naming the first continuous one. */
export function gridAxes(space: ParamSpace): ParamValue[][] {
  return space.map((p) => {
    const values = gridValues(p.dist);
    if (!values) {
      throw new SpecError(`params.${p.name}: grid search needs a list of values or a step (a continuous {min, max} range only works with random or bayes)`);
    }
    return values;
  });
}

export function gridSize(space: ParamSpace): number {
  return gridAxes(space).reduce((n, axis) => n * axis.length, 1);
}

export function gridAt(space: ParamSpace, index: number, axes: ParamValue[][] = gridAxes(space)): Params {
  const size = axes.reduce((n, axis) => n * axis.length, 1);
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`grid index ${index} outside 0..${size - 1}`);
  const params: Params = {};
  let rest = index;
  for (let i = space.length - 1; i >= 0; i--) {
    const axis = axes[i];
    params[space[i].name] = axis[rest % axis.length];
    rest = Math.floor(rest / axis.length);
  }
  // keep spec order in the object
  return Object.fromEntries(space.map((p) => [p.name, params[p.name]]));
}

/**
 * The first grid index at or after `start` (wrapping around) whose configuration `held` does not
 * contain, or null when every one is held. Looks at most `held.size + 1` indices, so it stays cheap
 * in grids far larger than the study.
 */
export function nextUntriedIndex(space: ParamSpace, held: ReadonlySet<string>, start: number, axes: ParamValue[][] = gridAxes(space)): number | null {
  const size = axes.reduce((n, axis) => n * axis.length, 1);
  const steps = Math.min(size, held.size + 1);
  for (let k = 0; k < steps; k++) {
    const i = (start + k) % size;
    if (!held.has(paramsKey(space, gridAt(space, i, axes)))) return i;
  }
  return null;
}

/** Every grid index whose configuration `held` does not contain, in grid order. */
export function untriedIndices(space: ParamSpace, held: ReadonlySet<string>, axes: ParamValue[][] = gridAxes(space)): number[] {
  const size = axes.reduce((n, axis) => n * axis.length, 1);
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (!held.has(paramsKey(space, gridAt(space, i, axes)))) out.push(i);
  return out;
}

/**
 * Point `index` of the grid; when the study already holds that configuration (trials another
 * sampler made in the same study), the next one in grid order that it does not hold; null once
 * the grid is exhausted. A study searched by the grid alone gets point `index` exactly.
 */
export function gridSampler({ space }: Pick<SamplerOptions, 'space'>): Sampler {
  const axes = gridAxes(space);
  const size = axes.reduce((n, axis) => n * axis.length, 1);
  return {
    name: 'grid',
    size,
    propose: (index, history) => {
      if (index >= size) return null;
      const params = gridAt(space, index, axes);
      if (history.length === 0) return params;
      const held = heldKeys(space, history);
      if (!held.has(paramsKey(space, params))) return params;
      const i = nextUntriedIndex(space, held, index, axes);
      return i === null ? null : gridAt(space, i, axes);
    },
  };
}
