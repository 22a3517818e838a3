/**
 * Progress output: cli-progress bars on a terminal (all trials with ETA; the current trial's folds
 * and epochs), one plain line per finished trial otherwise, nothing with --quiet.
 */
import cliProgress from 'cli-progress';
import { formatParams, trialLine } from '../report/render.js';
import type { EpochRecord } from '../engine/fit.js';
import type { TrialRecord } from '../store/types.js';
import { silentProgress, type Progress } from '../study/run.js';

export type ProgressMode = 'bars' | 'lines' | 'quiet';

export function chooseProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'quiet') return silentProgress;
  if (mode === 'bars') return new BarProgress(stream);
  return new LineProgress((s) => stream.write(s + '\n'));
}

function endLine(t: TrialRecord): string {
  const seconds = t.duration !== null ? ` (${t.duration.toFixed(1)}s)` : '';
  return `${trialLine({ ...t, mean: t.value, std: t.std })}${seconds}`;
}

export class LineProgress implements Progress {
  private total = 0;
  private done = 0;
  constructor(private readonly write: (line: string) => void) {}
  start(total: number, done: number): void {
    this.total = total;
    this.done = done;
  }
  trialStart(): void {}
  epoch(): void {}
  trialEnd(t: TrialRecord): void {
    this.done++;
    this.write(`[${this.done}/${Number.isFinite(this.total) ? this.total : '?'}] trial ${t.number}: ${endLine(t)}`);
  }
  stop(): void {}
}

class BarProgress implements Progress {
  private readonly multi: cliProgress.MultiBar;
  private overall: cliProgress.SingleBar | null = null;
  private current: cliProgress.SingleBar | null = null;
  private epochs = 1;
  private folds = 1;
  private seen = new Map<number, number>();

  constructor(stream: NodeJS.WriteStream) {
    this.multi = new cliProgress.MultiBar(
      { stream, clearOnComplete: true, hideCursor: true, format: '{label} |{bar}| {value}/{total} {info}', barsize: 30, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number, done: number): void {
    const t = Number.isFinite(total) ? total : done + 1;
    this.overall = this.multi.create(t, done, { label: 'trials', info: 'ETA {eta_formatted}' }, { format: '{label} |{bar}| {value}/{total} ETA {eta_formatted}' });
  }

  trialStart(t: TrialRecord, folds: number, epochs: number): void {
    this.epochs = epochs;
    this.folds = folds;
    this.seen.clear();
    this.current?.stop();
    if (this.current) this.multi.remove(this.current);
    this.current = this.multi.create(folds * epochs, 0, { label: `trial ${t.number}`, info: formatParams(t.params) });
  }

  epoch(fold: number, r: EpochRecord): void {
    this.seen.set(fold, r.epoch + 1);
    const value = [...this.seen.values()].reduce((a, b) => a + b, 0);
    this.current?.update(Math.min(value, this.folds * this.epochs), { info: `fold ${fold + 1}/${this.folds} epoch ${r.epoch + 1}/${this.epochs} loss ${r.loss.toFixed(4)}` });
  }

  trialEnd(t: TrialRecord): void {
    this.multi.log(`trial ${t.number}: ${endLine(t)}\n`);
    this.overall?.increment();
  }

  stop(): void {
    this.multi.stop();
  }
}
