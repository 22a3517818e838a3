/**
 * A Storage held in memory, for tests and for runs that keep nothing: the same invariants as the
 * SQLite storage (test/store/conformance.ts runs against both), one process only.
 */
import type { SamplerName } from '../search/sampler.js';
import { configKey, type Params, type ParamSpace } from '../search/space.js';
import { holds, isAbandoned, leaseLost, nextSamplerIndex } from './lease.js';
import type { Storage } from './storage.js';
import type { EpochRow, FinishTrial, FoldRecord, ImportedTrial, IntermediateRecord, IntermediateRow, NewStudy, Reservation, ReserveRequest, ResumeRequest, StudyRecord, StudySummary, TrialRecord } from './types.js';

interface TrialRow {
  record: TrialRecord;
  /** null while the trial is a reservation whose parameters are being proposed. */
  params: Params | null;
  configKey: string | null;
  heartbeatMs: number | null;
  /** Seconds of earlier attempts, and when this attempt started (a trial's duration counts attempts only). */
  elapsedS: number;
  attemptStartedMs: number | null;
  folds: FoldRecord[];
  epochs: EpochRow[];
  intermediate: IntermediateRow[];
}

const now = () => new Date().toISOString();

export class MemoryStore implements Storage {
  readonly location = ':memory:';
  private readonly studies: StudyRecord[] = [];
  private readonly trials = new Map<number, TrialRow>();
  private nextTrialId = 1;

