/**
 * Whether a searched parameter had an effect in a trial: an optimizer setting counts only for the
 * optimizers that have it (Keras's signatures: momentum for sgd and rmsprop, beta_1 for adam and
 * adamax, ...), `layers` only when `units` is one width. Pure; reports use it so that a parameter is
 * judged only on the trials it could influence.
 */
import type { Params } from '../search/space.js';
import type { ModelSpec } from './schema.js';
import type { OptimizerName } from './vocabulary.js';

/** Model fields that only some optimizers use. */
export const OPTIMIZER_FIELDS: Readonly<Record<string, readonly OptimizerName[]>> = {
  momentum: ['sgd', 'rmsprop'],
  nesterov: ['sgd'],
  centered: ['rmsprop'],
  beta_1: ['adam', 'adamax'],
  beta_2: ['adam', 'adamax'],
  rho: ['rmsprop', 'adadelta'],
  epsilon: ['adam', 'adagrad', 'rmsprop', 'adadelta', 'adamax'],
};

/** Whether `name` was set in the trial and had an effect, given the spec's model section. */
export function isActive(name: string, params: Params, model: Pick<ModelSpec, 'optimizer' | 'units'>): boolean {
  if (params[name] === undefined) return false;
  const users = OPTIMIZER_FIELDS[name];
  if (users) return users.includes((params.optimizer ?? model.optimizer) as OptimizerName);
  if (name === 'layers') return !Array.isArray(params.units ?? model.units);
  return true;
}
