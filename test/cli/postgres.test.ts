/**
 * The CLI on PostgreSQL: every command with --db postgresql://... or NNSEARCH_DB, no output that
 * shows the password, a server that goes away mid-search, and nnsearch copy in both directions.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { nativeAvailable } from '../../src/engine/index.js';
import { describePostgres } from '../fixtures/postgres.js';
import { blobs } from '../fixtures/synthetic.js';
import { BIN, TINY, workdir, write, type CliResult } from './run-cli.js';

const backend = nativeAvailable() ? 'native' : 'wasm';

/** The CLI in a child process; asynchronous, so that a long chain of commands never blocks the test worker. */
function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '', NNSEARCH_DB: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const RANDOM = TINY.replace('name: tiny', 'name: tiny-random') + 'params:\n  learning_rate: {min: 0.01, max: 0.1, log: true}\n  units: {min: 4, max: 12}\n';
const GRID = TINY + 'params:\n  init: [zero, glorot_uniform]\n  learning_rate: [0.05, 0.1]\n';

function trialsIn(file: string): { number: number; state: string; value: number | null }[] {
  const d = new Database(file, { readonly: true });
  try {
    return d.prepare('SELECT number, state, value FROM trials ORDER BY study_id, number').all() as { number: number; state: string; value: number | null }[];
  } finally {
    d.close();
  }
}

