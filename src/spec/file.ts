/**
 * Reading a spec file: YAML with line numbers kept, so every problem is reported as
 * `file:line: path.to.field: what is wrong`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { SpecError } from '../errors.js';
import type { Spec, SpecIssue } from './schema.js';
import { validateSpec } from './validate.js';

export interface SpecProblem {
  line: number | null;
  path: string;
  message: string;
}

function pathText(path: (string | number)[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

/** The line of the deepest YAML node on `path` that exists. */
function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    const node = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
    if (isNode(node) && node.range) {
      // For a key that exists, point at the key itself when we can.
      if (depth > 0) {
        const parent = sub.length === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((it) => isNode(it.key) && (it.key as { value?: unknown }).value === sub[sub.length - 1]);
          if (pair && isNode(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
        }
      }
      return counter.linePos(node.range[0]).line;
    }
  }
  return null;
}

/** Parses and validates spec text; problems carry line numbers. */
export function parseSpecText(text: string, overrides: { seed?: number } = {}): { ok: true; spec: Spec } | { ok: false; problems: SpecProblem[] } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? (e.pos ? counter.linePos(e.pos[0]).line : null);
    return { ok: false, problems: [{ line, path: '', message: `YAML syntax error: ${e.message.split('\n')[0]}` }] };
  }
  const data = doc.toJS() as Record<string, unknown> | null;
  if (overrides.seed !== undefined && data && typeof data === 'object' && !Array.isArray(data)) data.seed = overrides.seed;
  const result = validateSpec(data);
  if (result.ok) return { ok: true, spec: result.value };
  return {
    ok: false,
    problems: result.issues.map((i: SpecIssue) => ({ line: lineOf(doc, counter, i.path), path: pathText(i.path), message: i.message })),
  };
}

export function formatProblem(file: string, p: SpecProblem): string {
  return `${file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export function readSpecText(file: string): string {
  if (!existsSync(file)) throw new SpecError(`${file}: spec file not found`);
  if (statSync(file).isDirectory()) throw new SpecError(`${file}: is a directory, not a spec file`);
  return readFileSync(file, 'utf8');
}

/** Loads a spec; throws SpecError with the first problem (and how many more there are). */
export function loadSpec(file: string, overrides: { seed?: number } = {}): Spec {
  const r = parseSpecText(readSpecText(file), overrides);
  if (r.ok) return r.spec;
  const more = r.problems.length > 1 ? ` (and ${r.problems.length - 1} more; run nnsearch validate ${file})` : '';
  throw new SpecError(formatProblem(file, r.problems[0]) + more);
}
