/**
 * Pruning in the search loop (on the fake engine): intermediate values reported per epoch, pruned
 * trials stopped in their stack, recorded once and atomically with what they trained, counted in
 * the budget, never resumed; wilcoxon trains fold by fold.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import type { EpochRecord } from '../../src/records.js';
import { createPruner } from '../../src/search/pruners/index.js';
import { randomSampler } from '../../src/search/random.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { openStudy, prepareStudy } from '../../src/study/prepare.js';
import { intermediateAt } from '../../src/study/pruning.js';
import { runSearch } from '../../src/study/run.js';
import { workdir } from '../cli/run-cli.js';
import { FakeEngine } from '../fixtures/fake-engine.js';
import { specFrom } from '../helpers.js';

const dir = workdir();
async function setup(folds = 3, epochs = 6) {
  const spec = specFrom(`name: s\nseed: 2\ndata:\n  dataset: csv\n  file: blobs.csv\ntrain:\n  epochs: ${epochs}\ncv:\n  folds: ${folds}\nparams:\n  learning_rate: {min: 0.00001, max: 1, log: true}\n`);
  const prepared = prepareStudy(spec, join(dir, 'spec.yaml'), { checkGrid: false });
  const store = SqliteStore.open(':memory:', { create: true });
  const study = await openStudy(store, prepared);
  return { spec, prepared, store, study };
}

const rec = (epoch: number, testMetric: number): EpochRecord => ({ epoch, lr: 0.1, loss: 1, metric: 0.5, valLoss: null, valMetric: null, testLoss: 1 - testMetric, testMetric, seconds: 0.1 });

describe('intermediate values', () => {
  it("are the mean over the folds at the epoch; a finished fold's last value stands; unknown until every fold is there", () => {
    const a = { history: [rec(0, 0.5), rec(1, 0.7)], finished: false };
    const b = { history: [rec(0, 0.3)], finished: true };
    expect(intermediateAt([a, b], 0, 'accuracy')).toBeCloseTo(0.4, 12);
    expect(intermediateAt([a, b], 1, 'accuracy')).toBeCloseTo(0.5, 12);
    expect(intermediateAt([a, { ...b, finished: false }], 1, 'accuracy')).toBeNull();
    expect(intermediateAt([a, undefined], 0, 'accuracy')).toBeNull();
    expect(intermediateAt([a, b], 0, 'loss')).toBeCloseTo(0.6, 12);
  });
});

describe('pruning in the search loop', () => {
  it('median: prunes trials in their stack, records them once with their partial epochs, and saves model-epochs', async () => {
    const plain = await setup();
    const noPruning = new FakeEngine(9);
    await runSearch(plain.store, plain.study, plain.prepared, { sampler: randomSampler({ space: plain.spec.space, seed: 3 }), budget: 16, engine: noPruning, trialsPerRound: 2 });

    const { spec, prepared, store, study } = await setup();
    const engine = new FakeEngine(9);
    const s = await runSearch(store, study, prepared, {
      sampler: randomSampler({ space: spec.space, seed: 3 }),
      budget: 16,
      engine,
      trialsPerRound: 2,
      pruner: createPruner({ name: 'median', n_startup_trials: 2 }),
    });
    const trials = await store.listTrials(study.id);
    expect(trials).toHaveLength(16);
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(s).toMatchObject({ trialsRun: 16, pruned: pruned.length, complete: 16 - pruned.length });
    expect(pruned.length).toBeGreaterThan(2);
    expect(engine.log.modelEpochs).toBeLessThan(noPruning.log.modelEpochs);
    // the same proposals: what completes scores as without pruning, and the best is kept
    const best = (ts: typeof trials) => Math.max(...ts.filter((t) => t.state === 'complete').map((t) => t.value as number));
    expect(best(trials)).toBe(best(await plain.store.listTrials(plain.study.id)));
    const iv = await store.intermediateValues(study.id);
    for (const t of pruned) {
      const mine = iv.filter((v) => v.trialId === t.id && v.kind === 'step');
      const last = mine[mine.length - 1];
      // value: the last intermediate value; its folds trained to that epoch and no further
      expect(t.value).toBe(last.value);
      expect(last.step).toBeLessThan(5);
      expect(await store.getFolds(t.id)).toEqual([]);
      const epochs = await store.getEpochs(t.id);
      expect(epochs.map((e) => e.fold)).toEqual([0, 1, 2].flatMap((f) => Array(last.step + 1).fill(f)));
      expect(t.meanFitTime).not.toBeNull();
    }
    // complete trials reported every epoch
    for (const t of trials.filter((x) => x.state === 'complete')) expect(iv.filter((v) => v.trialId === t.id && v.kind === 'step').map((v) => v.step)).toEqual([0, 1, 2, 3, 4, 5]);
    // a pruned trial is final: the next run has nothing to resume or train
    const again = new FakeEngine(9);
    await runSearch(store, study, prepared, { sampler: randomSampler({ space: spec.space, seed: 3 }), budget: 16, engine: again, pruner: createPruner({ name: 'median' }) });
    expect(again.log.modelEpochs).toBe(0);
  });

  it('asha: records the rung values with the decisions, visible to the next trials', async () => {
    const { spec, prepared, store, study } = await setup(2, 9);
    const s = await runSearch(store, study, prepared, { sampler: randomSampler({ space: spec.space, seed: 5 }), budget: 12, engine: new FakeEngine(4), trialsPerRound: 2, pruner: createPruner({ name: 'asha', min_resource: 1, reduction_factor: 2 }) });
    expect(s.pruned).toBeGreaterThan(0);
    const rungs = (await store.intermediateValues(study.id)).filter((v) => v.kind === 'rung');
    expect(rungs.length).toBeGreaterThan(0);
    // rung r is completed at step 2^r
    for (const r of rungs) expect(r.value).toBe((await store.intermediateValues(study.id)).find((v) => v.trialId === r.trialId && v.kind === 'step' && v.step === 2 ** r.step)!.value);
  });

  it('wilcoxon: trains fold by fold and stops a trial whose folds are significantly worse than the best', async () => {
    const { spec, prepared, store, study } = await setup(6, 2);
    const engine = new FakeEngine(12);
    const s = await runSearch(store, study, prepared, {
      sampler: randomSampler({ space: spec.space, seed: 1 }),
      budget: 10,
      engine,
      trialsPerRound: 2,
      pruner: createPruner({ name: 'wilcoxon' }),
    });
    // one fold of each trial of the round per stack
    expect(engine.log.stacks.every((n) => n <= 2)).toBe(true);
    expect(s.pruned).toBeGreaterThan(0);
    for (const t of (await store.listTrials(study.id)).filter((x) => x.state === 'pruned')) {
      const folds = await store.getFolds(t.id);
      // 4 folds are the fewest on which p < 0.1 is possible; pruned before the last
      expect(folds.length).toBeGreaterThanOrEqual(4);
      expect(folds.length).toBeLessThan(6);
      expect(t.value).toBeCloseTo(folds.reduce((a, f) => a + f.score, 0) / folds.length, 12);
    }
  });

  it('Ctrl-C after a prune: the pruned trial stays pruned, the others are put back', async () => {
    const { spec, prepared, store, study } = await setup();
    let stop = false;
    const run = runSearch(store, study, prepared, {
      sampler: randomSampler({ space: spec.space, seed: 3 }),
      budget: 16,
      engine: new FakeEngine(9),
      trialsPerRound: 2,
      pruner: createPruner({ name: 'median', n_startup_trials: 2 }),
      shouldStop: () => stop,
      onPrune: () => (stop = true),
    });
    await expect(run).rejects.toThrow(InterruptedError);
    const states = (await store.listTrials(study.id)).map((t) => t.state);
    expect(states.filter((x) => x === 'pruned')).toHaveLength(1);
    expect(states.filter((x) => x === 'running')).toHaveLength(0);
  });
});
