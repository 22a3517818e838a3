/**
 * The layering of src/ (docs/ARCHITECTURE.md): which folder may import which. A folder never
 * imports one above it, so pure logic (search/, spec/, models/, cv/) stays free of IO layers and
 * the CLI stays the only place that knows about flags.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Top-level files of src/ form the base layer: errors, seeded randomness, records, file helpers. */
const BASE = 'base';

/** What each layer may import besides itself (and the base layer, which every layer may import). */
export const ALLOWED: Record<string, string[]> = {
  [BASE]: [],
  search: [],
  spec: ['search'],
  data: ['spec'],
  models: ['spec', 'search'],
  engine: ['spec', 'models'],
  cv: ['spec', 'data', 'models', 'engine'],
  store: ['search'],
  report: ['search', 'spec', 'store'],
  study: ['spec', 'search', 'data', 'models', 'engine', 'cv', 'store'],
  cli: ['spec', 'search', 'data', 'models', 'engine', 'cv', 'store', 'report', 'study'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  return rel.length === 1 ? BASE : rel[0];
}

/** Every relative import (static, dynamic and type-only) of a file, as absolute paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

describe('import rules', () => {
  const files = sources(SRC);

  it('knows every folder of src/', () => {
    const layers = new Set(files.map(layerOf));
    for (const l of layers) expect(Object.keys(ALLOWED), `src/${l}/ has no rule`).toContain(l);
  });

  it('no folder imports one it may not', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to === from || to === BASE) continue;
        if (!ALLOWED[from].includes(to)) violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} -> ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    // the allowed graph itself must be acyclic, so following it can never lead back
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (l: string): void => {
      expect(visiting.has(l), `cycle through ${l}`).toBe(false);
      if (done.has(l)) return;
      visiting.add(l);
      for (const to of ALLOWED[l]) visit(to);
      visiting.delete(l);
      done.add(l);
    };
    for (const l of Object.keys(ALLOWED)) visit(l);
  });

  it('has no import cycle between the files of search/ and spec/', () => {
    for (const layer of ['search', 'spec']) {
      const graph = new Map(files.filter((f) => layerOf(f) === layer).map((f) => [f, importsOf(f).filter((t) => layerOf(t) === layer)]));
      const state = new Map<string, 'open' | 'done'>();
      const visit = (f: string, path: string[]): void => {
        if (state.get(f) === 'done') return;
        expect(state.get(f), `cycle: ${[...path, f].map((p) => relative(SRC, p)).join(' -> ')}`).not.toBe('open');
        state.set(f, 'open');
        for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
        state.set(f, 'done');
      };
      for (const f of graph.keys()) visit(f, []);
    }
  });

  it('engine/ never imports search/, and only engine/tf.ts imports TensorFlow.js', () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (layerOf(file) === 'engine') expect(importsOf(file).some((t) => layerOf(t) === 'search'), relative(SRC, file)).toBe(false);
      if (/from '@tensorflow\/tfjs'/.test(text)) expect(relative(SRC, file)).toBe('engine/tf.ts');
    }
  });
});
