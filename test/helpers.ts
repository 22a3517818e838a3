import { parseSpecText } from '../src/spec/file.js';
import type { Spec } from '../src/spec/schema.js';

/** A validated spec from YAML text; throws with every problem otherwise. */
export function specFrom(text: string): Spec {
  const r = parseSpecText(text);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n'));
  return r.spec;
}
