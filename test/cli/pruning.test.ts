/** --pruner through the CLI: a pruned search, its reports, and the pruner outside the study's identity. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../../src/engine/index.js';
import { nnsearch, TINY, workdir, write } from './run-cli.js';

const backend = ['--backend', nativeAvailable() ? 'native' : 'wasm'];

function states(db: string): string[] {
  const d = new Database(db, { readonly: true });
  const rows = d.prepare("SELECT state FROM trials WHERE params_json <> 'null' ORDER BY number").all() as { state: string }[];
  d.close();
  return rows.map((r) => r.state);
}

describe('nnsearch random --pruner', () => {
  const dir = workdir();
  const spec = TINY.replace('name: tiny', 'name: pruned').replace('epochs: 3', 'epochs: 8') + 'params:\n  learning_rate: {min: 0.00001, max: 0.3, log: true}\n  units: {min: 2, max: 16}\n';
  write(dir, 'prune.yaml', spec);

  it('refuses an unknown pruner in one line, naming the closest', () => {
    const r = nnsearch(['random', 'prune.yaml', '--budget', '2', '--pruner', 'hyperbnd', ...backend], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("nnsearch: --pruner: unknown pruner 'hyperbnd' (expected one of: none, median, asha, hyperband, wilcoxon; did you mean 'hyperband'?)");
  });

  it('prunes, says so, counts pruned trials in the budget, and reports them after the complete ones', () => {
    const r = nnsearch(['random', 'prune.yaml', '--budget', '12', '--pruner', 'median', '--workers', '1', ...backend], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/random search, budget 12, .*, pruner median, /);
    const s = states(join(dir, 'nnsearch.db'));
    expect(s).toHaveLength(12);
    expect(s.every((x) => x === 'complete' || x === 'pruned')).toBe(true);
    expect(s.filter((x) => x === 'pruned').length).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^pruned \(reached \d\.\d{4}\) \{/m);
    const top = nnsearch(['report', '--format', 'markdown'], dir);
    const rows = top.stdout.split('\n').slice(2).filter((l) => l.startsWith('|'));
    const firstPruned = rows.findIndex((l) => l.includes('pruned ('));
    expect(firstPruned).toBeGreaterThan(0);
    expect(rows.slice(firstPruned).every((l) => l.includes('pruned (') || l.includes('failed ('))).toBe(true);
    const studies = nnsearch(['studies'], dir);
    expect(studies.stdout).toMatch(/trials\s+complete\s+pruned\s+failed/);
    const d = new Database(join(dir, 'nnsearch.db'), { readonly: true });
    const n = (d.prepare("SELECT number FROM trials WHERE state = 'pruned' ORDER BY number LIMIT 1").get() as { number: number }).number;
    d.close();
    expect(nnsearch(['show', String(n)], dir).stdout).toMatch(/pruned \(reached accuracy \d\.\d{4}\)/);
  });

  it('the pruner is not part of the study: another pruner continues it', () => {
    const r = nnsearch(['random', 'prune.yaml', '--budget', '14', '--pruner', 'none', '--quiet', ...backend], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(states(join(dir, 'nnsearch.db'))).toHaveLength(14);
  });
});
