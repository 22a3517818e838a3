/**
 * Who holds a running trial, and when that holder counts as gone: the rule every storage applies
 * before handing a running trial to someone else.
 */
import { hostname } from 'node:os';
import { LeaseLostError } from '../errors.js';

/**
 * The host part of this process's worker id: NNSEARCH_WORKER_ID when set (an ops and testing knob:
 * machines that share a host name, or processes that should count as separate hosts), else the
 * host name. A worker recorded under another host is judged by its heartbeat only.
 */
const HOST = process.env.NNSEARCH_WORKER_ID || hostname();

/** This process as a trial's holder: host and pid. */
export const WORKER_ID = `${HOST}:${process.pid}`;

/** Whether the worker that wrote `worker` is certainly gone (same host, pid not alive). */
export function workerIsDead(worker: string | null): boolean {
  if (!worker) return true;
  const i = worker.lastIndexOf(':');
  const host = worker.slice(0, i);
  const pid = Number(worker.slice(i + 1));
  if (host !== HOST || !Number.isInteger(pid)) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A running trial is abandoned when its worker is dead or its heartbeat is older than the lease. */
export function isAbandoned(worker: string | null, heartbeatMs: number | null, leaseMs: number, nowMs = Date.now()): boolean {
  return workerIsDead(worker) || (heartbeatMs ?? 0) < nowMs - leaseMs;
}

/**
 * Whether a write for `attempt` of a trial may change it: the trial is running, and (when the
 * writer names its attempt) still in that attempt. Each takeover starts a new attempt, so a worker
 * whose lease ran out holds a stale number: its write is refused (the attempt is a fencing token).
 */
export function holds(trial: { state: string; attempts: number } | null | undefined, attempt: number | undefined): boolean {
  return !!trial && trial.state === 'running' && (attempt === undefined || trial.attempts === attempt);
}

/** The error for a refused write (see holds). */
export function leaseLost(trialId: number, trial: { state: string; attempts: number } | null | undefined, attempt: number | undefined): LeaseLostError {
  if (!trial) return new LeaseLostError(`trial ${trialId} is missing, not running`);
  if (trial.state !== 'running') return new LeaseLostError(`trial ${trialId} is ${trial.state}, not running`);
  return new LeaseLostError(`trial ${trialId} was taken over by another worker (this worker held attempt ${attempt}, it is in attempt ${trial.attempts})`);
}

/** The smallest unused index below size (grid), or one past the largest used (other samplers). */
export function nextSamplerIndex(used: readonly number[], size: number): number | null {
  const sorted = [...used].sort((a, b) => a - b);
  if (Number.isFinite(size)) {
    let expect = 0;
    for (const i of sorted) {
      if (i !== expect) break;
      expect++;
    }
    return expect < size ? expect : null;
  }
  return sorted.length === 0 ? 0 : sorted[sorted.length - 1] + 1;
}
