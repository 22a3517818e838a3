/**
 * Pruning and nothing lost: kill -9 at random moments during a pruned search, and several processes
 * pruning on one database. Every trial ends with exactly one final state (complete or pruned); a
 * pruning decision, once written, never changes, nor does an intermediate value; the budget holds.
 * Drives the real CLI (bin/nnsearch.js from dist/) in child processes, as crash.test.ts does.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/rng.js';
import { backend, sleep, start, studyDir } from './cli-processes.js';
import { ashaSpec, expectNothingUndone } from './pruning-checks.js';


interface State {
  trials: { id: number; state: string; value: number | null; folds: number; epochs: number }[];
  /** trial:kind:step -> value */
  intermediate: Map<string, number | null>;
}

function read(db: string): State | null {
  if (!existsSync(db)) return null;
  const d = new Database(db, { readonly: true });
  try {
    if (!d.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'intermediate_values'").get()) return null;
    expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
    const trials = d
      .prepare(`SELECT id, state, value, (SELECT count(*) FROM fold_results f WHERE f.trial_id = t.id) AS folds, (SELECT count(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs FROM trials t WHERE params_json <> 'null' ORDER BY number`)
      .all() as State['trials'];
    const intermediate = new Map((d.prepare('SELECT trial_id, kind, step, value FROM intermediate_values').all() as { trial_id: number; kind: string; step: number; value: number | null }[]).map((r) => [`${r.trial_id}:${r.kind}:${r.step}`, r.value]));
    return { trials, intermediate };
  } finally {
    d.close();
  }
}

function expectFinal(s: State, budget: number): void {
  expect(s.trials).toHaveLength(budget);
  for (const t of s.trials) {
    expect(['complete', 'pruned']).toContain(t.state);
    if (t.state === 'complete') expect(t.folds).toBe(3);
    // a pruned trial keeps what it trained: its folds' epochs (with a record, or without)
    if (t.state === 'pruned') expect(t.epochs).toBeGreaterThan(0);
  }
}

describe('pruning under kill -9 and several processes', () => {
  it('kill -9 at random moments: one final state per trial, no decision or intermediate value undone, the budget met', async () => {
    // rungs at epochs 20 and 60 of 200: the search lasts long enough on a quiet machine for kills to land
    const dir = studyDir(ashaSpec('prune-crash', 200, 20), 'nns-prune-crash-');
    const db = join(dir, 'nnsearch.db');
    const args = ['random', 'spec.yaml', '--budget', '40', '--quiet', '--backend', backend, '--workers', '2'];
    const rng = new Rng(13);
    let previous: State | null = null;
    let kills = 0;
    let midTrial = 0;
    for (let runs = 0; runs < 60; runs++) {
      const run = start(args, dir);
      const wantKill = kills < 10;
      if (wantKill) {
        await Promise.race([sleep(300 + rng.int(700)), run.done]);
        if (run.child.exitCode === null) {
          run.child.kill('SIGKILL');
          kills++;
        }
      }
      const r = await run.done;
      if (r.signal !== 'SIGKILL') expect(r.code, r.stderr).toBe(0);
      const now = read(db);
      if (now === null) continue;
      if (previous) expectNothingUndone(previous, now);
      if (r.signal === 'SIGKILL' && now.trials.some((t) => t.state === 'running')) midTrial++;
      previous = now;
      if (!wantKill && r.signal !== 'SIGKILL') break;
    }
    console.info(`pruning under kill -9: ${kills} kills, ${midTrial} with a trial running`);
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(midTrial).toBeGreaterThanOrEqual(3);
    const final = read(db)!;
    expectFinal(final, 40);
    expect(final.trials.some((t) => t.state === 'pruned')).toBe(true);
  }, 600_000);

  it('3 processes prune on one database: the budget exactly, one final state each, rung values shared', async () => {
    const dir = studyDir(ashaSpec('prune-shared', 20, 2), 'nns-prune-crash-');
    const db = join(dir, 'nnsearch.db');
    const runs = Array.from({ length: 3 }, () => start(['random', 'spec.yaml', '--budget', '18', '--quiet', '--backend', backend, '--workers', '1'], dir));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/locked|busy/i);
    }
    const s = read(db)!;
    expectFinal(s, 18);
    expect(s.trials.some((t) => t.state === 'pruned')).toBe(true);
    // every trial that reached rung 0 (step 2) recorded its value there, whichever process ran it
    const rung0 = [...s.intermediate.keys()].filter((k) => k.endsWith(':rung:0')).length;
    const reached = s.trials.filter((t) => s.intermediate.has(`${t.id}:step:2`)).length;
    expect(rung0).toBeGreaterThan(0);
    expect(rung0).toBe(reached);
  }, 300_000);
});
