import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAbandoned, WORKER_ID } from '../../src/store/lease.js';

const LEASE = resolve(import.meta.dirname, '../../dist/src/store/lease.js');

/** What lease.ts decides in a process started with `env`. */
function inProcess(env: Record<string, string>, expr: string): unknown {
  const script = `import * as lease from ${JSON.stringify(LEASE)}; console.log(JSON.stringify(${expr}));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('leases', () => {
  it('a worker is its host and pid; on this host a dead pid is gone at once, elsewhere only a stale heartbeat counts', () => {
    expect(WORKER_ID).toBe(`${hostname()}:${process.pid}`);
    const fresh = Date.now();
    expect(isAbandoned(`${hostname()}:999999999`, fresh, 60_000)).toBe(true);
    expect(isAbandoned('elsewhere:999999999', fresh, 60_000)).toBe(false);
    expect(isAbandoned('elsewhere:999999999', fresh - 61_000, 60_000, fresh)).toBe(true);
    expect(isAbandoned(WORKER_ID, fresh - 61_000, 60_000, fresh)).toBe(true);
  });

  it('NNSEARCH_WORKER_ID names the host: its workers judge each other by pid, the real host name by heartbeat', () => {
    const [id, sameHostDead, realHostDead] = inProcess({ NNSEARCH_WORKER_ID: 'gpu-7' }, `[lease.WORKER_ID, lease.workerIsDead('gpu-7:999999999'), lease.workerIsDead(${JSON.stringify(`${hostname()}:999999999`)})]`) as [string, boolean, boolean];
    expect(id).toMatch(/^gpu-7:\d+$/);
    expect(sameHostDead).toBe(true);
    expect(realHostDead).toBe(false);
  });
});
