/** Making the pruner a spec names (Optuna's names and defaults); `none` makes none. */
import { HyperbandPruner, HYPERBAND_DEFAULTS, type HyperbandOptions } from './hyperband.js';
import { MedianPruner, MEDIAN_DEFAULTS, type MedianOptions } from './median.js';
import type { Pruner, PrunerName } from './pruner.js';
import { ASHA_DEFAULTS, SuccessiveHalvingPruner, type SuccessiveHalvingOptions } from './successive-halving.js';
import { WilcoxonPruner, WILCOXON_DEFAULTS, type WilcoxonOptions } from './wilcoxon.js';

export type { PruneDecision, Pruner, PrunerName, PrunerTrial, PruneStudy } from './pruner.js';
export { lastStep } from './pruner.js';

export const PRUNER_NAMES: readonly PrunerName[] = ['none', 'median', 'asha', 'hyperband', 'wilcoxon'];

/** A pruner as the spec states it: its name and Optuna's parameters (those left out take Optuna's defaults). */
export type PrunerConfig =
  | { name: 'none' }
  | ({ name: 'median' } & Partial<MedianOptions>)
  | ({ name: 'asha' } & Partial<SuccessiveHalvingOptions>)
  | ({ name: 'hyperband' } & Partial<HyperbandOptions>)
  | ({ name: 'wilcoxon' } & Partial<WilcoxonOptions>);

/** Each pruner's parameters with Optuna's defaults. */
export const PRUNER_DEFAULTS = {
  median: MEDIAN_DEFAULTS,
  asha: ASHA_DEFAULTS,
  hyperband: HYPERBAND_DEFAULTS,
  wilcoxon: WILCOXON_DEFAULTS,
} as const;

export function createPruner(c: PrunerConfig): Pruner | null {
  switch (c.name) {
    case 'none':
      return null;
    case 'median': {
      const { name: _, ...rest } = c;
      return new MedianPruner({ ...MEDIAN_DEFAULTS, ...rest });
    }
    case 'asha': {
      const { name: _, ...rest } = c;
      return new SuccessiveHalvingPruner({ ...ASHA_DEFAULTS, ...rest });
    }
    case 'hyperband': {
      const { name: _, ...rest } = c;
      return new HyperbandPruner({ ...HYPERBAND_DEFAULTS, ...rest });
    }
    case 'wilcoxon': {
      const { name: _, ...rest } = c;
      return new WilcoxonPruner({ ...WILCOXON_DEFAULTS, ...rest });
    }
  }
}
