/**
 * What the process-level robustness tests share: the real CLI (bin/nnsearch.js from dist/) in a
 * child process, and a study directory whose trials take a noticeable fraction of a second each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeAvailable } from '../../src/engine/index.js';
import { BIN } from '../cli/run-cli.js';
import { blobs } from '../fixtures/synthetic.js';

export const backend = nativeAvailable() ? 'native' : 'wasm';

export interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>;
}

/** The CLI with `args` in `cwd`; `env` is added to this process's environment (a host's NNSEARCH_WORKER_ID, ...). */
export function start(args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  return { child, done };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A temporary directory with data.csv (1,500 rows of 16 features, 4 classes) and spec.yaml. */
export function studyDir(spec: string, prefix = 'nns-crash-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ds = blobs(1500, 16, 4, 5, 1.2);
  const rows = [[...Array.from({ length: 16 }, (_, j) => `f${j}`), 'label'].join(',')];
  for (let i = 0; i < ds.n; i++) rows.push([...ds.x.subarray(i * 16, i * 16 + 16)].map((v) => v.toFixed(3)).concat(String(ds.y[i])).join(','));
  writeFileSync(join(dir, 'data.csv'), rows.join('\n') + '\n');
  writeFileSync(join(dir, 'spec.yaml'), spec);
  return dir;
}
