import { describe, it } from 'vitest';
import { parseSpecText } from '../src/spec/file.js';
import type { Spec } from '../src/spec/schema.js';

/** A validated spec from YAML text; throws with every problem otherwise. */
export function specFrom(text: string): Spec {
  const r = parseSpecText(text);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n'));
  return r.spec;
}

/**
 * Whether a suite that needs `component` runs. Without it a suite is skipped on a developer's
 * machine, but under CI=true its absence fails the run: CI must test what it claims to test.
 * Returns true when the suite should be skipped.
 */
export function skipWithout(component: string, available: unknown, install: string): boolean {
  if (available) return false;
  if (process.env.CI === 'true') {
    describe(`${component} (required under CI=true)`, () => {
      it(`is available`, () => {
        throw new Error(`${component} is missing: ${install}`);
      });
    });
  }
  return true;
}
