import { describe, expect, it } from 'vitest';
import { InterruptedError, StorageError } from '../../src/errors.js';
import { gridSampler } from '../../src/search/grid.js';
import { randomSampler } from '../../src/search/random.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { openStudy, prepareStudy } from '../../src/study/prepare.js';
import { runSearch, shortfall } from '../../src/study/run.js';
import { bayesSampler } from '../../src/search/bayes.js';
import { cvResults } from '../../src/report/summarize.js';
import { FakeEngine } from '../fixtures/fake-engine.js';
import { specFrom } from '../helpers.js';
import { workdir } from '../cli/run-cli.js';
import { join } from 'node:path';

const dir = workdir();
async function setup(params: string, extra = '') {
  const spec = specFrom(`name: s\nseed: 2\ndata:\n  dataset: csv\n  file: blobs.csv\n${extra}train:\n  epochs: 3\ncv:\n  folds: 3\nparams:\n${params}`);
  const prepared = prepareStudy(spec, join(dir, 'spec.yaml'), { checkGrid: false });
  const store = SqliteStore.open(':memory:', { create: true });
  const study = await openStudy(store, prepared);
  return { spec, prepared, store, study };
}

describe('the search loop', () => {
  it('runs a grid to the end, every fold recorded, value = mean of the fold scores', async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.001, 0.01, 0.1]\n');
    const engine = new FakeEngine();
    const s = await runSearch(store, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine });
    expect(s).toEqual({ trialsRun: 3, complete: 3, failed: 0, pruned: 0, exhausted: false });
    for (const t of (await store.listTrials(study.id))) {
      const folds = (await store.getFolds(t.id));
      expect(folds.map((f) => f.fold)).toEqual([0, 1, 2]);
      expect(t.value).toBeCloseTo(folds.reduce((a, f) => a + f.score, 0) / 3, 12);
      expect((await store.getEpochs(t.id))).toHaveLength(9);
    }
    expect(engine.log.stacks).toEqual([3, 3, 3]);
  });

  it('stacks the folds of several trials in one round', async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.001, 0.01, 0.1, 0.2]\n');
    const engine = new FakeEngine(6);
    await runSearch(store, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine, trialsPerRound: 2 });
    expect(engine.log.stacks).toEqual([6, 6]);
    expect((await store.listTrials(study.id)).every((t) => t.state === 'complete')).toBe(true);
  });

  it('a database that goes away ends the run: its trial is left running for the next claimer, not failed', async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.001, 0.01]\n');
    let folds = 0;
    // the second fold's write finds the server gone
    const gone = Object.create(store, {
      recordFold: {
        value: (...a: Parameters<typeof store.recordFold>) => (++folds === 2 ? Promise.reject(new StorageError('db: lost the database server', 1)) : store.recordFold(...a)),
      },
    }) as typeof store;
    const engine = new FakeEngine(1);
    await expect(runSearch(gone, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine })).rejects.toThrow(/lost the database server/);
    const [t] = await store.listTrials(study.id);
    expect(t.state).toBe('running');
    expect((await store.getFolds(t.id)).map((f) => f.fold)).toEqual([0]);
  });

  it("a trial taken over by another worker (this one's lease ran out) is left to it: nothing more of this worker's is written, and the run goes on", async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.001, 0.01, 0.1]\n');
    const takeOver = async (trialId: number) => {
      await store.interruptTrial(trialId);
      return store.resumeTrial({ studyId: study.id, worker: 'other-host:1', leaseMs: 60_000 });
    };
    let first = true;
    // trial 0's first fold finds that another worker holds the trial now
    const stalled = Object.create(store, {
      recordFold: {
        value: async (...a: Parameters<typeof store.recordFold>) => {
          if (first) {
            first = false;
            expect((await takeOver(a[0]))!.id).toBe(a[0]);
          }
          return store.recordFold(...a);
        },
      },
    }) as typeof store;
    const lost: number[] = [];
    const engine = new FakeEngine(1);
    const s = await runSearch(stalled, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine, onLeaseLost: (t) => lost.push(t.number) });
    expect(lost).toEqual([0]);
    expect(s).toEqual({ trialsRun: 2, complete: 2, failed: 0, pruned: 0, exhausted: false });
    const trials = await store.listTrials(study.id);
    expect(trials.map((t) => [t.number, t.state, t.attempts])).toEqual([[0, 'running', 2], [1, 'complete', 1], [2, 'complete', 1]]);
    expect(trials[0].worker).toBe('other-host:1');
    expect(await store.getFolds(trials[0].id)).toEqual([]);
    expect(await store.getEpochs(trials[0].id)).toEqual([]);
    // trial 0's other folds were never trained here: 1 + 3 + 3 single-model stacks
    expect(engine.log.stacks).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it("notices a takeover at the next epoch's intermediate value and stops that trial's models there", async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.001, 0.01]\n');
    let reports = 0;
    const stalled = Object.create(store, {
      reportIntermediate: {
        value: async (...a: Parameters<typeof store.reportIntermediate>) => {
          // trial 0 has reported epoch 0; before epoch 1's report another worker takes it over
          if (++reports === 2) await store.interruptTrial(a[0]).then(() => store.resumeTrial({ studyId: study.id, worker: 'other-host:1', leaseMs: 60_000 }));
          return store.reportIntermediate(...a);
        },
      },
    }) as typeof store;
    const lost: number[] = [];
    const engine = new FakeEngine(3);
    await runSearch(stalled, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine, onLeaseLost: (t) => lost.push(t.number) });
    expect(lost).toEqual([0]);
    const [t0, t1] = await store.listTrials(study.id);
    expect([t0.state, t0.attempts, t1.state]).toEqual(['running', 2, 'complete']);
    // trial 0's three models trained 2 of their 3 epochs (stopped after the refused report), trial 1's all 3
    expect(engine.log.modelEpochs).toBe(3 * 2 + 3 * 3);
    expect((await store.intermediateValues(study.id)).filter((v) => v.trialId === t0.id).map((v) => v.step)).toEqual([0]);
  });

  it('resumes an interrupted trial, training only its missing folds', async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.001, 0.01]\n');
    let epochs = 0;
    let stop = false;
    // one model per stack: folds finish one at a time; stop during the second fold
    const engine = new FakeEngine(1, { onEpoch: () => (stop = ++epochs > 4) });
    await expect(runSearch(store, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine, shouldStop: () => stop })).rejects.toThrow(InterruptedError);
    const [t] = (await store.listTrials(study.id));
    expect(t.state).toBe('interrupted');
    expect((await store.getFolds(t.id)).map((f) => f.fold)).toEqual([0]);
    const again = new FakeEngine(1);
    await runSearch(store, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine: again });
    // trial 0: folds 1 and 2 only; trial 1: all three
    expect(again.log.trained).toHaveLength(5);
    const trials = (await store.listTrials(study.id));
    expect(trials.map((x) => [x.samplerIndex, x.state, x.attempts])).toEqual([[0, 'complete', 2], [1, 'complete', 1]]);
    expect((await store.getFolds(trials[0].id)).map((f) => f.fold)).toEqual([0, 1, 2]);
  });

  it('fails a diverging trial with reason diverged, goes on, and ranks it last', async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.01, 5.0, 0.1]\n');
    const s = await runSearch(store, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine: new FakeEngine(3, { divergeAbove: 1 }) });
    expect(s).toEqual({ trialsRun: 3, complete: 2, failed: 1, pruned: 0, exhausted: false });
    const bad = (await store.listTrials(study.id)).find((t) => t.params.learning_rate === 5)!;
    expect(bad).toMatchObject({ state: 'fail', failReason: 'diverged', value: null });
    expect(bad.error).toMatch(/NaN or infinite in folds 0, 1, 2/);
    const r = cvResults((await store.listTrials(study.id)), (await store.foldsByTrial(study.id)), 3, 'maximize');
    expect(r.rows.find((x) => x.params.learning_rate === 5)!.rank).toBe(3);
  });

  it('fails a trial whose engine throws, with the message, and goes on', async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: [0.01, 0.5, 0.1]\n');
    const s = await runSearch(store, study, prepared, { sampler: gridSampler({ space: spec.space }), budget: Infinity, engine: new FakeEngine(3, { failAbove: 0.3 }) });
    expect(s).toEqual({ trialsRun: 3, complete: 2, failed: 1, pruned: 0, exhausted: false });
    expect((await store.listTrials(study.id))[1]).toMatchObject({ state: 'fail', failReason: 'error', error: 'fake engine failure' });
  });

  it('fails a sampled configuration that is invalid, without training it', async () => {
    const { spec, prepared, store, study } = await setup('  units: [[8], [8, 8]]\n', 'model:\n  dropout: [0.1]\n');
    const engine = new FakeEngine();
    // two configurations, one invalid; random search never repeats one, so it ends after both
    const s = await runSearch(store, study, prepared, { sampler: randomSampler({ space: spec.space, seed: 1 }), budget: 6, engine });
    expect(s.trialsRun).toBe(2);
    expect(s.exhausted).toBe(true);
    const failed = (await store.listTrials(study.id)).filter((t) => t.state === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) expect(t.error).toMatch(/dropout: lists 1 rates for 2 hidden layers/);
    expect(engine.log.trained.length).toBe(3 * (2 - failed.length));
  });

  it('resumes the interrupted trials of another sampler, so a study of several samplers meets its budget', async () => {
    const { spec, prepared, store, study } = await setup('  learning_rate: {min: 0.001, max: 0.1, log: true}\n');
    let epochs = 0;
    let stop = false;
    // two trials per round, one model per stack: stop while the first round trains
    const engine = new FakeEngine(1, { onEpoch: () => (stop = ++epochs > 4) });
    const random = randomSampler({ space: spec.space, seed: 1 });
    await expect(runSearch(store, study, prepared, { sampler: random, budget: 4, engine, trialsPerRound: 2, shouldStop: () => stop })).rejects.toThrow(InterruptedError);
    const before = await store.listTrials(study.id);
    expect(before.map((t) => t.state)).toEqual(['interrupted', 'interrupted']);
    expect(shortfall(before, random, 4, spec.space)).toEqual({ have: 0, want: 4, interrupted: 2, exhausted: false });
    const bayes = bayesSampler({ space: spec.space, seed: 1, goal: 'maximize', startup: 2 });
    const s = await runSearch(store, study, prepared, { sampler: bayes, budget: 4, engine: new FakeEngine(3) });
    expect(s).toMatchObject({ trialsRun: 4, complete: 4, exhausted: false });
    const after = await store.listTrials(study.id);
    expect(after.map((t) => [t.sampler, t.state, t.attempts])).toEqual([['random', 'complete', 2], ['random', 'complete', 2], ['bayes', 'complete', 1], ['bayes', 'complete', 1]]);
    expect(shortfall(after, bayes, 4, spec.space)).toBeNull();
  });
});
