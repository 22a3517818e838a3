/**
 * The Storage conformance suite: every invariant documented in src/store/storage.ts, checked on
 * any implementation. Each storage's test file calls `describeStorage` with a factory.
 */
import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/errors.js';
import { gridSampler } from '../../src/search/grid.js';
import { claimTrial } from '../../src/store/claim.js';
import { WORKER_ID } from '../../src/store/lease.js';
import type { Storage } from '../../src/store/storage.js';
import type { ClaimRequest, ImportedTrial } from '../../src/store/types.js';
import { specFrom } from '../helpers.js';

const spec = specFrom('name: s\nparams:\n  init: [uniform, normal, zero]\n');
const sampler = gridSampler({ space: spec.space });

export const claimRequest = (studyId: number, over: Partial<ClaimRequest> = {}): ClaimRequest => ({
  studyId,
  sampler: 'grid',
  size: sampler.size,
  budget: Infinity,
  propose: (i) => sampler.propose(i, []),
  worker: WORKER_ID,
  leaseMs: 60_000,
  ...over,
});

export const fold = (f: number, score: number, trainScore: number | null = null) => ({ fold: f, score, trainScore, testLoss: 0.5, fitTime: 1, scoreTime: 0.1, epochsRun: 3, stoppedEpoch: null, restoredEpoch: null, diverged: false, trainSize: 8, testSize: 2 });

const epochRow = (f: number, epoch: number) => ({ fold: f, epoch, lr: 0.1, loss: 1 / (epoch + 1), metric: 0.5, valLoss: null, valMetric: null, testLoss: 1.1, testMetric: 0.45, seconds: 0.2 });

const newStudy = (name = 's') => ({ name, specJson: '{}', metric: 'accuracy', goal: 'maximize' as const, dataSource: 'test', nSamples: 10, folds: 2 });

