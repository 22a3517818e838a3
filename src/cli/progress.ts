/**
 * Progress output: cli-progress bars on a terminal (all trials with ETA; the current trial's folds
 * and epochs), one plain line per finished trial otherwise, nothing with --quiet.
 */
import cliProgress from 'cli-progress';
import { formatParams, trialLine } from '../report/render.js';
import type { EpochRecord } from '../records.js';
import type { TrialRecord } from '../store/types.js';
import { silentProgress, type Progress } from '../study/run.js';
import { outputClosed } from './io.js';

export type ProgressMode = 'bars' | 'lines' | 'quiet';

export function chooseProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'quiet') return silentProgress;
  if (mode === 'bars') return new BarProgress(stream);
  return new LineProgress((s) => {
    if (!outputClosed()) stream.write(s + '\n');
  });
}

function endLine(t: TrialRecord): string {
  const seconds = t.duration !== null ? ` (${t.duration.toFixed(1)}s)` : '';
  return `${trialLine({ ...t, mean: t.value, std: t.std, reached: t.state === 'pruned' ? t.value : null })}${seconds}`;
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
  /** Trials in training: their planned epochs (folds x epochs) and epochs seen per fold. */
  private readonly active = new Map<number, { trial: TrialRecord; planned: number; seen: Map<number, number> }>();

  constructor(stream: NodeJS.WriteStream) {
    this.multi = new cliProgress.MultiBar(
      { stream, clearOnComplete: true, hideCursor: true, format: '{label} |{bar}| {value}/{total} {info}', barsize: 30, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number, done: number): void {
    const t = Number.isFinite(total) ? total : done + 1;
    this.overall = this.multi.create(t, done, { label: 'trials', info: '' }, { format: '{label} |{bar}| {value}/{total} ETA {eta_formatted}' });
  }

  private redraw(info: string): void {
    const planned = [...this.active.values()].reduce((a, t) => a + t.planned, 0);
    const seen = [...this.active.values()].reduce((a, t) => a + [...t.seen.values()].reduce((x, y) => x + y, 0), 0);
    const label = `trial ${[...this.active.values()].map((t) => t.trial.number).join(',')}`;
    if (!this.current) this.current = this.multi.create(Math.max(planned, 1), seen, { label, info });
    this.current.setTotal(Math.max(planned, 1));
    this.current.update(Math.min(seen, planned), { label, info });
  }

  trialStart(t: TrialRecord, folds: number, epochs: number): void {
    this.active.set(t.id, { trial: t, planned: folds * epochs, seen: new Map() });
    this.redraw(this.active.size === 1 ? formatParams(t.params) : `${this.active.size} trials`);
  }

  epoch(t: TrialRecord, fold: number, r: EpochRecord): void {
    const a = this.active.get(t.id);
    if (!a) return;
    a.seen.set(fold, r.epoch + 1);
    this.redraw(`fold ${fold + 1} epoch ${r.epoch + 1} loss ${r.loss.toFixed(4)}`);
  }

  trialEnd(t: TrialRecord): void {
    this.active.delete(t.id);
    this.multi.log(`trial ${t.number}: ${endLine(t)}\n`);
    this.overall?.increment();
    if (this.active.size === 0 && this.current) {
      this.multi.remove(this.current);
      this.current = null;
    }
  }

  stop(): void {
    this.multi.stop();
  }
}
