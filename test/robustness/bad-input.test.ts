/**
 * Every malformed spec and data file in test/fixtures/bad (each names its expected message in its
 * first line) and a fuzz test of mutated valid specs: one line on stderr, exit 2, no stack trace,
 * and no database file created.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Rng } from '../../src/rng.js';

const BAD = resolve(import.meta.dirname, '../fixtures/bad');
const corpus = readdirSync(BAD).filter((f) => f.endsWith('.yaml'));

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

function expectOneCleanLine(err: string[]): void {
  const text = err.join('\n');
  expect(text.split('\n'), text).toHaveLength(1);
  expect(text).toMatch(/^nnsearch: /);
  expect(text).not.toMatch(/\bat .*\.(js|ts):\d+/);
  expect(text).not.toMatch(/internal error/);
}

describe(`bad input corpus (${corpus.length} specs)`, () => {
  it('holds at least 30 malformed specs', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  const dir = mkdtempSync(join(tmpdir(), 'nns-bad-'));
  for (const file of corpus) {
    it(file, async () => {
      const first = readFileSync(join(BAD, file), 'utf8').split('\n')[0];
      const expected = first.startsWith('# expect: ') ? new RegExp(first.slice('# expect: '.length)) : null;
      const db = join(dir, `${file}.db`);
      const r = await run(['grid', join(BAD, file), '--db', db, '--backend', 'native', '--workers', '1']);
      expect(r.code, r.err.join('\n')).toBe(2);
      expectOneCleanLine(r.err);
      if (expected) expect(r.err[0]).toMatch(expected);
      expect(r.out).toEqual([]);
      expect(existsSync(db)).toBe(false);
    });
  }
});

/** Text mutations of a valid spec: the kinds of mistakes people make when editing YAML. */
function mutate(text: string, rng: Rng): string {
  const lines = text.split('\n');
  const i = rng.int(lines.length);
  const line = lines[i];
  const junk = ['', '-', ':', '[', '{', '}', 'x', '0', '-1', '1e400', 'null', 'true', '"', "'", '\t', '  ', 'nan', '[]', '{}', 'uniform', 'lecun'];
  switch (rng.int(8)) {
    case 0: // delete a character
      if (line.length) lines[i] = line.slice(0, rng.int(line.length)) + line.slice(rng.int(line.length) + 1);
      break;
    case 1: // insert junk
      lines[i] = line.slice(0, rng.int(line.length + 1)) + junk[rng.int(junk.length)] + line.slice(rng.int(line.length + 1));
      break;
    case 2: // replace a value
      if (line.includes(':')) lines[i] = line.slice(0, line.indexOf(':') + 1) + ' ' + junk[rng.int(junk.length)];
      break;
    case 3: // drop a line
      lines.splice(i, 1);
      break;
    case 4: // duplicate a line
      lines.splice(i, 0, line);
      break;
    case 5: // re-indent
      lines[i] = ' '.repeat(rng.int(5)) + line.trimStart();
      break;
    case 6: // rename a key
      if (line.includes(':')) lines[i] = line.replace(/([a-z_]+):/, (_m, k: string) => `${k.slice(0, -1) || 'q'}:`);
      break;
    default: // swap two lines
      {
        const j = rng.int(lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
      }
  }
  return lines.join('\n');
}

const VALID = `name: fuzz
seed: 3
data:
  dataset: csv
  file: three.csv
model:
  units: [4]
  activation: relu
  init: he_uniform
  optimizer: sgd
  momentum: 0.5
  learning_rate: 0.1
train:
  epochs: 1
  batch_size: 4
cv:
  folds: 3
metric:
  name: accuracy
params:
  init: [uniform, zero]
  learning_rate: [0.1, 0.01]
`;

describe('fuzzing valid specs', () => {
  it('never crashes: mutated specs are either valid (exit 0) or rejected in one clean line (exit 2), database untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nns-fuzz-'));
    writeFileSync(join(dir, 'three.csv'), readFileSync(join(BAD, 'three.csv')));
    const rng = new Rng(2024);
    let rejected = 0;
    let accepted = 0;
    for (let k = 0; k < 300; k++) {
      let text = VALID;
      for (let m = 0, n = 1 + rng.int(3); m < n; m++) text = mutate(text, rng);
      const spec = join(dir, `f${k}.yaml`);
      writeFileSync(spec, text);
      const db = join(dir, `f${k}.db`);
      const r = await run(['validate', spec]);
      expect([0, 2], `${text}\n---\n${r.err.join('\n')}`).toContain(r.code);
      if (r.code === 2) {
        rejected++;
        for (const line of r.err) expect(line).not.toMatch(/internal error|\bat .*\.(js|ts):\d+/);
        // the search commands refuse it in one line and create no database
        const g = await run(['grid', spec, '--db', db, '--backend', 'native', '--workers', '1']);
        expect(g.code, `${text}\n---\n${g.err.join('\n')}`).toBe(2);
        expectOneCleanLine(g.err);
        expect(existsSync(db)).toBe(false);
      } else accepted++;
    }
    console.info(`fuzz: 300 mutated specs, ${rejected} rejected in one line (each also refused by grid, no database), ${accepted} still valid`);
    expect(rejected).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(10);
  });
});
