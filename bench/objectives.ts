/**
 * Test functions for samplers (all minimized), as objective modules: {name, space, f}.
 * Continuous: Branin 0.397887; Hartmann6 -3.32237; Rosenbrock 0 at (1, ..., 1); Ackley 0 at 0.
 * Mixed and discrete, shaped like the spaces nnsearch users search (optima known or enumerated):
 * mixed-mlp, grid5x5, cat-int-step, init-mode, init-lr.
 */
import type { Params, ParamSpace, ParamValue } from '../src/search/space.js';

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

const cat = (name: string, choices: ParamValue[]): ParamSpace[number] => ({ name, section: 'model', dist: { kind: 'categorical', choices } });
const int = (name: string, low: number, high: number, log = false, step = 1): ParamSpace[number] => ({ name, section: 'model', dist: { kind: 'int', low, high, log, step } });
const logFloat = (name: string, low: number, high: number): ParamSpace[number] => ({ name, section: 'model', dist: { kind: 'float', low, high, log: true, step: null } });
const stepFloat = (name: string, low: number, high: number, step: number): ParamSpace[number] => ({ name, section: 'model', dist: { kind: 'float', low, high, log: false, step } });

/**
 * A validation error over the space of configs/random-mlp.yaml's kind: categorical optimizer,
 * log-uniform learning rate whose best value depends on the optimizer, log-int width, stepped
 * dropout with a small effect; optimum 0 inside the box (adam, lr 1e-3, 180 units, dropout 0.3).
 */
export const mixedMlp: Objective = {
  name: 'mixed-mlp',
  space: [cat('optimizer', ['sgd', 'adam', 'rmsprop']), logFloat('learning_rate', 1e-4, 1e-1), int('units', 16, 512, true), stepFloat('dropout', 0, 0.5, 0.05)],
  optimum: 0,
  f: (p) => {
    const opt = p.optimizer as 'sgd' | 'adam' | 'rmsprop';
    const target = { sgd: -1.3, adam: -3, rmsprop: -2.6 }[opt];
    const base = { sgd: 0.03, adam: 0, rmsprop: 0.01 }[opt];
    const lr = Math.log10(p.learning_rate as number) - target;
    const width = Math.log2(p.units as number) - Math.log2(180);
    const dropout = (p.dropout as number) - 0.3;
    return base + 0.1 * lr * lr + 0.02 * width * width + 0.2 * dropout * dropout + 0.03 * (lr - width / 4) ** 2;
  },
};

/** 5 x 5 integers: a broad basin around (1, 1) at 0.2 and a narrow one at (3, 4) at 0. */
export const grid5x5: Objective = {
  name: 'grid5x5',
  space: [int('x', 0, 4), int('y', 0, 4)],
  f: (p) => {
    const x = p.x as number;
    const y = p.y as number;
    return Math.min(0.2 + 0.05 * ((x - 1) ** 2 + (y - 1) ** 2), 0.6 * ((x - 3) ** 2 + (y - 4) ** 2));
  },
};

/** 3 categories x 8 integers x 6 steps (144 configurations); each category has its own optimum. */
export const catIntStep: Objective = {
  name: 'cat-int-step',
  space: [cat('kind', ['a', 'b', 'c']), int('n', 1, 8), stepFloat('s', 0, 0.5, 0.1)],
  f: (p) => {
    const k = p.kind as 'a' | 'b' | 'c';
    const [base, n0, s0] = { a: [0.05, 3, 0.1], b: [0, 6, 0.2], c: [0.02, 7, 0.4] }[k];
    return base + (0.1 * ((p.n as number) - n0) ** 2) / 16 + 0.3 * ((p.s as number) - s0) ** 2;
  },
};

/** configs/init-mode.yaml's eight initializers (README's 3-fold errors): 8 configurations. */
const INIT_ERROR: Record<string, number> = {
  uniform: 0.0544,
  lecun_uniform: 0.0519,
  normal: 0.0527,
  zero: 0.8873,
  glorot_normal: 0.0516,
  glorot_uniform: 0.0493,
  he_normal: 0.052,
  he_uniform: 0.0495,
};
const INITS = Object.keys(INIT_ERROR);

export const initMode: Objective = {
  name: 'init-mode',
  space: [cat('init', INITS)],
  f: (p) => INIT_ERROR[p.init as string],
};

/** The eight initializers with a log learning rate (best value per initializer) and a stepped batch size. */
export const initLr: Objective = {
  name: 'init-lr',
  space: [cat('init', INITS), logFloat('learning_rate', 1e-4, 1), int('batch_size', 16, 256, false, 16)],
  optimum: 0.0493,
  f: (p) => {
    const init = p.init as string;
    if (init === 'zero') return INIT_ERROR.zero;
    const target = -2.5 - 0.1 * INITS.indexOf(init);
    const lr = Math.log10(p.learning_rate as number) - target;
    const batch = Math.log2(p.batch_size as number) - Math.log2(64 + 16 * (INITS.indexOf(init) % 3));
    return INIT_ERROR[init] + 0.02 * lr * lr + 0.004 * batch * batch;
  },
};

export const CONTINUOUS_OBJECTIVES: Objective[] = [branin, hartmann6, rosenbrock(2), rosenbrock(5), ackley(2), ackley(5)];
export const MIXED_OBJECTIVES: Objective[] = [mixedMlp, grid5x5, catIntStep, initMode, initLr];
export const STANDARD_OBJECTIVES: Objective[] = [...CONTINUOUS_OBJECTIVES, ...MIXED_OBJECTIVES];