/** A claimed trial, or a failed expectation. */
async function claimed(store: Storage, req: ClaimRequest) {
  const t = await claimTrial(store, req, spec.space);
  if (t === null || t === 'exhausted') throw new Error(`expected a trial, got ${t}`);
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A complete trial of another storage, as nnsearch copy hands it over. */
export const imported = (number: number, init: string, over: Partial<ImportedTrial['trial']> = {}): ImportedTrial => ({
  trial: {
    number,
    sampler: 'grid',
    samplerIndex: number,
    state: 'complete',
    params: { init },
    value: 0.8,
    std: 0.05,
    failReason: null,
    error: null,
    engine: 'native',
    startedAt: '2026-01-02T03:04:05.678Z',
    completedAt: '2026-01-02T03:04:15.678Z',
    duration: 10,
    meanFitTime: 1.5,
    meanScoreTime: 0.25,
    attempts: 2,
    worker: 'laptop:42',
    ...over,
  },
  folds: [fold(0, 0.75), fold(1, 0.85)],
  epochs: [0, 1].flatMap((f) => [0, 1].map((epoch) => ({ fold: f, epoch, lr: 0.01, loss: 1 / (epoch + 1), metric: 0.5, valLoss: null, valMetric: null, testLoss: 0.9, testMetric: 0.6, seconds: 0.125 }))),
});

export interface StorageFactory {
  /** A new, empty storage. */
  open: () => Promise<Storage>;
  /** Another handle on the same storage, as a second process would open it. */
  another: (store: Storage) => Promise<Storage>;
}

export function describeStorage(name: string, { open, another }: StorageFactory): void {
  async function fresh(): Promise<{ store: Storage; studyId: number }> {
    const store = await open();
    const study = await store.createStudy(newStudy());
    return { store, studyId: study.id };
  }

  describe(`Storage conformance: ${name}`, () => {
    it('creates a study once; the same name returns the existing one', async () => {
      const { store, studyId } = await fresh();
      const again = await store.createStudy({ ...newStudy(), folds: 5 });
      expect(again.id).toBe(studyId);
      expect(again.folds).toBe(2);
      expect(Object.isFrozen(again)).toBe(true);
      expect(await store.getStudy('missing')).toBeNull();
      await store.close();
    });

    it('claims grid points in order, once each, then nothing', async () => {
      const { store, studyId } = await fresh();
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await claimed(store, claimRequest(studyId)));
      expect(got.map((t) => t.samplerIndex)).toEqual([0, 1, 2]);
      expect(got.map((t) => t.number)).toEqual([0, 1, 2]);
      expect(got.map((t) => t.params.init)).toEqual(['uniform', 'normal', 'zero']);
      expect(got.every((t) => t.state === 'running')).toBe(true);
      expect(await claimTrial(store, claimRequest(studyId), spec.space)).toBeNull();
      await store.close();
    });

    it('respects the budget across samplers, counting reservations being proposed', async () => {
      const { store, studyId } = await fresh();
      const random = { sampler: 'random' as const, size: Infinity, budget: 2 };
      expect(await claimTrial(store, claimRequest(studyId, random), spec.space)).not.toBeNull();
      const held = await store.reserveTrial({ studyId, sampler: 'random', size: Infinity, budget: 2, worker: WORKER_ID });
      expect(held).not.toBeNull();
      expect(await claimTrial(store, claimRequest(studyId, random), spec.space)).toBeNull();
      await store.releaseTrial(held!.trialId);
      expect(await claimTrial(store, claimRequest(studyId, random), spec.space)).not.toBeNull();
      expect(await claimTrial(store, claimRequest(studyId, random), spec.space)).toBeNull();
      await store.close();
    });

    it('hides a reservation from listings until it has parameters', async () => {
      const { store, studyId } = await fresh();
      const r = (await store.reserveTrial({ studyId, sampler: 'grid', size: 3, budget: Infinity, worker: WORKER_ID }))!;
      expect(await store.listTrials(studyId)).toEqual([]);
      expect((await store.listStudies())[0].trials).toBe(0);
      expect(await store.getTrialByNumber(studyId, r.number)).toBeNull();
      const t = await store.proposeTrial(r.trialId, { init: 'zero' }, spec.space, { unique: true });
      expect(t).toMatchObject({ number: 0, samplerIndex: 0, params: { init: 'zero' }, state: 'running' });
      expect((await store.listTrials(studyId)).map((x) => x.number)).toEqual([0]);
      await store.close();
    });

    it('refuses a configuration the study holds when asked to be unique; a grid may repeat one', async () => {
      const { store, studyId } = await fresh();
      const first = await claimed(store, claimRequest(studyId, { sampler: 'random', size: Infinity, propose: () => ({ init: 'normal' }), unique: true }));
      const r = (await store.reserveTrial({ studyId, sampler: 'random', size: Infinity, budget: Infinity, worker: WORKER_ID }))!;
      expect(await store.proposeTrial(r.trialId, { init: 'normal' }, spec.space, { unique: true })).toBe('duplicate');
      const other = await store.proposeTrial(r.trialId, { init: 'zero' }, spec.space, { unique: true });
      expect(other).toMatchObject({ params: { init: 'zero' } });
      // a grid point equal to the random trial's configuration is still trained
      const g = (await store.reserveTrial({ studyId, sampler: 'grid', size: 3, budget: Infinity, worker: WORKER_ID }))!;
      expect(await store.proposeTrial(g.trialId, { init: 'normal' }, spec.space, { unique: false })).toMatchObject({ params: { init: 'normal' } });
      expect(first.params.init).toBe('normal');
      await store.close();
    });

    it('re-proposes when another worker took the configuration first, and stops when the sampler is exhausted', async () => {
      const { store, studyId } = await fresh();
      await claimed(store, claimRequest(studyId, { sampler: 'random', size: Infinity, propose: () => ({ init: 'uniform' }), unique: true }));
      const proposals: string[] = [];
      const t = await claimed(store, claimRequest(studyId, {
        sampler: 'random',
        size: Infinity,
        unique: true,
        propose: () => {
          proposals.push(proposals.length === 0 ? 'uniform' : 'zero');
          return { init: proposals[proposals.length - 1] };
        },
      }));
      expect(proposals).toEqual(['uniform', 'zero']);
      expect(t.params.init).toBe('zero');
      expect(await claimTrial(store, claimRequest(studyId, { sampler: 'random', size: Infinity, unique: true, propose: () => null }), spec.space)).toBe('exhausted');
      expect((await store.listTrials(studyId)).length).toBe(2);
      // the exhausted reservation was released: the next trial takes its number
      const next = await claimed(store, claimRequest(studyId, { sampler: 'random', size: Infinity, unique: true, propose: () => ({ init: 'normal' }) }));
      expect(next.number).toBe(2);
      await store.close();
    });

    it('releases the reservation when proposing throws', async () => {
      const { store, studyId } = await fresh();
      await expect(claimTrial(store, claimRequest(studyId, { propose: () => { throw new Error('sampler broke'); } }), spec.space)).rejects.toThrow('sampler broke');
      expect((await claimed(store, claimRequest(studyId))).number).toBe(0);
      await store.close();
    });

    it('finishes a trial once; a finished trial never changes', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await store.recordFold(t.id, fold(0, 0.9), [{ fold: 0, epoch: 0, lr: 0.1, loss: 1, metric: 0.5, valLoss: null, valMetric: null, testLoss: 1.1, testMetric: 0.45, seconds: 0.2 }]);
      const done = await store.finishTrial(t.id, { state: 'complete', value: 0.9, std: 0, meanFitTime: 1, meanScoreTime: 0.1 });
      expect(done.state).toBe('complete');
      expect(Object.isFrozen(done)).toBe(true);
      await expect(store.finishTrial(t.id, { state: 'fail', value: null, std: null, meanFitTime: null, meanScoreTime: null })).rejects.toThrow(/complete, not running/);
      await store.interruptTrial(t.id);
      expect((await store.getTrial(t.id))!.state).toBe('complete');
      expect(await store.getEpochs(t.id)).toHaveLength(1);
      expect((await store.getFolds(t.id))[0].score).toBe(0.9);
      await store.close();
    });

    it('prunes a running trial once, with its partial epochs in the same step; a pruned trial never changes', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await store.recordFold(t.id, fold(0, 0.9), [epochRow(0, 0)]);
      const partial = [epochRow(1, 0), epochRow(1, 1)];
      const pruned = await store.finishTrial(t.id, { state: 'pruned', value: 0.55, std: null, meanFitTime: 1, meanScoreTime: null, epochs: partial });
      expect(pruned).toMatchObject({ state: 'pruned', value: 0.55 });
      expect(pruned.duration).not.toBeNull();
      // the fold that finished keeps its record; the pruned fold has its epochs and no record
      expect((await store.getFolds(t.id)).map((f) => f.fold)).toEqual([0]);
      expect((await store.getEpochs(t.id)).map((e) => [e.fold, e.epoch])).toEqual([[0, 0], [1, 0], [1, 1]]);
      // final: neither finished again (complete or pruned), nor interrupted, nor resumed
      await expect(store.finishTrial(t.id, { state: 'complete', value: 0.9, std: 0, meanFitTime: 1, meanScoreTime: 0 })).rejects.toThrow(/pruned, not running/);
      await expect(store.finishTrial(t.id, { state: 'pruned', value: 0.1, std: null, meanFitTime: 1, meanScoreTime: 0 })).rejects.toThrow(/pruned, not running/);
      await store.interruptTrial(t.id);
      expect(await store.resumeTrial({ studyId, worker: WORKER_ID, leaseMs: 60_000 })).toBeNull();
      expect(await store.getTrial(t.id)).toMatchObject({ state: 'pruned', value: 0.55 });
      expect((await store.listStudies())[0]).toMatchObject({ trials: 1, complete: 0, failed: 0, pruned: 1, best: null });
      await store.close();
    });

    it('refuses epochs with a trial that is not pruned, writing nothing', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await expect(store.finishTrial(t.id, { state: 'complete', value: 0.9, std: 0, meanFitTime: 1, meanScoreTime: 0, epochs: [epochRow(0, 0)] })).rejects.toThrow(/only a pruned trial/);
      expect((await store.getTrial(t.id))!.state).toBe('running');
      expect(await store.getEpochs(t.id)).toEqual([]);
      await store.close();
    });

    it('keeps intermediate values once per step, only while the trial runs, visible to another handle', async () => {
      const { store, studyId } = await fresh();
      const other = await another(store);
      const a = await claimed(store, claimRequest(studyId));
      const b = await claimed(store, claimRequest(studyId));
      await store.reportIntermediate(a.id, [{ kind: 'step', step: 0, value: 0.5 }, { kind: 'step', step: 1, value: 0.625 }]);
      await store.reportIntermediate(b.id, [{ kind: 'step', step: 0, value: 0.25 }, { kind: 'rung', step: 0, value: 0.25 }]);
      // a second report of a step keeps the first value
      await store.reportIntermediate(a.id, [{ kind: 'step', step: 1, value: 0.75 }, { kind: 'step', step: 2, value: NaN }]);
      const seen = await other.intermediateValues(studyId);
      expect(seen.map((v) => [v.trialId === a.id ? 'a' : 'b', v.kind, v.step, v.value])).toEqual([
        ['a', 'step', 0, 0.5],
        ['a', 'step', 1, 0.625],
        ['a', 'step', 2, NaN],
        ['b', 'rung', 0, 0.25],
        ['b', 'step', 0, 0.25],
      ]);
      expect(Object.isFrozen(seen[0])).toBe(true);
      // nothing is added to a trial that has ended
      await store.finishTrial(b.id, { state: 'pruned', value: 0.25, std: null, meanFitTime: null, meanScoreTime: null });
      await store.reportIntermediate(b.id, [{ kind: 'step', step: 1, value: 0.3 }]);
      expect((await store.intermediateValues(studyId)).filter((v) => v.trialId === b.id)).toHaveLength(2);
      if (other !== store) await other.close();
      await store.close();
    });

    it("keeps a fold's training-part score, and none where it was not asked for", async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await store.recordFold(t.id, fold(0, 0.7, 0.875), []);
      await store.recordFold(t.id, fold(1, 0.6), []);
      expect((await store.getFolds(t.id)).map((f) => f.trainScore)).toEqual([0.875, null]);
      expect((await store.foldsByTrial(studyId)).get(t.id)!.map((f) => f.trainScore)).toEqual([0.875, null]);
      await store.close();
    });

    it('records a fold once', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await store.recordFold(t.id, fold(1, 0.7), []);
      await expect(store.recordFold(t.id, fold(1, 0.8), [])).rejects.toThrow();
      expect((await store.getFolds(t.id)).map((f) => f.score)).toEqual([0.7]);
      await store.close();
    });

    it('stores NaN scores and failures without a number', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await store.recordFold(t.id, { ...fold(0, NaN), diverged: true }, []);
      const failed = await store.finishTrial(t.id, { state: 'fail', value: NaN, std: null, failReason: 'diverged', error: 'loss became NaN', meanFitTime: 1, meanScoreTime: 0 });
      expect(failed).toMatchObject({ state: 'fail', value: null, failReason: 'diverged', error: 'loss became NaN' });
      const [f] = await store.getFolds(t.id);
      expect(Number.isNaN(f.score)).toBe(true);
      expect(f.diverged).toBe(true);
      await store.close();
    });

    it('hands an interrupted trial back first, keeping its recorded folds, whichever sampler claims next', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await store.recordFold(t.id, fold(0, 0.8), []);
      await store.interruptTrial(t.id);
      const again = await claimed(store, claimRequest(studyId, { sampler: 'random', size: Infinity, budget: 10 }));
      expect(again.id).toBe(t.id);
      expect(again.attempts).toBe(2);
      expect(again.params.init).toBe('uniform');
      expect((await store.getFolds(t.id)).map((f) => f.fold)).toEqual([0]);
      await store.close();
    });

    it('takes over a running trial whose worker process is gone, and drops its unproposed reservation', async () => {
      const { store, studyId } = await fresh();
      const dead = `${WORKER_ID.split(':')[0]}:999999999`;
      const t = await claimed(store, claimRequest(studyId, { worker: dead }));
      await store.reserveTrial({ studyId, sampler: 'grid', size: 3, budget: Infinity, worker: dead });
      const next = await claimed(store, claimRequest(studyId));
      expect(next.id).toBe(t.id);
      expect(next.worker).toBe(WORKER_ID);
      // the dead worker's reservation (grid index 1) is free again
      expect((await claimed(store, claimRequest(studyId))).samplerIndex).toBe(1);
      await store.close();
    });

    it('takes over a running trial whose heartbeat is older than the lease', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId, { worker: 'elsewhere:1' }));
      expect((await claimed(store, claimRequest(studyId, { leaseMs: 60_000 }))).id).not.toBe(t.id);
      await sleep(20);
      expect((await claimed(store, claimRequest(studyId, { leaseMs: 10 }))).id).toBe(t.id);
      await store.close();
    });

    it("refuses every write of a worker whose lease ran out once the trial was taken over, and the new holder's go through", async () => {
      const { store, studyId } = await fresh();
      const stale = await claimed(store, claimRequest(studyId, { worker: 'elsewhere:1' }));
      expect(await store.reportIntermediate(stale.id, [{ kind: 'step', step: 0, value: 0.5 }], stale.attempts)).toBe(true);
      await store.recordFold(stale.id, fold(0, 0.8), [epochRow(0, 0)], stale.attempts);
      await sleep(20);
      const now = await claimed(store, claimRequest(studyId, { leaseMs: 10 }));
      expect(now.id).toBe(stale.id);
      expect(now.attempts).toBe(stale.attempts + 1);
      // the stale holder's writes: refused, nothing changes
      expect(await store.reportIntermediate(stale.id, [{ kind: 'step', step: 1, value: 0.9 }], stale.attempts)).toBe(false);
      await expect(store.recordFold(stale.id, fold(1, 0.9), [epochRow(1, 0)], stale.attempts)).rejects.toThrow(LeaseLostError);
      await expect(store.finishTrial(stale.id, { state: 'pruned', value: 0.5, std: null, meanFitTime: null, meanScoreTime: null, epochs: [epochRow(1, 0)] }, stale.attempts)).rejects.toThrow(/taken over by another worker/);
      await store.interruptTrial(stale.id, stale.attempts);
      expect(await store.getTrial(stale.id)).toMatchObject({ state: 'running', attempts: now.attempts });
      expect((await store.getFolds(stale.id)).map((f) => f.fold)).toEqual([0]);
      expect(await store.getEpochs(stale.id)).toHaveLength(1);
      expect((await store.intermediateValues(studyId)).map((v) => v.step)).toEqual([0]);
      // the holder's: accepted
      expect(await store.reportIntermediate(now.id, [{ kind: 'step', step: 1, value: 0.7 }], now.attempts)).toBe(true);
      await store.recordFold(now.id, fold(1, 0.7), [epochRow(1, 0)], now.attempts);
      expect((await store.finishTrial(now.id, { state: 'complete', value: 0.75, std: 0.05, meanFitTime: 1, meanScoreTime: 0.1 }, now.attempts)).state).toBe('complete');
      // and once final, nobody's: not even a fold
      await expect(store.recordFold(now.id, fold(2, 0.1), [], now.attempts)).rejects.toThrow(/complete, not running/);
      expect(await store.reportIntermediate(now.id, [{ kind: 'step', step: 2, value: 0.1 }], now.attempts)).toBe(false);
      expect(await store.getFolds(now.id)).toHaveLength(2);
      await store.close();
    });

    it('a heartbeat keeps a trial its worker holds', async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId, { worker: 'elsewhere:1' }));
      await sleep(30);
      await store.heartbeat([t.id]);
      expect((await claimed(store, claimRequest(studyId, { leaseMs: 25 }))).id).not.toBe(t.id);
      await store.close();
    });

    it('lists studies with counts and the best value in the study direction', async () => {
      const { store, studyId } = await fresh();
      for (const v of [0.5, 0.9, 0.7]) {
        const t = await claimed(store, claimRequest(studyId));
        await store.finishTrial(t.id, { state: 'complete', value: v, std: 0, meanFitTime: 1, meanScoreTime: 0 });
      }
      const [s] = await store.listStudies();
      expect(s).toMatchObject({ name: 's', trials: 3, complete: 3, failed: 0, best: 0.9 });
      const min = await store.createStudy({ ...newStudy('m'), goal: 'minimize' });
      for (const v of [0.5, 0.2]) {
        const t = await claimed(store, claimRequest(min.id));
        await store.finishTrial(t.id, { state: 'complete', value: v, std: 0, meanFitTime: 1, meanScoreTime: 0 });
      }
      expect((await store.listStudies()).find((x) => x.name === 'm')!.best).toBe(0.2);
      await store.close();
    });

    it('groups every fold of a study by trial', async () => {
      const { store, studyId } = await fresh();
      const a = await claimed(store, claimRequest(studyId));
      const b = await claimed(store, claimRequest(studyId));
      await store.recordFold(a.id, fold(1, 0.6), []);
      await store.recordFold(a.id, fold(0, 0.5), []);
      const byTrial = await store.foldsByTrial(studyId);
      expect(byTrial.get(a.id)!.map((f) => f.fold)).toEqual([0, 1]);
      expect(byTrial.get(b.id)).toEqual([]);
      await store.close();
    });

    it("counts a resumed trial's attempts in its duration, not the time between them", async () => {
      const { store, studyId } = await fresh();
      const t = await claimed(store, claimRequest(studyId));
      await sleep(40);
      await store.interruptTrial(t.id);
      await sleep(400); // between runs: not the trial's time
      const again = await claimed(store, claimRequest(studyId));
      expect(again.id).toBe(t.id);
      await sleep(40);
      const done = await store.finishTrial(t.id, { state: 'complete', value: 0.5, std: 0, meanFitTime: 0, meanScoreTime: 0 });
      expect(done.duration!).toBeGreaterThanOrEqual(0.07);
      expect(done.duration!).toBeLessThan(0.35);
      await store.close();
    });

    it('imports a finished trial whole: its fields, folds, epochs, number and sampler index', async () => {
      const { store, studyId } = await fresh();
      const t = await store.importTrial(studyId, imported(3, 'normal'), spec.space);
      expect(t).toMatchObject({ studyId, ...imported(3, 'normal').trial });
      expect(Object.isFrozen(t)).toBe(true);
      expect(await store.getTrialByNumber(studyId, 3)).toEqual(t);
      expect((await store.getFolds(t.id)).map((f) => f.score)).toEqual([0.75, 0.85]);
      expect(await store.getEpochs(t.id)).toEqual(imported(3, 'normal').epochs);
      expect((await store.listStudies())[0]).toMatchObject({ trials: 1, complete: 1, best: 0.8 });
      // grid index 3 is not free any more; the next reservation takes the lowest free index and the next number
      const r = (await store.reserveTrial({ studyId, sampler: 'grid', size: 5, budget: Infinity, worker: WORKER_ID }))!;
      expect(r).toMatchObject({ number: 4, samplerIndex: 0 });
      await store.close();
    });

    it("imports a pruned trial whole: its folds, the epochs of its pruned folds and its intermediate values", async () => {
      const { store, studyId } = await fresh();
      const base = imported(2, 'zero', { state: 'pruned', value: 0.4, std: null });
      const x: ImportedTrial = {
        ...base,
        folds: [fold(0, 0.75)],
        intermediate: [{ kind: 'step', step: 0, value: 0.4 }, { kind: 'step', step: 1, value: 0.45 }, { kind: 'rung', step: 0, value: 0.4 }],
      };
      const t = await store.importTrial(studyId, x, spec.space);
      expect(t).toMatchObject({ state: 'pruned', value: 0.4 });
      expect((await store.getFolds(t.id)).map((f) => f.fold)).toEqual([0]);
      expect(await store.getEpochs(t.id)).toEqual(base.epochs);
      expect((await store.intermediateValues(studyId)).map(({ kind, step, value }) => [kind, step, value])).toEqual([
        ['rung', 0, 0.4],
        ['step', 0, 0.4],
        ['step', 1, 0.45],
      ]);
      await store.close();
    });

    it('refuses an import whose number or sampler index is taken, and writes none of it', async () => {
      const { store, studyId } = await fresh();
      await store.importTrial(studyId, imported(0, 'normal'), spec.space);
      await expect(store.importTrial(studyId, imported(0, 'zero', { samplerIndex: 7 }), spec.space)).rejects.toThrow();
      await expect(store.importTrial(studyId, imported(1, 'zero', { samplerIndex: 0 }), spec.space)).rejects.toThrow();
      expect((await store.listTrials(studyId)).map((t) => t.number)).toEqual([0]);
      const twice = imported(2, 'zero');
      await expect(store.importTrial(studyId, { ...twice, folds: [fold(0, 0.5), fold(0, 0.6)] }, spec.space)).rejects.toThrow();
      expect((await store.listTrials(studyId)).map((t) => t.number)).toEqual([0]);
      await store.close();
    });

    it('an imported configuration is held: a unique proposal of it is refused; an imported interrupted trial is resumed with its folds', async () => {
      const { store, studyId } = await fresh();
      await store.importTrial(studyId, imported(0, 'normal', { sampler: 'random' }), spec.space);
      await store.importTrial(studyId, { ...imported(1, 'zero', { sampler: 'random', state: 'interrupted', value: null, std: null, completedAt: null }), folds: [fold(0, 0.4)] }, spec.space);
      const resumed = await claimed(store, claimRequest(studyId, { sampler: 'random', size: Infinity, budget: 10 }));
      expect(resumed).toMatchObject({ number: 1, state: 'running', attempts: 3, worker: WORKER_ID, params: { init: 'zero' } });
      expect((await store.getFolds(resumed.id)).map((f) => f.fold)).toEqual([0]);
      const r = (await store.reserveTrial({ studyId, sampler: 'random', size: Infinity, budget: 10, worker: WORKER_ID }))!;
      expect(r.samplerIndex).toBe(2);
      expect(await store.proposeTrial(r.trialId, { init: 'normal' }, spec.space, { unique: true })).toBe('duplicate');
      await store.close();
    });

    it('concurrent claimers on separate handles: each grid point once, then a random budget met exactly', async () => {
      const { store, studyId } = await fresh();
      const handles = [store, ...(await Promise.all(Array.from({ length: 5 }, () => another(store))))];
      const big = specFrom(`name: s\nparams:\n  units: [${Array.from({ length: 24 }, (_, i) => i + 1).join(', ')}]\n`);
      const grid = gridSampler({ space: big.space });
      const claimAll = (h: Storage, req: ClaimRequest) => async () => {
        const got: number[] = [];
        for (let i = 0; i < 100; i++) {
          const t = await claimTrial(h, req, big.space);
          if (t === null || t === 'exhausted') break;
          got.push(t.samplerIndex);
          await h.finishTrial(t.id, { state: 'complete', value: 0.5, std: 0, meanFitTime: 0, meanScoreTime: 0 });
        }
        return got;
      };
      const gridReq = claimRequest(studyId, { size: grid.size, propose: (i) => grid.propose(i, []) });
      const perHandle = await Promise.all(handles.map((h) => claimAll(h, gridReq)()));
      expect(perHandle.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      const randomReq = claimRequest(studyId, { sampler: 'random', size: Infinity, budget: 40, unique: true, propose: (i) => ({ units: 100 + i }) });
      await Promise.all(handles.map((h) => claimAll(h, randomReq)()));
      const trials = await store.listTrials(studyId);
      expect(trials).toHaveLength(40);
      expect(trials.filter((t) => t.sampler === 'random').map((t) => t.samplerIndex).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
      expect(trials.map((t) => t.number)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      for (const h of new Set(handles)) await h.close();
    });
  });
}
