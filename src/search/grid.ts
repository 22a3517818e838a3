/**
 * Grid search as an indexable product (sklearn's ParameterGrid): `gridSize` and `gridAt` without
 * building the product. Parameters vary in spec order, the last one fastest.
 */
import { SpecError } from '../errors.js';
import { heldKeys, type Sampler, type SamplerOptions } from './sampler.js';
import { gridValues, isActive, paramsKey, type Params, type ParamSpace, type ParamValue } from './space.js';

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
  return gridCount(space, gridAxes(space));
}

/**
 * How many configurations a grid holds. With conditional parameters (`when`), a parameter that does
 * not apply takes no value, so the grid is a tree rather than a product: counted by walking it,
 * remembering the counts below each combination of the values conditions look at.
 */
export function gridCount(space: ParamSpace, axes: ParamValue[][]): number {
  if (!space.some((p) => p.when?.length)) return axes.reduce((n, axis) => n * axis.length, 1);
  return new ConditionalGrid(space, axes).count(0, {});
}

/** Walking a grid whose parameters may not apply to every configuration (sklearn's list-of-grids order). */
class ConditionalGrid {
  private readonly memo = new Map<string, number>();
  private readonly controllers: string[];

  constructor(
    private readonly space: ParamSpace,
    private readonly axes: ParamValue[][],
  ) {
    this.controllers = [...new Set(space.flatMap((p) => (p.when ?? []).map((c) => c.param)))];
  }

  /** Configurations of parameters i.. given the values chosen before them. */
  count(i: number, chosen: Params): number {
    if (i === this.space.length) return 1;
    const key = `${i}|${JSON.stringify(this.controllers.map((c) => chosen[c] ?? null))}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    const p = this.space[i];
    let n = 0;
    if (!isActive(p, chosen)) n = this.count(i + 1, chosen);
    else {
      for (const v of this.axes[i]) n += this.count(i + 1, { ...chosen, [p.name]: v });
    }
    this.memo.set(key, n);
    return n;
  }

  /** Configuration `index` in grid order (spec order, the last parameter fastest). */
  at(index: number): Params {
    const chosen: Params = {};
    let rest = index;
    for (let i = 0; i < this.space.length; i++) {
      const p = this.space[i];
      if (!isActive(p, chosen)) continue;
      for (const v of this.axes[i]) {
        const below = this.count(i + 1, { ...chosen, [p.name]: v });
        if (rest < below) {
          chosen[p.name] = v;
          break;
        }
        rest -= below;
      }
    }
    return chosen;
  }
}

export function gridAt(space: ParamSpace, index: number, axes: ParamValue[][] = gridAxes(space)): Params {
  const size = gridCount(space, axes);
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`grid index ${index} outside 0..${size - 1}`);
  if (space.some((p) => p.when?.length)) return new ConditionalGrid(space, axes).at(index);
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
  const size = gridCount(space, axes);
  const steps = Math.min(size, held.size + 1);
  for (let k = 0; k < steps; k++) {
    const i = (start + k) % size;
    if (!held.has(paramsKey(space, gridAt(space, i, axes)))) return i;
  }
  return null;
}

/** Every grid index whose configuration `held` does not contain, in grid order. */
export function untriedIndices(space: ParamSpace, held: ReadonlySet<string>, axes: ParamValue[][] = gridAxes(space)): number[] {
  const size = gridCount(space, axes);
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
  const size = gridCount(space, axes);
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
