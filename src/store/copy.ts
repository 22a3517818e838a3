/**
 * Moving a study between two storages (nnsearch copy): a study started on a laptop continues on a
 * cluster, and back. Pure over the Storage interface, so any pair works (SQLite, PostgreSQL, memory).
 *
 * Copying is idempotent rather than refused when the target already holds the study: trials the
 * target already has (same number, sampler index and configuration, and the same result if the
 * source finished them) are skipped and the missing ones are added, so a copy cut short (a server that went away) is finished by running
 * it again, and running a finished copy again changes nothing. What cannot be merged without losing
 * or inventing data is refused before anything is written: a study of that name made from another
 * spec, or a target trial that differs from the source's trial of the same number (the two copies
 * went on separately).
 */
import { StorageError } from '../errors.js';
import { configKey, type ParamSpace } from '../search/space.js';
import type { Storage } from './storage.js';
import type { IntermediateRow, StudyRecord, TrialRecord } from './types.js';

export interface CopyResult {
  study: StudyRecord;
  /** Trials added to the target. */
  copied: number;
  /** Trials the target already held. */
  present: number;
  /** Trials running at the source, copied as interrupted (the target resumes them). */
  running: number;
}

/**
 * Why a target trial cannot stand for the source's trial of the same number, or null when it can:
 * the same configuration at the same sampler index, and, if the source finished it, the same result.
 * (A trial the source left running or interrupted may have gone on in the target.)
 */
function conflict(src: TrialRecord, dst: TrialRecord): string | null {
  if (src.sampler !== dst.sampler || src.samplerIndex !== dst.samplerIndex) return `${src.sampler} #${src.samplerIndex} in the source, ${dst.sampler} #${dst.samplerIndex} in the target`;
  if (configKey(src.params) !== configKey(dst.params)) return 'other parameters';
  const finished = src.state === 'complete' || src.state === 'fail' || src.state === 'pruned';
  if (finished && (src.state !== dst.state || src.value !== dst.value)) return `${src.state}${src.value === null ? '' : ` (${src.value})`} in the source, ${dst.state}${dst.value === null ? '' : ` (${dst.value})`} in the target`;
  return null;
}

/**
 * Copies study `name` of `from` into `to` (created there if absent). `space` is the study's
 * parameter space (for the stored distributions of each trial's parameters).
 */
export async function copyStudy(from: Storage, to: Storage, name: string, space: ParamSpace): Promise<CopyResult> {
  const src = await from.getStudy(name);
  if (!src) throw new StorageError(`${from.location}: no study '${name}'`);
  const existing = await to.getStudy(name);
  if (existing && existing.specJson !== src.specJson) {
    throw new StorageError(`study '${name}' in ${to.location} was created from a different spec than in ${from.location}; nothing copied (copy into another database, or give one of the specs a new name)`);
  }
  const srcTrials = await from.listTrials(src.id);
  const byNumber = new Map(srcTrials.map((t) => [t.number, t]));
  const dstTrials = existing ? await to.listTrials(existing.id) : [];
  const have = new Set(dstTrials.map((t) => t.number));
  const missing = srcTrials.filter((t) => !have.has(t.number));
  for (const d of dstTrials) {
    const s = byNumber.get(d.number);
    // trials the target has beyond the source's are fine when there is nothing to add (the target went on)
    const why = s ? conflict(s, d) : missing.length > 0 ? `${from.location} has no trial ${d.number}` : null;
    if (why) throw new StorageError(`study '${name}' in ${to.location} already holds trial ${d.number}, which is not trial ${d.number} of ${from.location} (${why}); nothing copied: the two went on separately (copy into another database)`);
  }
  const study = existing ?? (await to.createStudy({ name: src.name, specJson: src.specJson, metric: src.metric, goal: src.goal, dataSource: src.dataSource, nSamples: src.nSamples, folds: src.folds }));
  let copied = 0;
  let running = 0;
  const intermediate = new Map<number, IntermediateRow[]>();
  for (const { trialId, ...v } of await from.intermediateValues(src.id)) intermediate.set(trialId, [...(intermediate.get(trialId) ?? []), v]);
  for (const t of missing) {
    const { id: _id, studyId: _studyId, state, ...rest } = t;
    if (state === 'running') running++;
    const [folds, epochs] = [await from.getFolds(t.id), await from.getEpochs(t.id)];
    try {
      await to.importTrial(study.id, { trial: { ...rest, state: state === 'running' ? 'interrupted' : state }, folds, epochs, intermediate: intermediate.get(t.id) ?? [] }, space);
    } catch (e) {
      if (e instanceof StorageError) throw e;
      // its number or sampler index was taken meanwhile
      throw new StorageError(`${to.location}: cannot add trial ${t.number} of study '${name}' (${(e as Error).message}); is a search running on it there? Stop it, then copy again: what is copied stays`, 1);
    }
    copied++;
  }
  return { study, copied, present: srcTrials.length - missing.length, running };
}