  async close(): Promise<void> {}

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.studies.find((s) => s.name === name) ?? null;
  }

  async createStudy(s: NewStudy): Promise<StudyRecord> {
    const existing = await this.getStudy(s.name);
    if (existing) return existing;
    const study = Object.freeze({ ...s, id: this.studies.length + 1, createdAt: now() });
    this.studies.push(study);
    return study;
  }

  async listStudies(): Promise<StudySummary[]> {
    return this.studies.map((study) => {
      const ts = this.proposed(study.id).map((r) => r.record);
      const values = ts.filter((t) => t.state === 'complete' && t.value !== null).map((t) => t.value as number);
      const best = values.length === 0 ? null : study.goal === 'maximize' ? Math.max(...values) : Math.min(...values);
      return Object.freeze({
        ...study,
        trials: ts.length,
        complete: ts.filter((t) => t.state === 'complete').length,
        failed: ts.filter((t) => t.state === 'fail').length,
        pruned: ts.filter((t) => t.state === 'pruned').length,
        running: ts.filter((t) => t.state === 'running').length,
        best,
      });
    });
  }

  private rows(studyId: number): TrialRow[] {
    return [...this.trials.values()].filter((r) => r.record.studyId === studyId).sort((a, b) => a.record.number - b.record.number);
  }

  private proposed(studyId: number): TrialRow[] {
    return this.rows(studyId).filter((r) => r.params !== null);
  }

  private row(id: number): TrialRow {
    const r = this.trials.get(id);
    if (!r) throw new Error(`no trial ${id}`);
    return r;
  }

  private update(id: number, change: Partial<TrialRecord>): TrialRecord {
    const r = this.row(id);
    r.record = Object.freeze({ ...r.record, ...change });
    return r.record;
  }

  async listTrials(studyId: number): Promise<TrialRecord[]> {
    return this.proposed(studyId).map((r) => r.record);
  }

  async getTrial(id: number): Promise<TrialRecord | null> {
    return this.trials.get(id)?.record ?? null;
  }

  async getTrialByNumber(studyId: number, number: number): Promise<TrialRecord | null> {
    return this.proposed(studyId).find((r) => r.record.number === number)?.record ?? null;
  }

  async resumeTrial(req: ResumeRequest): Promise<TrialRecord | null> {
    for (const r of this.rows(req.studyId)) {
      if (r.record.state !== 'running' || !isAbandoned(r.record.worker, r.heartbeatMs, req.leaseMs)) continue;
      if (r.params === null) this.trials.delete(r.record.id);
      else {
        this.endAttempt(r, r.heartbeatMs ?? Date.now());
        this.update(r.record.id, { state: 'interrupted' });
      }
    }
    const retry = this.rows(req.studyId).find((r) => r.record.state === 'interrupted');
    if (!retry) return null;
    retry.heartbeatMs = Date.now();
    retry.attemptStartedMs = Date.now();
    return this.update(retry.record.id, { state: 'running', attempts: retry.record.attempts + 1, worker: req.worker, startedAt: retry.record.startedAt ?? now() });
  }

  async reserveTrial(req: ReserveRequest): Promise<Reservation | null> {
    const rows = this.rows(req.studyId);
    if (rows.length >= req.budget) return null;
    const samplerIndex = nextSamplerIndex(rows.filter((r) => r.record.sampler === req.sampler).map((r) => r.record.samplerIndex), req.size);
    if (samplerIndex === null) return null;
    const number = rows.reduce((m, r) => Math.max(m, r.record.number + 1), 0);
    const id = this.nextTrialId++;
    const record: TrialRecord = Object.freeze({
      id,
      studyId: req.studyId,
      number,
      sampler: req.sampler as SamplerName,
      samplerIndex,
      state: 'running',
      params: {},
      value: null,
      std: null,
      failReason: null,
      error: null,
      engine: null,
      startedAt: now(),
      completedAt: null,
      duration: null,
      meanFitTime: null,
      meanScoreTime: null,
      attempts: 1,
      worker: req.worker,
    });
    this.trials.set(id, { record, params: null, configKey: null, heartbeatMs: Date.now(), elapsedS: 0, attemptStartedMs: Date.now(), folds: [], epochs: [], intermediate: [] });
    return { trialId: id, number, samplerIndex };
  }

  async proposeTrial(trialId: number, params: Params, _space: ParamSpace, opts: { unique: boolean }): Promise<TrialRecord | 'duplicate'> {
    const r = this.row(trialId);
    if (r.params !== null || r.record.state !== 'running') throw new Error(`trial ${trialId} is not a held reservation`);
    const key = configKey(params);
    const held = this.rows(r.record.studyId).some((o) => o.configKey === key);
    if (held && opts.unique) return 'duplicate';
    r.params = params;
    r.configKey = held ? null : key;
    r.heartbeatMs = Date.now();
    return this.update(trialId, { params });
  }

  async releaseTrial(trialId: number): Promise<void> {
    if (this.trials.get(trialId)?.params === null) this.trials.delete(trialId);
  }

  async heartbeat(trialIds: readonly number[]): Promise<void> {
    for (const id of trialIds) {
      const r = this.trials.get(id);
      if (r?.record.state === 'running') r.heartbeatMs = Date.now();
    }
  }

  async recordEngine(trialId: number, engine: string): Promise<void> {
    this.update(trialId, { engine });
  }

  async recordFold(trialId: number, fold: FoldRecord, epochs: readonly EpochRow[], attempt?: number): Promise<void> {
    const r = this.row(trialId);
    if (!holds(r.record, attempt)) throw leaseLost(trialId, r.record, attempt);
    if (r.folds.some((f) => f.fold === fold.fold)) throw new Error(`fold ${fold.fold} of trial ${trialId} is already recorded`);
    r.folds = [...r.folds, Object.freeze({ ...fold })].sort((a, b) => a.fold - b.fold);
    r.epochs = [...r.epochs, ...epochs.map((e) => Object.freeze({ ...e }))].sort((a, b) => a.fold - b.fold || a.epoch - b.epoch);
    if (r.record.state === 'running') r.heartbeatMs = Date.now();
  }

  async getFolds(trialId: number): Promise<FoldRecord[]> {
    return [...(this.trials.get(trialId)?.folds ?? [])];
  }

  async foldsByTrial(studyId: number): Promise<Map<number, FoldRecord[]>> {
    return new Map(this.proposed(studyId).map((r) => [r.record.id, [...r.folds]]));
  }

  async getEpochs(trialId: number): Promise<EpochRow[]> {
    return [...(this.trials.get(trialId)?.epochs ?? [])];
  }

  async reportIntermediate(trialId: number, rows: readonly IntermediateRow[], attempt?: number): Promise<boolean> {
    const r = this.trials.get(trialId);
    if (!r || !holds(r.record, attempt)) return false;
    for (const x of rows) {
      if (r.intermediate.some((o) => o.kind === x.kind && o.step === x.step)) continue;
      r.intermediate.push(Object.freeze({ kind: x.kind, step: x.step, value: x.value }));
    }
    return true;
  }

  async intermediateValues(studyId: number): Promise<IntermediateRecord[]> {
    const out: IntermediateRecord[] = [];
    for (const r of this.proposed(studyId)) {
      const sorted = [...r.intermediate].sort((a, b) => a.kind.localeCompare(b.kind) || a.step - b.step);
      for (const x of sorted) out.push(Object.freeze({ trialId: r.record.id, ...x }));
    }
    return out;
  }

  async finishTrial(trialId: number, f: FinishTrial, attempt?: number): Promise<TrialRecord> {
    const t = this.trials.get(trialId)?.record;
    if (!holds(t, attempt)) throw leaseLost(trialId, t, attempt);
    if (f.epochs?.length && f.state !== 'pruned') throw new Error(`trial ${trialId}: only a pruned trial is finished with epochs`);
    const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
    const r = this.row(trialId);
    if (f.epochs?.length) r.epochs = [...r.epochs, ...f.epochs.map((e) => Object.freeze({ ...e }))].sort((a, b) => a.fold - b.fold || a.epoch - b.epoch);
    r.heartbeatMs = null;
    this.endAttempt(r, Date.now());
    return this.update(trialId, {
      state: f.state,
      value: finite(f.value),
      std: finite(f.std),
      failReason: f.failReason ?? null,
      error: f.error ?? null,
      completedAt: now(),
      duration: r.elapsedS,
      meanFitTime: finite(f.meanFitTime),
      meanScoreTime: finite(f.meanScoreTime),
    });
  }

  private endAttempt(r: TrialRow, endMs: number): void {
    if (r.attemptStartedMs !== null) r.elapsedS += (endMs - r.attemptStartedMs) / 1000;
    r.attemptStartedMs = null;
  }

  async interruptTrial(trialId: number, attempt?: number): Promise<void> {
    const r = this.trials.get(trialId);
    if (!r || !holds(r.record, attempt)) return;
    r.heartbeatMs = null;
    this.endAttempt(r, Date.now());
    this.update(trialId, { state: 'interrupted' });
  }

  async importTrial(studyId: number, t: ImportedTrial, _space: ParamSpace): Promise<TrialRecord> {
    const x = t.trial;
    const rows = this.rows(studyId);
    if (rows.some((r) => r.record.number === x.number)) throw new Error(`trial number ${x.number} is taken in study ${studyId}`);
    if (rows.some((r) => r.record.sampler === x.sampler && r.record.samplerIndex === x.samplerIndex)) throw new Error(`${x.sampler} index ${x.samplerIndex} is taken in study ${studyId}`);
    if (new Set(t.folds.map((f) => f.fold)).size !== t.folds.length) throw new Error(`trial ${x.number}: a fold is given twice`);
    const key = configKey(x.params);
    const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
    const id = this.nextTrialId++;
    const record: TrialRecord = Object.freeze({ ...x, id, studyId, value: finite(x.value), std: finite(x.std) });
    const folds = t.folds.map((f) => Object.freeze({ ...f })).sort((a, b) => a.fold - b.fold);
    const kept = new Set(folds.map((f) => f.fold));
    // a pruned trial keeps the epochs of its folds stopped early
    const epochs = t.epochs.filter((e) => kept.has(e.fold) || x.state === 'pruned').map((e) => Object.freeze({ ...e })).sort((a, b) => a.fold - b.fold || a.epoch - b.epoch);
    const intermediate = (t.intermediate ?? []).map((v) => Object.freeze({ kind: v.kind, step: v.step, value: v.value }));
    this.trials.set(id, { record, params: x.params, configKey: rows.some((r) => r.configKey === key) ? null : key, heartbeatMs: null, elapsedS: x.duration ?? 0, attemptStartedMs: null, folds, epochs, intermediate });
    return record;
  }
}
