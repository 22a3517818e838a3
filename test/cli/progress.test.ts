import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseProgress, LineProgress } from '../../src/cli/progress.js';
import type { TrialRecord } from '../../src/store/types.js';

const trial = (number: number, value: number | null): TrialRecord => ({
  id: number + 1, studyId: 1, number, sampler: 'grid', samplerIndex: number, state: value === null ? 'fail' : 'complete', params: { init: 'zero' }, value, std: value === null ? null : 0.01,
  failReason: value === null ? 'diverged' : null, error: null, engine: 'x', startedAt: null, completedAt: null, duration: 1.5, meanFitTime: 1, meanScoreTime: 0.1, attempts: 1, worker: null,
});

describe('progress output', () => {
  it('prints one plain line per finished trial when not on a terminal', () => {
    const lines: string[] = [];
    const p = new LineProgress((l) => lines.push(l));
    p.start(2, 0);
    p.trialEnd(trial(0, 0.9));
    p.trialEnd(trial(1, null));
    expect(lines).toEqual(['[1/2] trial 0: mean=0.9000 std=0.0100 {init: zero} (1.5s)', '[2/2] trial 1: failed (diverged) {init: zero} (1.5s)']);
  });

  it('draws progress bars (trials with ETA, the running trials’ epochs) on a terminal', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream;
    let out = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (out += d.toString()));
    const p = chooseProgress('bars', stream);
    p.start(3, 1);
    const t = trial(1, null);
    p.trialStart(t, 3, 4);
    p.epoch(t, 0, { epoch: 0, lr: 0.1, loss: 0.5, metric: 0.8, valLoss: null, valMetric: null, testLoss: 0.6, testMetric: 0.7, seconds: 0.1 });
    await new Promise((r) => setTimeout(r, 300));
    p.trialEnd(trial(1, 0.9));
    p.stop();
    expect(out).toMatch(/trials \|[█░]+\| [12]\/3 ETA/);
    expect(out).toMatch(/trial 1 \|[█░]+\| 1\/12 fold 1 epoch 1 loss 0\.5000/);
    expect(out).toMatch(/trial 1: mean=0\.9000 std=0\.0100 \{init: zero\}/);
  });

  it('is silent with --quiet', () => {
    const p = chooseProgress('quiet');
    expect(() => {
      p.start(1, 0);
      p.trialEnd(trial(0, 0.5));
      p.stop();
    }).not.toThrow();
  });
});
