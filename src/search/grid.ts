/**
 * Grid search as an indexable product (sklearn's ParameterGrid): `gridSize` and `gridAt` without
 * building the product. Parameters vary in spec order, the last one fastest.
 */
import { SpecError } from '../errors.js';
import type { Sampler, SamplerOptions } from './sampler.js';
import { gridValues, type Params, type ParamSpace, type ParamValue } from './space.js';

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

export function gridSampler({ space }: Pick<SamplerOptions, 'space'>): Sampler {
  const axes = gridAxes(space);
  const size = axes.reduce((n, axis) => n * axis.length, 1);
  return { name: 'grid', size, propose: (index) => gridAt(space, index, axes) };
}
