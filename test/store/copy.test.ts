import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { gridSampler } from '../../src/search/grid.js';
import { claimTrial } from '../../src/store/claim.js';
import { copyStudy } from '../../src/store/copy.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Storage } from '../../src/store/storage.js';
import type { TrialRecord } from '../../src/store/types.js';
import { specFrom } from '../helpers.js';
import { claimRequest, fold, imported } from './conformance.js';

// copy is pure over two Storage instances; nnsearch copy (test/cli/postgres.test.ts) runs it between
// SQLite and PostgreSQL. Here: what it copies, when it refuses, and that running it again is harmless.

const spec = specFrom('name: s\nparams:\n  init: [uniform, normal, zero, he_normal]\n');
const grid = gridSampler({ space: spec.space });
const study = { name: 's', specJson: '{"v":1}', metric: 'accuracy', goal: 'maximize' as const, dataSource: 'test', nSamples: 10, folds: 2 };
const req = (studyId: number) => claimRequest(studyId, { size: grid.size, propose: (i) => grid.propose(i, []) });

/** A source study with a complete, a failed, an interrupted (one fold) and a running trial. */
async function source(): Promise<{ store: Storage; trials: TrialRecord[] }> {
  const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'nns-copy-')), 'src.db'), { create: true });
  const { id } = await store.createStudy(study);
  const claim = async () => (await claimTrial(store, req(id), spec.space)) as TrialRecord;
  const a = await claim();
  await store.recordFold(a.id, fold(0, 0.7), [{ fold: 0, epoch: 0, lr: 0.1, loss: 1, metric: 0.5, valLoss: 0.9, valMetric: 0.55, testLoss: 1.1, testMetric: 0.45, seconds: 0.2 }]);
  await store.recordFold(a.id, fold(1, 0.9), []);
  await store.finishTrial(a.id, { state: 'complete', value: 0.8, std: 0.1, meanFitTime: 1, meanScoreTime: 0.1 });
  const b = await claim();
  await store.recordFold(b.id, { ...fold(0, NaN), diverged: true }, []);
  await store.finishTrial(b.id, { state: 'fail', value: null, std: null, failReason: 'diverged', error: 'loss became NaN', meanFitTime: 1, meanScoreTime: 0 });
  const c = await claim();
  await store.recordFold(c.id, fold(0, 0.6), []);
  await store.interruptTrial(c.id);
  await claimTrial(store, req(id), spec.space); // resumes c (interrupted first): running again
  await claim(); // d: running, no folds
  return { store, trials: await store.listTrials(id) };
}

