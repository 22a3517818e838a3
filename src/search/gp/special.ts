/**
 * Normal-distribution helpers and a numerically stable log expected improvement.
 * Pure functions on doubles.
 */

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

/** erf by its Taylor series, accurate for |x| <= 2. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}

/** exp(x^2) erfc(x) for x > 2 by Laplace's continued fraction (modified Lentz). */
function erfcxContinuedFraction(x: number): number {
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / (SQRT_PI * f);
}

/** Scaled complementary error function exp(x^2) erfc(x). */
export function erfcx(x: number): number {
  if (x > 2) return erfcxContinuedFraction(x);
  if (x >= -2) return Math.exp(x * x) * (1 - erfSeries(x));
  return 2 * Math.exp(x * x) - erfcxContinuedFraction(-x);
}

/** The error function, accurate in relative terms near 0 as well. */
export function erf(x: number): number {
  if (Math.abs(x) <= 2) return erfSeries(x);
  return x > 0 ? 1 - erfc(x) : erfc(-x) - 1;
}

export function erfc(x: number): number {
  if (x > 2) return Math.exp(-x * x) * erfcxContinuedFraction(x);
  if (x >= -2) return 1 - erfSeries(x);
  return 2 - Math.exp(-x * x) * erfcxContinuedFraction(-x);
}

/** Standard normal density. */
export function normPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
}

/** Standard normal CDF. */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/**
 * log h(z) with h(z) = E[max(0, Z + z)] = phi(z) + z Phi(z), Z ~ N(0, 1): the standardized expected
 * improvement. Stable for every z (BoTorch's log-EI construction): for z <= -1,
 * h = phi(z) (1 - w), w = -z sqrt(pi/2) erfcx(-z/sqrt2) in (0, 1).
 */
export function logH(z: number): number {
  if (z > -1) return Math.log(normPdf(z) + z * normCdf(z));
  if (z < -1e6) return -0.5 * z * z - LOG_SQRT_2PI - 2 * Math.log(-z);
  const w = -z * SQRT_HALF_PI * erfcx(-z / SQRT2);
  return -0.5 * z * z - LOG_SQRT_2PI + Math.log1p(-w);
}

/** d log h / dz = Phi(z) / h(z), computed without forming the tiny h. */
export function dLogH(z: number): number {
  if (z > -1) return normCdf(z) / (normPdf(z) + z * normCdf(z));
  if (z < -1e6) return -1 / z;
  const ratio = SQRT_HALF_PI * erfcx(-z / SQRT2); // Phi(z) / phi(z)
  const w = -z * ratio;
  return ratio / (1 - w);
}

/**
 * log EI for maximization: log E[max(f - best, 0)] with f ~ N(mean, variance).
 * Returns -Infinity when the variance is zero and the mean does not improve.
 */
export function logEI(mean: number, variance: number, best: number): number {
  const sigma = Math.sqrt(Math.max(variance, 0));
  if (sigma < 1e-300) return mean > best ? Math.log(mean - best) : -Infinity;
  return Math.log(sigma) + logH((mean - best) / sigma);
}
