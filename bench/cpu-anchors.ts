/**
 * The CPU anchors of `npm run bench` (bench/anchors/*.py): which Python has NumPy and PyTorch, the
 * dataset file they read, and runs pinned to a thread count, alone or as concurrent processes.
 *
 * `python3` on PATH may be a separate install without them (pyenv, a venv); Debian's /usr/bin/python3
 * is where python3-numpy and python3-torch put them, so it is tried first.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../src/data/dataset.js';
import { packageRoot } from '../src/paths.js';

const PYTHONS = ['/usr/bin/python3', 'python3'];

export interface AnchorRuntime {
  anchor: string;
  python: string;
  blas: string;
  blas_libraries: string[];
  threads_requested: number;
  [key: string]: unknown;
}

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

/** One anchor process run to the end (the whole-search anchor). */
export function runAnchor(python: string, script: string, args: string[], threads: number): unknown {
  const r = spawnSync(python, [anchorScript(script), ...args], { encoding: 'utf8', env: pinnedEnv(threads), maxBuffer: 1 << 24 });
  if (r.error) return { error: r.error.message };
  return parseLast(r.stdout, r.stderr, r.status);
}

/**
 * A shape anchor (mlp_numpy.py, mlp_torch_cpu.py) kept running and driven one request at a time
 * (protocol in bench/anchors/anchor_common.py), so the benchmark can alternate the epochs of every
 * side instead of running each side's epochs in one stretch.
 */
export class AnchorProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = '';
  private stderr = '';
  private readonly waiting: ((line: string | null) => void)[] = [];
  private readonly lines: string[] = [];
  private exited = false;

  private constructor(python: string, script: string, args: string[], threads: number) {
    this.child = spawn(python, [anchorScript(script), ...args, '--threads', String(threads)], { env: pinnedEnv(threads) });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      let at;
      while ((at = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, at);
        this.buffered = this.buffered.slice(at + 1);
        const w = this.waiting.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.child.on('close', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  static start(python: string, script: string, args: string[], threads: number): AnchorProcess {
    return new AnchorProcess(python, script, args, threads);
  }

  /** One request and its reply; throws with the anchor's last error line when it has died. */
  async request<T>(op: Record<string, unknown>): Promise<T> {
    if (!this.exited) this.child.stdin.write(`${JSON.stringify(op)}\n`);
    const line = this.lines.shift() ?? (this.exited ? null : await new Promise<string | null>((resolve) => this.waiting.push(resolve)));
    if (line === null) throw new Error(this.stderr.trim().split('\n').pop() || 'anchor exited');
    return JSON.parse(line) as T;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** A warning for the JSON when an anchor runs on a BLAS that makes it meaningless as a yardstick. */
export function blasWarning(runtime: AnchorRuntime): string | null {
  if (runtime.blas === 'reference')
    return `${runtime.anchor} runs on the reference BLAS (${runtime.blas_libraries.join(', ')}), far slower than an optimized one: on Debian, apt-get install libopenblas0-pthread`;
  if (runtime.blas === 'unknown') return `${runtime.anchor}: no BLAS library found in the process; its speed says little`;
  return null;
}
