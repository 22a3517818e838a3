/**
 * Database files that are not what a search expects: damaged, read-only, empty. Each gets one line
 * naming the file and exit 2, and a search never writes to it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nnsearch, TINY, workdir, write } from '../cli/run-cli.js';

const SPEC = `${TINY}params:\n  learning_rate: [0.01, 0.05, 0.1]\n`;
const RANDOM = SPEC.replace('name: tiny', 'name: tiny-random').replace('params:\n  learning_rate: [0.01, 0.05, 0.1]', 'params:\n  learning_rate: {min: 0.001, max: 0.1, log: true}');
const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('database files', () => {
  let dir: string;
  let good: string;
  beforeAll(() => {
    dir = workdir();
    write(dir, 'spec.yaml', SPEC);
    write(dir, 'random.yaml', RANDOM);
    const r = nnsearch(['grid', 'spec.yaml', '--quiet', '--db', 'good.db'], dir);
    expect(r.code, r.stderr).toBe(0);
    good = join(dir, 'good.db');
    expect(existsSync(`${good}-wal`)).toBe(false); // checkpointed on close
  }, 120_000);

  it('a damaged file: report and show refuse in one line naming it, a search writes nothing', () => {
    const bad = join(dir, 'damaged.db');
    copyFileSync(good, bad);
    const size = statSync(bad).size;
    const fd = openSync(bad, 'r+');
    const garbage = Buffer.alloc(8192, 0xa5);
    writeSync(fd, garbage, 0, garbage.length, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    const before = hash(bad);
    for (const args of [['report'], ['show', '0'], ['studies'], ['random', 'random.yaml', '--budget', '2', '--quiet']]) {
      const r = nnsearch([...args, '--db', 'damaged.db'], dir);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/damaged\.db: the database file is damaged/);
      expect(r.stderr).not.toMatch(/internal error/);
    }
    expect(hash(bad)).toBe(before);
  }, 120_000);

  it('a read-only file: report and studies read it, a search says read-only and writes nothing', () => {
    const ro = join(dir, 'readonly.db');
    copyFileSync(good, ro);
    chmodSync(ro, 0o444);
    const before = hash(ro);
    const report = nnsearch(['report', '--db', 'readonly.db'], dir);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^Best: /);
    expect(nnsearch(['studies', '--db', 'readonly.db'], dir).code).toBe(0);
    const r = nnsearch(['random', 'random.yaml', '--budget', '2', '--quiet', '--db', 'readonly.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/readonly\.db: the database is read-only/);
    expect(hash(ro)).toBe(before);
  }, 120_000);

  it('an empty file: report says so and leaves it empty', () => {
    writeFileSync(join(dir, 'empty.db'), '');
    const r = nnsearch(['report', '--db', 'empty.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty\.db: not an nnsearch database \(the file is empty\)/);
    expect(statSync(join(dir, 'empty.db')).size).toBe(0);
  });
});
