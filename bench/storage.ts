/**
 * npm run bench:storage [-- --workers 1,4,16 --trials 600 --pg postgresql://...]
 *
 * Trial claims per second through the Storage interface, for SQLite and PostgreSQL, with 1, 4 and
 * 16 worker processes sharing one study. A claim is what a run does for each trial before and after
 * training (store/claim.ts: resume check, reservation, proposal; then finishTrial) on a grid of
 * --trials instant trials; every worker claims until the grid is used up, and the benchmark checks
 * that each grid point was claimed exactly once. Prints JSON.
 *
 * PostgreSQL: a private cluster in a temporary directory (test/fixtures/pg-cluster.ts; fsync on,
 * synchronous_commit off, as SQLite's WAL with synchronous=NORMAL), or the server of --pg (its
 * database must exist; each measurement makes its own study there). SQLite: a new file per measurement.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gridSampler } from '../src/search/grid.js';
import type { ParamSpace } from '../src/search/space.js';
import { claimTrial } from '../src/store/claim.js';
import { WORKER_ID } from '../src/store/lease.js';
import { PgStore } from '../src/store/pg-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Storage } from '../src/store/storage.js';
import { startCluster, type PgCluster } from '../test/fixtures/pg-cluster.js';
import { argValue as arg } from './cli-args.js';

type Message = { kind: 'ready' } | { kind: 'done'; indices: number[] } | { kind: 'go' };

const space = (trials: number): ParamSpace => [{ name: 'units', section: 'model', dist: { kind: 'int', low: 1, high: trials, log: false, step: 1 } }];

function open(db: string): Promise<Storage> {
  return db.startsWith('postgresql://') ? PgStore.open(db, { create: true }) : Promise.resolve(SqliteStore.open(db, { create: true }));
}

/** One worker process: waits for 'go', claims and finishes trials until the grid is used up. */
async function worker(db: string, study: string, trials: number): Promise<void> {
  const store = await open(db);
  const s = (await store.getStudy(study))!;
  const sp = space(trials);
  const grid = gridSampler({ space: sp });
  const req = { studyId: s.id, sampler: 'grid' as const, size: grid.size, budget: Infinity, worker: WORKER_ID, leaseMs: 60_000, propose: (i: number) => grid.propose(i, []) };
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!({ kind: 'ready' } satisfies Message);
  });
  const indices: number[] = [];
  for (;;) {
    const t = await claimTrial(store, req, sp);
    if (t === null || t === 'exhausted') break;
    indices.push(t.samplerIndex);
    await store.finishTrial(t.id, { state: 'complete', value: 0.5, std: 0, meanFitTime: 0, meanScoreTime: 0 });
  }
  process.send!({ kind: 'done', indices } satisfies Message);
  await store.close();
}

/** Claims per second of `workers` processes on a fresh study in `db`. */
async function measure(db: string, study: string, workers: number, trials: number): Promise<number> {
  const setup = await open(db);
  await setup.createStudy({ name: study, specJson: '{}', metric: 'accuracy', goal: 'maximize', dataSource: 'bench', nSamples: 1, folds: 1 });
  await setup.close();
  const script = fileURLToPath(import.meta.url);
  const children = Array.from({ length: workers }, (_, i) =>
    fork(script, ['--worker', '--db', db, '--study', study, '--trials', String(trials)], { env: { ...process.env, NNSEARCH_WORKER_ID: `bench-host-${i}` }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const ready = children.map((c) => new Promise<void>((r) => c.once('message', () => r())));
  const exited = children.map((c) => new Promise<number | null>((r) => c.once('exit', (code) => r(code))));
  await Promise.all(ready);
  const claimed: number[] = [];
  const done = children.map(
    (c) =>
      new Promise<void>((r) =>
        c.on('message', (m: Message) => {
          if (m.kind === 'done') {
            claimed.push(...m.indices);
            r();
          }
        }),
      ),
  );
  const t0 = performance.now();
  for (const c of children) c.send({ kind: 'go' } satisfies Message);
  await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  const codes = await Promise.all(exited);
  if (codes.some((c) => c !== 0)) throw new Error(`a worker failed (exit codes ${codes.join(', ')})`);
  const sorted = claimed.sort((a, b) => a - b);
  if (sorted.length !== trials || sorted.some((v, i) => v !== i)) throw new Error(`${db}: ${workers} workers claimed ${sorted.length} trials, not each of ${trials} grid points once`);
  return Math.round(trials / seconds);
}

async function main(): Promise<void> {
  if (process.argv.includes('--worker')) return worker(arg('db')!, arg('study')!, Number(arg('trials')));
  const counts = (arg('workers') ?? '1,4,16').split(',').map(Number);
  const trials = Number(arg('trials') ?? 600);
  const given = arg('pg') ?? process.env.NNSEARCH_BENCH_PG;
  const dir = mkdtempSync(join(tmpdir(), 'nns-bench-storage-'));
  let cluster: PgCluster | null = null;
  const out: Record<string, unknown> = {
    bench: 'storage',
    unit: 'trial claims per second (resume check, reservation, proposal, finish of an instant trial)',
    trials,
    cpus: availableParallelism(),
  };
  try {
    const sqlite: Record<string, number> = {};
    for (const w of counts) sqlite[w] = await measure(join(dir, `w${w}.db`), 'bench', w, trials);
    out.sqlite = { ...sqlite, settings: 'WAL, synchronous=NORMAL' };
    if (!given) cluster = await startCluster({ fast: false });
    const postgresql: Record<string, number> = {};
    for (const w of counts) {
      const url = given ?? (await cluster!.createDatabase(`bench_w${w}`));
      postgresql[w] = await measure(url, `bench-${process.pid}-w${w}`, w, trials);
    }
    out.postgresql = { ...postgresql, settings: given ? 'the server of --pg' : 'private cluster: fsync on, synchronous_commit off' };
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
