import { describe, expect, it } from 'vitest';
import { EarlyStopping } from '../../src/engine/fit.js';
import { golden } from './keras-golden.js';

describe(`EarlyStopping matches keras.callbacks.EarlyStopping (${golden.keras})`, () => {
  for (const c of golden.early_stopping) {
    it(`${c.monitor} ${c.mode} patience=${c.patience} min_delta=${c.min_delta} start=${c.start_from_epoch} on ${c.sequence.join(',')}`, () => {
      const es = new EarlyStopping({ monitor: c.monitor, patience: c.patience, min_delta: c.min_delta, mode: c.mode, restore_best: false, start_from_epoch: c.start_from_epoch });
      let stopped: number | null = null;
      for (const [epoch, v] of c.sequence.entries()) {
        if (es.onEpochEnd(epoch, v).stop) {
          stopped = epoch;
          break;
        }
      }
      expect(stopped).toBe(c.stopped_epoch);
      if (es.bestEpoch !== null) expect(es.bestEpoch).toBe(c.best_epoch);
    });
  }

  it('asks to save weights on every improvement when restoring the best', () => {
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 1, min_delta: 0, mode: 'auto', restore_best: true, start_from_epoch: 0 });
    expect(es.onEpochEnd(0, 1.0)).toEqual({ saveWeights: true, stop: false });
    expect(es.onEpochEnd(1, 0.5)).toEqual({ saveWeights: true, stop: false });
    expect(es.onEpochEnd(2, 0.7)).toEqual({ saveWeights: false, stop: true });
    expect(es.bestEpoch).toBe(1);
  });
});
