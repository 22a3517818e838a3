/**
 * Nothing lost: kill -9 at random moments, Ctrl-C, and several processes on one database.
 * Every test drives the real CLI (bin/nnsearch.js from dist/) in child processes.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/rng.js';
import { BIN } from '../cli/run-cli.js';
import { backend, sleep, start, studyDir } from './cli-processes.js';






const BASE = `seed: 4
data:
  dataset: csv
  file: data.csv
model:
  units: [32]
  optimizer: adam
train:
  epochs: 150
  batch_size: 16
cv:
  folds: 3
`;

interface Snapshot {
  folds: Map<string, number | null>;
  complete: Map<number, number>;
}

/** Whether the file has nnsearch's tables: a run killed while creating them leaves an empty file. */
function hasSchema(d: Database.Database): boolean {
  return d.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trials'").get() !== undefined;
}

function snapshot(db: string): Snapshot {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    if (!hasSchema(d)) return { folds: new Map(), complete: new Map() };
    const folds = new Map((d.prepare('SELECT trial_id, fold, score FROM fold_results').all() as { trial_id: number; fold: number; score: number | null }[]).map((r) => [`${r.trial_id}:${r.fold}`, r.score]));
    const complete = new Map((d.prepare("SELECT id, value FROM trials WHERE state = 'complete'").all() as { id: number; value: number }[]).map((r) => [r.id, r.value]));
    return { folds, complete };
  } finally {
    d.close();
  }
}

function integrity(db: string): string {
  const d = new Database(db, { readonly: true });
  try {
    return d.pragma('integrity_check', { simple: true }) as string;
  } finally {
    d.close();
  }
}

function trials(db: string): { sampler: string; sampler_index: number; state: string; attempts: number; folds: number }[] {
  const d = new Database(db, { readonly: true });
  try {
    if (!hasSchema(d)) return [];
    return d
      .prepare('SELECT sampler, sampler_index, state, attempts, (SELECT count(*) FROM fold_results f WHERE f.trial_id = t.id) AS folds FROM trials t ORDER BY sampler, sampler_index')
      .all() as { sampler: string; sampler_index: number; state: string; attempts: number; folds: number }[];
  } finally {
    d.close();
  }
}

/** Kills `args` with SIGKILL at random moments until `kills` kills landed, then lets it finish. */
async function killRepeatedly(args: string[], dir: string, kills: number, seed: number): Promise<{ kills: number; runs: number; midTrial: number }> {
  const rng = new Rng(seed);
  const db = join(dir, 'nnsearch.db');
  let landed = 0;
  let runs = 0;
  let midTrial = 0;
  let previous: Snapshot | null = null;
  for (;;) {
    runs++;
    const run = start(args, dir);
    const wantKill = landed < kills;
    if (wantKill) {
      await Promise.race([sleep(300 + rng.int(800)), run.done]);
      if (run.child.exitCode === null) {
        run.child.kill('SIGKILL');
        landed++;
      }
    }
    const r = await run.done;
    if (r.signal !== 'SIGKILL') expect(r.code, r.stderr).toBe(0);
    try {
      expect(integrity(db)).toBe('ok');
    } catch (e) {
      if (!existsSync(db) && r.signal === 'SIGKILL') continue; // killed before the database existed
      throw e;
    }
    const now = snapshot(db);
    if (previous) {
      // no completed fold lost or changed; a complete trial never changes
      for (const [k, v] of previous.folds) expect(now.folds.get(k), `fold ${k}`).toBe(v);
      for (const [k, v] of previous.complete) expect(now.complete.get(k), `trial ${k}`).toBe(v);
    }
    const running = trials(db).filter((t) => t.state === 'running').length;
    if (r.signal === 'SIGKILL' && running > 0) midTrial++;
    previous = now;
    if (!wantKill && r.signal !== 'SIGKILL') break;
  }
  return { kills: landed, runs, midTrial };
}

