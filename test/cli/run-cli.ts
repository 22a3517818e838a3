/** Runs the built CLI (dist/, compiled by `npm test`) as a user would. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { blobs } from '../fixtures/synthetic.js';

export const BIN = resolve(import.meta.dirname, '../../bin/nnsearch.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function nnsearch(args: string[], cwd: string, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A temp dir with blobs.csv (120 rows, 4 features, 3 classes). */
export function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nns-cli-'));
  const ds = blobs(120, 4, 3, 3, 0.7);
  const rows = ['f1,f2,f3,f4,label'];
  for (let i = 0; i < ds.n; i++) rows.push([...ds.x.subarray(i * 4, i * 4 + 4)].map((v) => v.toFixed(4)).concat(String(ds.y[i])).join(','));
  writeFileSync(join(dir, 'blobs.csv'), rows.join('\n') + '\n');
  return dir;
}

export function write(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

export const TINY = `name: tiny
seed: 3
data:
  dataset: csv
  file: blobs.csv
  scaling: standard
model:
  units: [8]
  learning_rate: 0.05
train:
  epochs: 3
  batch_size: 16
cv:
  folds: 3
`;
