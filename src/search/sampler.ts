/**
 * What every sampler is: given the proposal's index in its own stream and the study's history so far,
 * propose parameters. Samplers only propose; the study runner owns training and bookkeeping.
 *
 * The contract every sampler keeps:
 * - It never proposes a configuration the study already holds (`paramsKey` equal to a trial of
 *   `history`, in any state: complete, running, failed or interrupted) while an untried one exists.
 * - It returns null when the space is finite and every configuration is held: the search is over.
 * - Same options, index and history: same proposal (no hidden state, no clock, no IO).
 */
import type { FailReason, TrialState } from '../records.js';
import { paramsKey, type Params, type ParamSpace } from './space.js';

export type SamplerName = 'grid' | 'random' | 'bayes' | 'tpe';

/** A finished or running trial as a sampler sees it. */
export interface TrialView {
  params: Params;
  state: TrialState;
  /** Mean CV score; null unless complete or pruned (failed and diverged trials carry no number). */
  value: number | null;
  /** Why a failed trial failed ('diverged' or 'error'). */
  failReason?: FailReason | null;
  /**
   * A pruned trial's last step (Optuna's `last_step`: the last epoch it reported), null when it
   * reported none; its `value` is its value there.
   */
  prunedStep?: number | null;
}

export interface Sampler {
  readonly name: SamplerName;
  /** How many distinct configurations exist (`spaceSize`; the grid's size), or Infinity. */
  readonly size: number;
  /**
   * The `index`-th proposal given every trial of the study (any state), or null when the finite
   * space holds no configuration that `history` does not already hold.
   */
  propose(index: number, history: readonly TrialView[]): Params | null;
}

export interface SamplerOptions {
  space: ParamSpace;
  seed: number;
  goal: 'maximize' | 'minimize';
}

/** The canonical keys (`paramsKey`) of every configuration the study holds, whatever its state. */
export function heldKeys(space: ParamSpace, history: readonly TrialView[]): Set<string> {
  return new Set(history.map((t) => paramsKey(space, t.params)));
}
