/**
 * The CPU anchors of `npm run bench` (bench/anchors/*.py): which Python has NumPy and PyTorch, the
 * dataset file they read, and runs pinned to a thread count, alone or as concurrent processes.
 *
 * `python3` on PATH may be a separate install without them (pyenv, a venv); Debian's /usr/bin/python3
 * is where python3-numpy and python3-torch put them, so it is tried first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../src/data/dataset.js';
import { packageRoot } from '../src/paths.js';

const PYTHONS = ['/usr/bin/python3', 'python3'];

export interface AnchorShape {
  hidden: number;
  batch: number;
  epochs: number;
  samples_per_s: number;
  accuracy: number;
}

export interface AnchorRuntime {
  python: string;
  blas: string;
  blas_libraries: string[];
  threads_requested: number;
  [key: string]: unknown;
}

export type AnchorResult = { anchor: string; runtime: AnchorRuntime; shapes: AnchorShape[] } | { error: string };

/** The first Python that imports `module`, or null. */
export function pythonWith(module: string): string | null {
  for (const python of PYTHONS) {
    const r = spawnSync(python, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return null;
}

/** Writes the dataset for the anchors (format in bench/anchors/anchor_common.py); returns the prefix. */
export function writeAnchorDataset(dir: string, name: string, ds: Dataset, train: number): string {
  const prefix = join(dir, name);
  writeFileSync(`${prefix}.json`, JSON.stringify({ n: ds.n, d: ds.d, train }));
  writeFileSync(`${prefix}.x.f32`, Buffer.from(ds.x.buffer, ds.x.byteOffset, ds.x.byteLength));
  writeFileSync(`${prefix}.y.f32`, Buffer.from(ds.y.buffer, ds.y.byteOffset, ds.y.byteLength));
  return prefix;
}

/** The environment of an anchor pinned to `threads` (the script pins again before importing). */
function pinnedEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return { ...process.env, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n, BLIS_NUM_THREADS: n };
}

function parseLast(stdout: string, stderr: string, status: number | null): unknown {
  if (status !== 0) return { error: (stderr || 'failed').trim().split('\n').pop() };
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

export function anchorScript(name: string): string {
  return join(packageRoot(), 'bench/anchors', name);
}

/** One anchor process, waited for. */
export function runAnchor(python: string, script: string, args: string[], threads: number): unknown {
  const r = spawnSync(python, [anchorScript(script), ...args], { encoding: 'utf8', env: pinnedEnv(threads), maxBuffer: 1 << 24 });
  if (r.error) return { error: r.error.message };
  return parseLast(r.stdout, r.stderr, r.status);
}

/** `count` copies of one anchor started together, each on `threads` threads (GridSearchCV's n_jobs). */
export function runConcurrent(python: string, script: string, args: string[], threads: number, count: number): Promise<unknown[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<unknown>((resolve) => {
          const child = spawn(python, [anchorScript(script), ...args], { env: pinnedEnv(threads) });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (err += d));
          child.on('error', (e) => resolve({ error: e.message }));
          child.on('close', (status) => resolve(parseLast(out, err, status)));
        }),
    ),
  );
}

/** A warning for the JSON when an anchor runs on a BLAS that makes it meaningless as a yardstick. */
export function blasWarning(result: AnchorResult): string | null {
  if ('error' in result) return null;
  const { blas, blas_libraries } = result.runtime;
  if (blas === 'reference')
    return `${result.anchor} runs on the reference BLAS (${blas_libraries.join(', ')}), far slower than an optimized one: on Debian, apt-get install libopenblas0-pthread`;
  if (blas === 'unknown') return `${result.anchor}: no BLAS library found in the process; its speed says little`;
  return null;
}
