/**
 * What every sampler is: given the proposal's index in its own stream and the study's history so far,
 * propose parameters. Samplers only propose; the study runner owns training and bookkeeping.
 */
import type { FailReason, TrialState } from '../records.js';
import type { Params, ParamSpace } from './space.js';

export type SamplerName = 'grid' | 'random' | 'bayes';

/** A finished or running trial as a sampler sees it. */
export interface TrialView {
  params: Params;
  state: TrialState;
  /** Mean CV score; null unless complete (failed and diverged trials carry no number). */
  value: number | null;
  /** Why a failed trial failed ('diverged' or 'error'). */
  failReason?: FailReason | null;
}

export interface Sampler {
  readonly name: SamplerName;
  /** How many distinct proposals exist (the grid's size), or Infinity. */
  readonly size: number;
  /** The `index`-th proposal. Pure for grid and random; bayes also reads `history`. */
  propose(index: number, history: readonly TrialView[]): Params;
}

export interface SamplerOptions {
  space: ParamSpace;
  seed: number;
  goal: 'maximize' | 'minimize';
}
