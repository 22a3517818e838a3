/**
 * The surface a contour plot shows: trials' scores smoothed over a grid of the unit square
 * (Nadaraya-Watson regression with a Gaussian kernel whose width shrinks with the number of trials),
 * and its iso-lines by marching squares. Pure numerics, in unit coordinates.
 */

export interface UnitPoint {
  u: number;
  v: number;
  z: number;
}

/** Kernel width for n points in the unit square (Scott's rule for two dimensions, floored). */
export function bandwidth(n: number): number {
  return Math.max(0.05, 0.3 * Math.pow(Math.max(1, n), -1 / 6));
}

/** Smoothed values at the centres of a size x size grid, row-major (row = v index). */
export function smoothGrid(points: UnitPoint[], size: number, h = bandwidth(points.length)): Float64Array {
  const z = new Float64Array(size * size);
  for (let j = 0; j < size; j++) {
    const v = (j + 0.5) / size;
    for (let i = 0; i < size; i++) {
      const u = (i + 0.5) / size;
      let num = 0;
      let den = 0;
      for (const p of points) {
        const w = Math.exp(-((p.u - u) ** 2 + (p.v - v) ** 2) / (2 * h * h)) + 1e-300;
        num += w * p.z;
        den += w;
      }
      z[j * size + i] = num / den;
    }
  }
  return z;
}

/** Evenly spaced levels strictly inside [min, max] of the grid. */
export function levels(z: Float64Array, count: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of z) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) return [];
  return Array.from({ length: count }, (_, k) => lo + ((hi - lo) * (k + 1)) / (count + 1));
}

/** Line segments [u1, v1, u2, v2] where the grid (values at cell centres) crosses `level`. */
export function isoline(z: Float64Array, size: number, level: number): [number, number, number, number][] {
  const at = (i: number, j: number) => z[j * size + i];
  const pos = (k: number) => (k + 0.5) / size;
  const cross = (a: number, b: number) => (level - a) / (b - a);
  const out: [number, number, number, number][] = [];
  for (let j = 0; j + 1 < size; j++) {
    for (let i = 0; i + 1 < size; i++) {
      const a = at(i, j); // bottom-left
      const b = at(i + 1, j); // bottom-right
      const c = at(i + 1, j + 1); // top-right
      const d = at(i, j + 1); // top-left
      const above = [a, b, c, d].map((x) => x >= level);
      // crossing points on the edges bottom, right, top, left
      const pts: ([number, number] | null)[] = [
        above[0] !== above[1] ? [pos(i) + cross(a, b) / size, pos(j)] : null,
        above[1] !== above[2] ? [pos(i + 1), pos(j) + cross(b, c) / size] : null,
        above[3] !== above[2] ? [pos(i) + cross(d, c) / size, pos(j + 1)] : null,
        above[0] !== above[3] ? [pos(i), pos(j) + cross(a, d) / size] : null,
      ];
      const hits = pts.filter((p): p is [number, number] => p !== null);
      if (hits.length === 2) out.push([...hits[0], ...hits[1]]);
      else if (hits.length === 4) {
        // a saddle: the centre decides which corners the lines cut off
        const centreAbove = (a + b + c + d) / 4 >= level;
        const [bottom, right, top, left] = pts as [number, number][];
        if (centreAbove === above[0]) out.push([...bottom, ...right], [...top, ...left]);
        else out.push([...bottom, ...left], [...right, ...top]);
      }
    }
  }
  return out;
}