describe('copying a study between storages', () => {
  it('copies a pruned trial whole: its state and value, the epochs of its pruned folds, its intermediate and rung values', async () => {
    const from = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'nns-copy-')), 'src.db'), { create: true });
    const { id } = await from.createStudy(study);
    const t = (await claimTrial(from, req(id), spec.space)) as TrialRecord;
    await from.reportIntermediate(t.id, [{ kind: 'step', step: 0, value: 0.3 }, { kind: 'step', step: 1, value: 0.35 }, { kind: 'rung', step: 0, value: 0.35 }]);
    const partial = [0, 1].map((epoch) => ({ fold: 1, epoch, lr: 0.1, loss: 1, metric: 0.5, valLoss: null, valMetric: null, testLoss: 1, testMetric: 0.35, seconds: 0.1 }));
    await from.finishTrial(t.id, { state: 'pruned', value: 0.35, std: null, meanFitTime: 0.2, meanScoreTime: null, epochs: partial });
    const to = new MemoryStore();
    expect(await copyStudy(from, to, 's', spec.space)).toMatchObject({ copied: 1 });
    const dst = (await to.getStudy('s'))!;
    const [copied] = await to.listTrials(dst.id);
    expect(copied).toMatchObject({ state: 'pruned', value: 0.35 });
    expect(await to.getEpochs(copied.id)).toEqual(partial);
    expect((await to.intermediateValues(dst.id)).map(({ kind, step, value }) => [kind, step, value])).toEqual([['rung', 0, 0.35], ['step', 0, 0.3], ['step', 1, 0.35]]);
    // copied again: nothing to add, the pruned trial is the same one
    expect(await copyStudy(from, to, 's', spec.space)).toMatchObject({ copied: 0, present: 1 });
    await from.close();
  });

  it('copies every trial as it is, running ones as interrupted, with folds and epochs; the target continues the grid', async () => {
    const { store: from, trials } = await source();
    const to = new MemoryStore();
    const r = await copyStudy(from, to, 's', spec.space);
    expect(r).toMatchObject({ copied: 4, present: 0, running: 2 });
    expect(r.study).toMatchObject({ ...study, id: expect.any(Number) });
    const copied = await to.listTrials(r.study.id);
    expect(copied.map((t) => [t.number, t.samplerIndex, t.state])).toEqual([[0, 0, 'complete'], [1, 1, 'fail'], [2, 2, 'interrupted'], [3, 3, 'interrupted']]);
    for (const [i, t] of copied.entries()) {
      const { id: _a, studyId: _b, state: _c, ...same } = trials[i];
      expect(t).toMatchObject(same);
      expect(await to.getFolds(t.id)).toEqual(await from.getFolds(trials[i].id));
      expect(await to.getEpochs(t.id)).toEqual(await from.getEpochs(trials[i].id));
    }
    // the target resumes the interrupted trials, with the folds they had; the grid is then used up
    const c = (await claimTrial(to, req(r.study.id), spec.space)) as TrialRecord;
    expect([c.number, (await to.getFolds(c.id)).map((f) => f.fold)]).toEqual([2, [0]]);
    expect(((await claimTrial(to, req(r.study.id), spec.space)) as TrialRecord).number).toBe(3);
    expect(await claimTrial(to, req(r.study.id), spec.space)).toBeNull();
    await from.close();
  });

  it('running it again adds only what is missing; a copy cut short is finished by the next one', async () => {
    const { store: from } = await source();
    const to = new MemoryStore();
    const target = await to.createStudy(study);
    // as if the first copy stopped after two trials
    for (const t of (await from.listTrials(1)).slice(0, 2)) {
      const { id: _id, studyId: _s, ...rest } = t;
      await to.importTrial(target.id, { trial: { ...rest, state: rest.state === 'running' ? 'interrupted' : rest.state }, folds: await from.getFolds(t.id), epochs: await from.getEpochs(t.id) }, spec.space);
    }
    expect(await copyStudy(from, to, 's', spec.space)).toMatchObject({ copied: 2, present: 2 });
    expect(await copyStudy(from, to, 's', spec.space)).toMatchObject({ copied: 0, present: 4 });
    expect((await to.listTrials(target.id)).map((t) => t.number)).toEqual([0, 1, 2, 3]);
    // the target went on (it finished trial 2 and added trial 4): nothing to add, nothing refused
    const c = (await claimTrial(to, req(target.id), spec.space)) as TrialRecord;
    await to.finishTrial(c.id, { state: 'complete', value: 0.5, std: 0, meanFitTime: 0, meanScoreTime: 0 });
    await to.importTrial(target.id, imported(4, 'glorot_uniform', { sampler: 'random', samplerIndex: 0 }), spec.space);
    expect(await copyStudy(from, to, 's', spec.space)).toMatchObject({ copied: 0, present: 4 });
    await from.close();
  });

  it('refuses, writing nothing, a study of that name from another spec, and a target that went on separately', async () => {
    const { store: from } = await source();
    const other = new MemoryStore();
    await other.createStudy({ ...study, specJson: '{"v":2}' });
    const e = await copyStudy(from, other, 's', spec.space).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StorageError);
    expect((e as StorageError).message).toMatch(/^study 's' in :memory: was created from a different spec than in \S+src\.db; nothing copied/);
    expect((e as StorageError).exitCode).toBe(2);
    expect(await other.listTrials(1)).toEqual([]);

    // trial 0 finished with another value in the target
    const diverged = new MemoryStore();
    const t = await diverged.createStudy(study);
    await diverged.importTrial(t.id, imported(0, 'uniform', { value: 0.1 }), spec.space);
    await expect(copyStudy(from, diverged, 's', spec.space)).rejects.toThrow(/already holds trial 0, which is not trial 0 of \S+src\.db \(complete \(0\.8\) in the source, complete \(0\.1\) in the target\); nothing copied/);
    // a trial the source does not have, while the source has trials to add
    const extra = new MemoryStore();
    const x = await extra.createStudy(study);
    await extra.importTrial(x.id, imported(7, 'uniform', { samplerIndex: 9 }), spec.space);
    await expect(copyStudy(from, extra, 's', spec.space)).rejects.toThrow(/already holds trial 7, .* has no trial 7/);
    for (const s of [diverged, extra]) expect((await s.listTrials(1)).length).toBe(1);
    await expect(copyStudy(from, new MemoryStore(), 'nope', spec.space)).rejects.toThrow(/no study 'nope'/);
    // a search on the target took a number the copy needs between its check and its insert
    const busy = new MemoryStore();
    const b = await busy.createStudy(study);
    const racing = Object.create(busy, {
      importTrial: { value: async () => Promise.reject(new Error('trial number 0 is taken in study 1')) },
    }) as MemoryStore;
    const raced = (await copyStudy(from, racing, 's', spec.space).catch((x: unknown) => x)) as StorageError;
    expect(raced).toBeInstanceOf(StorageError);
    expect(raced.message).toMatch(/^:memory:: cannot add trial 0 of study 's' \(trial number 0 is taken in study 1\); is a search running on it there\?/);
    expect(raced.exitCode).toBe(1);
    expect(await busy.listTrials(b.id)).toEqual([]);
    await from.close();
  });
});
