/**
 * Standard test functions for samplers (all minimized), as objective modules: {name, space, f}.
 * Optima: Branin 0.397887; Hartmann6 -3.32237; Rosenbrock 0 at (1, ..., 1); Ackley 0 at 0.
 */
import type { Params, ParamSpace } from '../src/search/space.js';

export interface Objective {
  name: string;
  space: ParamSpace;
  f: (p: Params) => number;
  /** The known minimum, when there is one. */
  optimum?: number;
}

const float = (name: string, low: number, high: number): ParamSpace[number] => ({ name, section: 'model', dist: { kind: 'float', low, high, log: false, step: null } });
const xs = (p: Params, n: number) => Array.from({ length: n }, (_, i) => p[`x${i}`] as number);

export const branin: Objective = {
  name: 'branin',
  space: [float('x0', -5, 10), float('x1', 0, 15)],
  optimum: 0.397887,
  f: (p) => {
    const [x1, x2] = xs(p, 2);
    const a = 1;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    const r = 6;
    const s = 10;
    const t = 1 / (8 * Math.PI);
    return a * (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - t) * Math.cos(x1) + s;
  },
};

const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));
const H_ALPHA = [1.0, 1.2, 3.0, 3.2];

export const hartmann6: Objective = {
  name: 'hartmann6',
  space: Array.from({ length: 6 }, (_, i) => float(`x${i}`, 0, 1)),
  optimum: -3.32237,
  f: (p) => {
    const x = xs(p, 6);
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H_A[i][j] * (x[j] - H_P[i][j]) ** 2;
      sum += H_ALPHA[i] * Math.exp(-inner);
    }
    return -sum;
  },
};

export function rosenbrock(d: number): Objective {
  return {
    name: `rosenbrock${d}`,
    space: Array.from({ length: d }, (_, i) => float(`x${i}`, -2.048, 2.048)),
    optimum: 0,
    f: (p) => {
      const x = xs(p, d);
      let s = 0;
      for (let i = 0; i + 1 < d; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
      return s;
    },
  };
}

export function ackley(d: number): Objective {
  return {
    name: `ackley${d}`,
    space: Array.from({ length: d }, (_, i) => float(`x${i}`, -32.768, 32.768)),
    optimum: 0,
    f: (p) => {
      const x = xs(p, d);
      const s1 = x.reduce((a, v) => a + v * v, 0) / d;
      const s2 = x.reduce((a, v) => a + Math.cos(2 * Math.PI * v), 0) / d;
      return -20 * Math.exp(-0.2 * Math.sqrt(s1)) - Math.exp(s2) + 20 + Math.E;
    },
  };
}

export const STANDARD_OBJECTIVES: Objective[] = [branin, hartmann6, rosenbrock(2), rosenbrock(5), ackley(2), ackley(5)];
