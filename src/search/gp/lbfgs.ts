/**
 * L-BFGS minimization (Nocedal & Wright, algorithm 7.4/7.5) with an Armijo backtracking line search,
 * optionally inside a box (projected steps). Written here rather than taken from npm: the packages
 * that offer it are unmaintained or pull in a whole numerics stack for ~100 lines.
 */

export interface LbfgsOptions {
  maxIterations?: number;
  /** Memory (pairs kept). */
  memory?: number;
  /** Stop when the infinity norm of the (projected) gradient falls below this. */
  gradTol?: number;
  /** Stop when the relative decrease of f falls below this. */
  fTol?: number;
  /** Optional box: each coordinate stays in [lower[i], upper[i]]. */
  lower?: Float64Array;
  upper?: Float64Array;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
}

/** f returns [value, gradient]. */
export type Objective = (x: Float64Array) => [number, Float64Array];

export function lbfgs(f: Objective, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const maxIt = opts.maxIterations ?? 100;
  const m = opts.memory ?? 8;
  const gradTol = opts.gradTol ?? 1e-6;
  const fTol = opts.fTol ?? 1e-10;
  const { lower, upper } = opts;
  const project = (x: Float64Array) => {
    if (lower && upper) for (let i = 0; i < n; i++) x[i] = Math.min(upper[i], Math.max(lower[i], x[i]));
    return x;
  };
  let x = project(Float64Array.from(x0));
  let [fx, g] = f(x);
  if (!Number.isFinite(fx)) return { x, f: fx, iterations: 0 };
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let it = 0;
  for (; it < maxIt; it++) {
    if (projectedGradNorm(x, g, lower, upper) < gradTol) break;
    // two-loop recursion
    const q = Float64Array.from(g);
    const alpha = new Array<number>(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], q);
      axpy(-alpha[k], Y[k], q);
    }
    if (S.length > 0) {
      const k = S.length - 1;
      scale(q, dot(S[k], Y[k]) / dot(Y[k], Y[k]));
    } else {
      scale(q, 1 / Math.max(1, norm(g)));
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], q);
      axpy(alpha[k] - beta, S[k], q);
    }
    const dir = q.map((v) => -v) as Float64Array;
    if (dot(dir, g) >= 0) {
      // not a descent direction: restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i] / Math.max(1, norm(g));
    }
    // backtracking line search (Armijo) on the projected path
    let step = 1;
    let xNew = x;
    let fNew = fx;
    let gNew = g;
    let accepted = false;
    for (let ls = 0; ls < 30; ls++) {
      const cand = project(x.map((v, i) => v + step * dir[i]) as Float64Array);
      const [fc, gc] = f(cand);
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += g[i] * (cand[i] - x[i]);
      if (Number.isFinite(fc) && fc <= fx + 1e-4 * decrease) {
        xNew = cand;
        fNew = fc;
        gNew = gc;
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const s = xNew.map((v, i) => v - x[i]) as Float64Array;
    const y = gNew.map((v, i) => v - g[i]) as Float64Array;
    const sy = dot(s, y);
    const converged = Math.abs(fx - fNew) <= fTol * Math.max(1, Math.abs(fx));
    x = xNew;
    g = gNew;
    fx = fNew;
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    if (converged) break;
  }
  return { x, f: fx, iterations: it };
}

function projectedGradNorm(x: Float64Array, g: Float64Array, lower?: Float64Array, upper?: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    let gi = g[i];
    if (lower && upper) {
      if (x[i] <= lower[i] && gi > 0) gi = 0;
      if (x[i] >= upper[i] && gi < 0) gi = 0;
    }
    m = Math.max(m, Math.abs(gi));
  }
  return m;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}