describe('kill -9 at random moments', () => {
  it('grid: every planned trial exactly once, no completed fold lost, same scores as an uninterrupted run', async () => {
    const spec = `name: crash-grid\n${BASE}params:\n  learning_rate: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016]\n  units: [16, 32]\n  dropout: [0.0, 0.2]\n`;
    const dir = studyDir(spec);
    const args = ['grid', 'spec.yaml', '--quiet', '--backend', backend, '--workers', '2'];
    const k = await killRepeatedly(args, dir, 20, 1);
    console.info(`grid: ${k.kills} kills in ${k.runs} runs, ${k.midTrial} with a trial running`);
    expect(k.kills).toBeGreaterThanOrEqual(20);
    expect(k.midTrial).toBeGreaterThanOrEqual(5);
    const t = trials(join(dir, 'nnsearch.db'));
    expect(t).toHaveLength(24);
    expect(t.map((x) => x.sampler_index)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(t.every((x) => x.state === 'complete' && x.folds === 3)).toBe(true);
    expect(t.some((x) => x.attempts > 1)).toBe(true); // trials of dead processes were taken over
    // the same study without kills gives the same scores
    const clean = studyDir(spec);
    const r = start(args, clean);
    expect((await r.done).code).toBe(0);
    const a = snapshot(join(dir, 'nnsearch.db'));
    const b = snapshot(join(clean, 'nnsearch.db'));
    expect([...a.complete.values()].sort()).toEqual([...b.complete.values()].sort());
  });

  for (const sampler of ['random', 'bayes'] as const) {
    it(`${sampler}: the study ends with exactly its budget, every trial complete with all folds`, async () => {
      const spec = `name: crash-${sampler}\n${BASE}params:\n  learning_rate: {min: 0.0003, max: 0.03, log: true}\n  units: {min: 8, max: 48}\n  dropout: {min: 0.0, max: 0.4}\n`;
      const dir = studyDir(spec);
      const k = await killRepeatedly([sampler, 'spec.yaml', '--budget', '24', '--quiet', '--backend', backend, '--workers', '2', ...(sampler === 'bayes' ? ['--startup', '6'] : [])], dir, 20, sampler === 'random' ? 2 : 3);
      console.info(`${sampler}: ${k.kills} kills in ${k.runs} runs, ${k.midTrial} with a trial running`);
      expect(k.kills).toBeGreaterThanOrEqual(20);
      expect(k.midTrial).toBeGreaterThanOrEqual(5);
      const t = trials(join(dir, 'nnsearch.db'));
      expect(t).toHaveLength(24);
      expect(new Set(t.map((x) => x.sampler_index)).size).toBe(24);
      expect(t.every((x) => x.state === 'complete' && x.folds === 3)).toBe(true);
    });
  }
});

describe('Ctrl-C', () => {
  // native: threads in one process; wasm: --workers 2 means two worker processes under a parent
  const variants: [string, number, number][] = [
    [backend, 1, 2000],
    [backend, 2, 2000],
    ['wasm', 2, 15],
  ];
  for (const [engine, workers, epochs] of variants) {
    const spec = `name: ctrl-c\n${BASE.replace('epochs: 150', `epochs: ${epochs}`)}params:\n  learning_rate: [0.001, 0.002]\n`;
    it(`stops cleanly, puts the trial back, exits 130, and the next run continues (--backend ${engine} --workers ${workers})`, async () => {
      const dir = studyDir(spec);
      const db = join(dir, 'nnsearch.db');
      const run = start(['grid', 'spec.yaml', '--backend', engine, '--workers', String(workers)], dir);
      // wait until a trial is running, then interrupt
      for (let i = 0; i < 300; i++) {
        await sleep(100);
        try {
          if (trials(db).some((t) => t.state === 'running' && t.folds === 0)) break;
        } catch {
          // database not created yet
        }
      }
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/interrupted/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const after = trials(db);
      expect(after.filter((t) => t.state === 'running')).toHaveLength(0);
      expect(after.filter((t) => t.state === 'interrupted').length).toBeGreaterThanOrEqual(1);
      const again = start(['grid', 'spec.yaml', '--backend', engine, '--workers', String(workers), '--quiet'], dir);
      const r2 = await again.done;
      expect(r2.code, r2.stderr).toBe(0);
      const final = trials(db);
      expect(final).toHaveLength(2);
      expect(final.every((t) => t.state === 'complete' && t.folds === 3)).toBe(true);
      // taken again (twice when a second worker resumed it just as the stop arrived)
      expect(final.some((t) => t.attempts >= 2)).toBe(true);
    }, 120_000);
  }
});

describe('several processes on one database', () => {
  it('4 processes share a grid: each trial claimed once, none skipped, no "database is locked"', async () => {
    const spec = `name: shared\n${BASE.replace('epochs: 150', 'epochs: 5')}params:\n  learning_rate: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064]\n  units: [16, 32]\n`;
    const dir = studyDir(spec);
    const runs = Array.from({ length: 4 }, () => start(['grid', 'spec.yaml', '--quiet', '--backend', backend, '--workers', '1'], dir));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/locked|busy/i);
    }
    const t = trials(join(dir, 'nnsearch.db'));
    expect(t.map((x) => x.sampler_index)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(t.every((x) => x.state === 'complete' && x.attempts === 1 && x.folds === 3)).toBe(true);
    expect(integrity(join(dir, 'nnsearch.db'))).toBe('ok');
  });

  it('4 processes share a random budget: the study ends with exactly that many trials', async () => {
    const spec = `name: shared-random\n${BASE.replace('epochs: 150', 'epochs: 3')}params:\n  learning_rate: {min: 0.0003, max: 0.03, log: true}\n`;
    const dir = studyDir(spec);
    const runs = Array.from({ length: 4 }, () => start(['random', 'spec.yaml', '--budget', '20', '--quiet', '--backend', backend, '--workers', '1'], dir));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const t = trials(join(dir, 'nnsearch.db'));
    expect(t).toHaveLength(20);
    expect(t.map((x) => x.sampler_index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('closed output', () => {
  it('`nnsearch grid spec 2>&1 | head -2`: the run stops like an interruption, trials put back, non-zero exit', async () => {
    const spec = `name: epipe\n${BASE.replace('epochs: 150', 'epochs: 400')}params:\n  learning_rate: [0.001, 0.002, 0.003]\n`;
    const dir = studyDir(spec);
    const db = join(dir, 'nnsearch.db');
    const child = spawn(process.execPath, [BIN, 'grid', 'spec.yaml', '--backend', backend, '--workers', '1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // like head: read the first line, then close both pipes
    await new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
    for (let i = 0; i < 300; i++) {
      await sleep(50);
      try {
        if (trials(db).some((t) => t.state === 'running')) break;
      } catch {
        // database not created yet
      }
    }
    child.stdout!.destroy();
    child.stderr!.destroy();
    const code = await exited;
    expect(code).not.toBe(0);
    const after = trials(db);
    expect(after.filter((t) => t.state === 'running')).toHaveLength(0);
    expect(after.filter((t) => t.state === 'interrupted').length).toBeGreaterThanOrEqual(1);
    const again = start(['grid', 'spec.yaml', '--backend', backend, '--quiet'], dir);
    const r = await again.done;
    expect(r.code, r.stderr).toBe(0);
    expect(trials(db).every((t) => t.state === 'complete' && t.folds === 3)).toBe(true);
  }, 120_000);
});
