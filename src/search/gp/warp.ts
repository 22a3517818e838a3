/**
 * Output warping for the GP: scores are standardized, then reshaped by a Yeo-Johnson power
 * transform whose exponent maximizes the Gaussian likelihood of the result (HEBO's choice), then
 * standardized again. Validation errors are skewed (a few diverging or chance-level trials far from
 * a tight cluster of good ones); untransformed, those outliers set the GP's scale and the small
 * differences between good configurations drown in the fitted noise. Pure.
 */

/** Yeo-Johnson transform of one value. */
export function yeoJohnson(y: number, lambda: number): number {
  if (y >= 0) return Math.abs(lambda) < 1e-12 ? Math.log1p(y) : (Math.pow(y + 1, lambda) - 1) / lambda;
  return Math.abs(lambda - 2) < 1e-12 ? -Math.log1p(-y) : -(Math.pow(1 - y, 2 - lambda) - 1) / (2 - lambda);
}

/** Gaussian log likelihood of the transformed data at its MLE mean and variance, plus the Jacobian. */
function logLikelihood(y: Float64Array, lambda: number): number {
  const n = y.length;
  const t = Float64Array.from(y, (v) => yeoJohnson(v, lambda));
  const mean = t.reduce((a, b) => a + b, 0) / n;
  const variance = t.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  if (!(variance > 0) || !Number.isFinite(variance)) return -Infinity;
  let jac = 0;
  for (const v of y) jac += Math.sign(v) * Math.log1p(Math.abs(v));
  return -0.5 * n * Math.log(variance) + (lambda - 1) * jac;
}

/** The exponent in [-2, 4] of largest likelihood (golden-section search; the likelihood is unimodal in practice). */
export function fitYeoJohnson(y: Float64Array): number {
  let a = -2;
  let b = 4;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = logLikelihood(y, c);
  let fd = logLikelihood(y, d);
  for (let k = 0; k < 60; k++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = logLikelihood(y, c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = logLikelihood(y, d);
    }
  }
  return (a + b) / 2;
}

function standardize(y: ArrayLike<number>): Float64Array {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (y[i] - mean) ** 2;
  const sd = Math.sqrt(v / n) || 1;
  return Float64Array.from(y, (x) => (x - mean) / sd);
}

/** Scores (larger is better) as the GP models them: standardized, power-transformed, standardized. */
export function warpScores(y: readonly number[]): Float64Array {
  const s = standardize(y);
  if (y.length < 3) return s;
  const lambda = fitYeoJohnson(s);
  return standardize(Float64Array.from(s, (v) => yeoJohnson(v, lambda)));
}
