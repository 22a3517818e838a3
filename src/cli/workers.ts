/**
 * --workers N: N processes (this command, re-run with --worker) claim trials from the same database.
 * Workers send their progress over IPC; this process shows it and prints the report at the end.
 */
import { fork } from 'node:child_process';
import { NnsearchError } from '../errors.js';
import type { EpochRecord } from '../records.js';
import type { TrialRecord } from '../store/types.js';
import type { Progress } from '../study/run.js';

type Message =
  | { kind: 'trialStart'; trial: TrialRecord; folds: number; epochs: number }
  | { kind: 'epoch'; trial: TrialRecord; fold: number; record: EpochRecord }
  | { kind: 'trialEnd'; trial: TrialRecord };

/** The Progress a worker uses: every event goes to the parent. */
export const ipcProgress: Progress = {
  start() {},
  trialStart: (trial, folds, epochs) => process.send?.({ kind: 'trialStart', trial, folds, epochs } satisfies Message),
  epoch: (trial, fold, record) => process.send?.({ kind: 'epoch', trial, fold, record } satisfies Message),
  trialEnd: (trial) => process.send?.({ kind: 'trialEnd', trial } satisfies Message),
  stop() {},
};

export interface WorkerExit {
  code: number;
  /** The worker's last stderr line, for its failure message. */
  lastError: string;
}

/** Runs `count` workers of `script args --worker` and relays their progress. */
export function runWorkers(script: string, args: string[], count: number, progress: Progress): Promise<WorkerExit[]> {
  const children: ReturnType<typeof fork>[] = [];
  // Ctrl-C reaches the workers from the terminal; a signal sent to this process alone is passed on
  // as SIGTERM, which a worker treats like a first Ctrl-C (finish the epoch, put the trial back).
  const forward = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const runs = Array.from({ length: count }, () =>
    new Promise<WorkerExit>((done) => {
      const child = fork(script, [...args, '--worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on('message', (m: Message) => {
        if (m.kind === 'trialStart') progress.trialStart(m.trial, m.folds, m.epochs);
        else if (m.kind === 'epoch') progress.epoch(m.trial, m.fold, m.record);
        else if (m.kind === 'trialEnd') progress.trialEnd(m.trial);
      });
      child.on('exit', (code, signal) => {
        const lines = stderr.trim().split('\n');
        // a worker stopped by the signal itself (before it could set its handler) was interrupted too
        done({ code: code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 130 : 1), lastError: lines[lines.length - 1] ?? '' });
      });
    }),
  );
  return Promise.all(runs).finally(() => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  });
}

/** A worker process that failed: its own exit code (2 for bad input) and its last error line. */
export class WorkerFailure extends NnsearchError {
  override name = 'WorkerFailure';
  readonly exitCode: number;
  constructor(exit: WorkerExit) {
    super(exit.code === 2 ? exit.lastError.replace(/^nnsearch: /, '') : `a worker failed (exit ${exit.code}): ${exit.lastError}`);
    this.exitCode = exit.code === 2 ? 2 : 1;
  }
}
