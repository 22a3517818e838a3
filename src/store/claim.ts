/**
 * Claiming a run's next trial over any Storage: resume an interrupted trial (or one of a dead
 * worker) first; else reserve a number and sampler index in one short step, let the sampler propose
 * outside any transaction, and give the reservation its parameters. A proposal that another worker
 * made first is proposed again with the history that now holds it.
 */
import type { ParamSpace } from '../search/space.js';
import type { Storage } from './storage.js';
import type { ClaimRequest, TrialRecord } from './types.js';

/** Proposals tried for one reservation before a duplicate configuration is accepted. */
const DUPLICATE_RETRIES = 3;

/**
 * The next trial for this run: a TrialRecord in state running; null when the budget is met (or the
 * grid used up); 'exhausted' when the sampler has no untried configuration left.
 */
export async function claimTrial(storage: Storage, req: ClaimRequest, space: ParamSpace): Promise<TrialRecord | null | 'exhausted'> {
  const resumed = await storage.resumeTrial(req);
  if (resumed) return resumed;
  const reservation = await storage.reserveTrial(req);
  if (!reservation) return null;
  let given = false;
  try {
    for (let attempt = 0; ; attempt++) {
      const params = await req.propose(reservation.samplerIndex);
      if (params === null) return 'exhausted';
      const unique = (req.unique ?? false) && attempt < DUPLICATE_RETRIES;
      const trial = await storage.proposeTrial(reservation.trialId, params, space, { unique });
      if (trial !== 'duplicate') {
        given = true;
        return trial;
      }
    }
  } finally {
    if (!given) await storage.releaseTrial(reservation.trialId);
  }
}