describePostgres('nnsearch on PostgreSQL', (cluster) => {
  it('every command works with --db and NNSEARCH_DB, and no output shows the password', async () => {
    const c = cluster();
    const url = await c.createDatabase('cli_all');
    const secrets = [c.password, encodeURIComponent(c.password), c.password.split('@')[1].split('/')[0]];
    const dir = workdir();
    write(dir, 'grid.yaml', GRID);
    write(dir, 'random.yaml', RANDOM);
    const env = { NNSEARCH_DB: url };
    const outputs: CliResult[] = [];
    const ok = (r: CliResult) => {
      outputs.push(r);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    // progress lines on stderr (not a terminal), the report on stdout
    const grid = ok(await run(['grid', 'grid.yaml', '--db', url, '--backend', backend, '--workers', '2'], dir));
    expect(grid.stderr.split('\n').filter((l) => /^\[\d\/4\] trial \d: mean=/.test(l))).toHaveLength(4);
    expect(grid.stdout).toMatch(/^Best: 0\.\d{4} using \{init: glorot_uniform/);
    ok(await run(['random', 'random.yaml', '--budget', '3', '--backend', backend], dir, env));
    // bayes continues the random study: 2 more trials
    ok(await run(['bayes', 'random.yaml', '--budget', '5', '--startup', '2', '--backend', backend], dir, env));
    // wasm worker processes share the database too
    ok(await run(['random', 'random.yaml', '--budget', '7', '--backend', 'wasm', '--workers', '2'], dir, env));
    const db = new URL(url).pathname.slice(1);
    const states = await c.query(db, 'SELECT s.name, t.sampler, t.state FROM trials t JOIN studies s ON s.id = t.study_id ORDER BY s.name, t.number');
    expect(states.filter((r) => r.name === 'tiny').map((r) => r.state)).toEqual(['complete', 'complete', 'complete', 'complete']);
    expect(states.filter((r) => r.name === 'tiny-random').map((r) => r.sampler)).toEqual(['random', 'random', 'random', 'bayes', 'bayes', 'random', 'random']);

    for (const format of ['table', 'csv', 'json', 'markdown']) ok(await run(['report', '--study', 'tiny', '--format', format], dir, env));
    expect(ok(await run(['report', '--study', 'tiny-random', '--by', 'units', '--db', url], dir)).stdout).toMatch(/^units\s+trials/);
    ok(await run(['report', '--study', 'tiny', '--html', 'report.html'], dir, env));
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('data-chart="history"');
    expect(ok(await run(['show', 'best', '--study', 'tiny'], dir, env)).stdout).toMatch(/^trial \d of study tiny/);
    expect(ok(await run(['show', '0', '--study', 'tiny-random', '--db', url], dir)).stdout).toMatch(/^trial 0 of study tiny-random/);
    ok(await run(['export', '--best', 'model', '--study', 'tiny', '--backend', backend], dir, env));
    const exportMeta = readFileSync(join(dir, 'model', 'nnsearch.json'), 'utf8');
    const studies = ok(await run(['studies'], dir, env));
    expect(studies.stdout).toMatch(/tiny\s+4\s+4\s+0\s+0/);
    expect(studies.stdout).toMatch(/tiny-random\s+7\s+7/);
    expect(ok(await run(['validate', 'grid.yaml'], dir, env)).stdout).toMatch(/database postgresql:\/\/nnsearch:\*\*\*@127\.0\.0\.1:\d+\/cli_all: study tiny holds 4 trials from this spec; a search continues it/);
    expect(ok(await run(['validate', 'grid.yaml', '--db', 'other.db'], dir, env)).stdout).toMatch(/other\.db: does not exist yet/);

    // what goes wrong says so on one line, names the database without its password, exit 2
    write(dir, 'changed.yaml', GRID.replace('epochs: 3', 'epochs: 4'));
    const refused = await run(['validate', 'changed.yaml'], dir, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^nnsearch: study 'tiny' in postgresql:\/\/nnsearch:\*\*\*@127\.0\.0\.1:\d+\/cli_all was created from a different spec \(train\.epochs differs\)/);
    const wrongPassword = await run(['studies', '--db', url.replace(encodeURIComponent(c.password), encodeURIComponent(`${c.password}x`))], dir);
    expect(wrongPassword.code).toBe(2);
    expect(wrongPassword.stderr).toMatch(/^nnsearch: postgresql:\/\/nnsearch:\*\*\*@127\.0\.0\.1:\d+\/cli_all: cannot use the database \(password authentication failed for user "nnsearch"\)\n$/);
    const noDb = await run(['report', '--db', c.url('missing_db')], dir);
    expect(noDb.stderr).toMatch(/database "missing_db" does not exist \(create it first/);
    const noStudy = await run(['report', '--study', 'nope'], dir, env);
    expect(noStudy.stderr).toMatch(/--study: no study 'nope' in postgresql:\/\/nnsearch:\*\*\*@/);
    const scheme = await run(['studies', '--db', `mysql://root:${c.password}@localhost/hp`], dir);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(/^nnsearch: --db: mysql:\/\/ URLs are not a database nnsearch can use/);
    // a password with a raw '@' or '/' (not percent-encoded) is refused without echoing any of it
    const raw = await run(['studies', '--db', c.url('cli_all').replace(encodeURIComponent(c.password), c.password)], dir);
    expect(raw.code).toBe(2);
    expect(raw.stderr).toMatch(/^nnsearch: postgresql:\/\/\*\*\* \(percent-encode '@', '\/', '\?' and '#' in the user and password: %40 %2F %3F %23\): not a usable PostgreSQL URL\n$/);
    outputs.push(raw);
    outputs.push(refused, wrongPassword, noDb, noStudy, scheme, { code: 0, stdout: html, stderr: exportMeta });
    for (const o of outputs) for (const s of secrets) expect(o.stdout + o.stderr).not.toContain(s);
    // --help shows where the default comes from, never NNSEARCH_DB's value
    const help = await run(['report', '--help'], dir, env);
    expect(help.stdout).toContain('$NNSEARCH_DB, else nnsearch.db');
    for (const s of secrets) expect(help.stdout).not.toContain(s);
  });

  it('a server that goes away mid-search: exit 1 with a clear message, nothing lost, the same command resumes', async () => {
    const c = cluster();
    const url = await c.createDatabase('cli_gone');
    const db = 'cli_gone';
    const dir = mkdtempSync(join(tmpdir(), 'nns-pg-gone-'));
    let child: ReturnType<typeof spawn> | undefined;
    try {
      const ds = blobs(900, 16, 4, 5, 1.2);
      const rows = [[...Array.from({ length: 16 }, (_, j) => `f${j}`), 'label'].join(',')];
      for (let i = 0; i < ds.n; i++) rows.push([...ds.x.subarray(i * 16, i * 16 + 16)].map((v) => v.toFixed(3)).concat(String(ds.y[i])).join(','));
      writeFileSync(join(dir, 'data.csv'), rows.join('\n') + '\n');
      writeFileSync(join(dir, 'spec.yaml'), 'name: gone\nseed: 4\ndata:\n  dataset: csv\n  file: data.csv\nmodel:\n  units: [32]\ntrain:\n  epochs: 120\n  batch_size: 16\ncv:\n  folds: 3\nparams:\n  learning_rate: [0.001, 0.002, 0.004, 0.008, 0.016, 0.032]\n');
      const args = ['grid', 'spec.yaml', '--db', url, '--backend', backend, '--workers', '1', '--quiet'];
      child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NNSEARCH_DB: '' } });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
      // stop the server while a trial runs, once another is complete (its folds must survive)
      let before: Record<string, unknown>[] = [];
      for (let i = 0; i < 600 && before.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          const [n] = await c.query(db, "SELECT count(*) FILTER (WHERE state = 'complete')::int AS complete, count(*) FILTER (WHERE state = 'running' AND params_json <> 'null')::int AS running FROM trials");
          if ((n.complete as number) > 0 && (n.running as number) > 0) before = await c.query(db, 'SELECT trial_id, fold, score FROM fold_results ORDER BY 1, 2');
        } catch {
          // the tables do not exist yet
        }
      }
      expect(before.length).toBeGreaterThan(0);
      await c.stopServer('fast');
      let code: number | null;
      try {
        code = await exited;
      } finally {
        await c.startServer();
      }
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(/(^|\n)nnsearch: postgresql:\/\/nnsearch:\*\*\*@127\.0\.0\.1:\d+\/cli_gone: lost the database server \(.+\); nothing is lost: run the same command again to continue\n$/);
      expect(stderr).not.toContain(c.password);
      const again = await run(args, dir);
      expect(again.code, again.stderr).toBe(0);
      const trials = await c.query(db, 'SELECT number, state, attempts, (SELECT count(*)::int FROM fold_results f WHERE f.trial_id = t.id) AS folds FROM trials t ORDER BY number');
      expect(trials.map((t) => [t.state, t.folds])).toEqual(Array.from({ length: 6 }, () => ['complete', 3]));
      expect(trials.some((t) => (t.attempts as number) > 1)).toBe(true);
      // the folds recorded before the server went away are the ones the study keeps
      const after = await c.query(db, 'SELECT trial_id, fold, score FROM fold_results ORDER BY 1, 2');
      for (const f of before) expect(after).toContainEqual(f);
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nnsearch copy: a study started in a SQLite file continues on PostgreSQL, and comes back', async () => {
    const c = cluster();
    const url = await c.createDatabase('cli_copy');
    const dir = workdir();
    write(dir, 'random.yaml', RANDOM);
    const laptop = ['--db', 'laptop.db'];
    expect((await run(['random', 'random.yaml', '--budget', '2', '--backend', backend, ...laptop], dir)).code).toBe(0);
    const toPg = await run(['copy', '--from', 'laptop.db', '--to', url], dir);
    expect(toPg.code, toPg.stderr).toBe(0);
    expect(toPg.stdout.trim()).toMatch(/^study tiny-random: 2 trials copied from laptop\.db to postgresql:\/\/nnsearch:\*\*\*@127\.0\.0\.1:\d+\/cli_copy$/);
    // the cluster continues the study: the same seed's next proposals, trials 2 and 3
    expect((await run(['random', 'random.yaml', '--budget', '4', '--backend', backend, '--db', url], dir)).code).toBe(0);
    // back: into a new file, and into the laptop's file (which gets only what it lacks)
    const back = await run(['copy', '--from', url, '--to', 'back.db', '--study', 'tiny-random'], dir);
    expect(back.stdout).toMatch(/4 trials copied/);
    const home = await run(['copy', '--from', url, '--to', 'laptop.db'], dir);
    expect(home.stdout).toMatch(/2 trials copied .* \(2 already there\)/);
    const again = await run(['copy', '--from', url, '--to', 'laptop.db'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 trials copied .* \(4 already there\)/);
    for (const f of ['back.db', 'laptop.db']) expect(trialsIn(join(dir, f)).map((t) => [t.number, t.state])).toEqual([0, 1, 2, 3].map((n) => [n, 'complete']));
    const csv = async (db: string) => (await run(['report', '--format', 'csv', '--db', db], dir)).stdout;
    expect(await csv('laptop.db')).toBe(await csv(url));
    expect(await csv('back.db')).toBe(await csv(url));
    // a study of the same name from another spec is refused, nothing written
    write(dir, 'other.yaml', RANDOM.replace('epochs: 3', 'epochs: 2'));
    expect((await run(['random', 'other.yaml', '--budget', '1', '--backend', backend, '--db', 'other.db'], dir)).code).toBe(0);
    const refused = await run(['copy', '--from', 'other.db', '--to', url], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^nnsearch: study 'tiny-random' in postgresql:\/\/nnsearch:\*\*\*@\S+ was created from a different spec than in other\.db; nothing copied/);
    expect((await run(['studies', '--db', url], dir)).stdout).toMatch(/tiny-random\s+4\s+4/);
    // SQLAlchemy's form of a SQLite file, as Optuna users write it
    expect((await run(['studies', '--db', 'sqlite:///laptop.db'], dir)).stdout).toMatch(/tiny-random\s+4\s+4/);
    for (const r of [toPg, back, home, again, refused]) expect(r.stdout + r.stderr).not.toContain(c.password);
  });
});
