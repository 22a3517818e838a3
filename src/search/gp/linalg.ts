/**
 * Dense linear algebra for small symmetric positive-definite systems (n up to a few hundred), in
 * Float64Array row-major storage. Cholesky with escalating jitter; never an explicit inverse
 * except where the marginal-likelihood gradient needs K^-1 itself (computed from the factor).
 */

export interface Cholesky {
  /** Lower-triangular factor L (n x n, row-major), K + jitter I = L L^T. */
  L: Float64Array;
  n: number;
  /** The jitter that had to be added to the diagonal (0 when none). */
  jitter: number;
}

/** Factors K in place of a copy; returns null if K is not positive definite. */
function tryCholesky(K: Float64Array, n: number, jitter: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = K[i * n + j] + (i === j ? jitter : 0);
      const Li = i * n;
      const Lj = j * n;
      for (let k = 0; k < j; k++) s -= L[Li + k] * L[Lj + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[Li + i] = Math.sqrt(s);
      } else {
        L[Li + j] = s / L[Lj + j];
      }
    }
  }
  return L;
}

/** Cholesky of K; adds jitter (1e-10 x mean diagonal, x10 per retry) if K is numerically singular. */
export function cholesky(K: Float64Array, n: number): Cholesky {
  let L = tryCholesky(K, n, 0);
  if (L) return { L, n, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += K[i * n + i];
  meanDiag = Math.max(meanDiag / n, 1e-12);
  for (let jitter = 1e-10 * meanDiag; jitter <= meanDiag; jitter *= 10) {
    L = tryCholesky(K, n, jitter);
    if (L) return { L, n, jitter };
  }
  throw new Error('cholesky: matrix is not positive definite even with jitter');
}

/** Solves L x = b (forward substitution). */
export function solveLower(c: Cholesky, b: Float64Array): Float64Array {
  const { L, n } = c;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    const Li = i * n;
    for (let k = 0; k < i; k++) s -= L[Li + k] * x[k];
    x[i] = s / L[Li + i];
  }
  return x;
}

/** Solves L^T x = b (back substitution). */
export function solveUpper(c: Cholesky, b: Float64Array): Float64Array {
  const { L, n } = c;
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/** Solves K x = b given K's factor. */
export function cholSolve(c: Cholesky, b: Float64Array): Float64Array {
  return solveUpper(c, solveLower(c, b));
}

/** log det K = 2 sum log L_ii. */
export function logDet(c: Cholesky): number {
  let s = 0;
  for (let i = 0; i < c.n; i++) s += Math.log(c.L[i * c.n + i]);
  return 2 * s;
}

/** K^-1 from the factor: L^-1 by forward substitution, then (L^-1)^T L^-1. */
export function cholInverse(c: Cholesky): Float64Array {
  const { L, n } = c;
  const Linv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    Linv[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Linv[k * n + j];
      Linv[i * n + j] = s / L[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Linv[k * n + i] * Linv[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}
