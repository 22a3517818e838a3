/**
 * "Did you mean": the closest known name to a misspelt one. Pure; its own file, so that the schema
 * and the params checks both use it without importing each other.
 */

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The closest of `known` to a misspelt key, when it is close enough to be a typo. */
export function didYouMean(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k);
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  return best !== null && bestD <= 2 && bestD <= (best.length * 2) / 3 ? best : null;
}
