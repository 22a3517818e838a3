/**
 * Optuna's HyperbandPruner (optuna/pruners/_hyperband.py): brackets of successive halving, bracket s
 * starting to halve at min_resource * reduction_factor^s. A trial's bracket is the CRC-32 of
 * "<study name>_<trial number>" modulo the brackets' total trial allocation, and it competes only
 * with the trials of its bracket. With max_resource 'auto' the brackets are set once the first trial
 * completes (its last step + 1); no pruning before.
 */
import { KEEP, lastStep, type PruneDecision, type Pruner, type PrunerTrial, type PruneStudy } from './pruner.js';
import { SuccessiveHalvingPruner } from './successive-halving.js';

export interface HyperbandOptions {
  min_resource: number;
  max_resource: number | 'auto';
  reduction_factor: number;
  bootstrap_count: number;
}

export const HYPERBAND_DEFAULTS: HyperbandOptions = { min_resource: 1, max_resource: 'auto', reduction_factor: 3, bootstrap_count: 0 };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of a string's UTF-8 bytes (Python's binascii.crc32). */
export function crc32(s: string): number {
  let c = 0xffffffff;
  for (const b of new TextEncoder().encode(s)) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class HyperbandPruner implements Pruner {
  readonly name = 'hyperband';
  readonly steps = 'epochs';
  private pruners: SuccessiveHalvingPruner[] = [];
  private budgets: number[] = [];
  private total = 0;
  private maxResource: number | 'auto';

  constructor(readonly options: HyperbandOptions = HYPERBAND_DEFAULTS) {
    this.maxResource = options.max_resource;
  }

  private initialize(trials: readonly PrunerTrial[]): void {
    if (this.maxResource === 'auto') {
      const steps = trials.filter((t) => t.state === 'complete').map(lastStep).filter((s): s is number => s !== null);
      if (steps.length === 0) return;
      this.maxResource = Math.max(...steps) + 1;
    }
    const { min_resource: minR, reduction_factor: eta } = this.options;
    const n = Math.floor(Math.log(this.maxResource / minR) / Math.log(eta)) + 1;
    for (let id = 0; id < n; id++) {
      const s = n - 1 - id;
      const budget = Math.ceil((n * eta ** s) / (s + 1));
      this.total += budget;
      this.budgets.push(budget);
      this.pruners.push(new SuccessiveHalvingPruner({ min_resource: minR, reduction_factor: eta, min_early_stopping_rate: id, bootstrap_count: this.options.bootstrap_count }));
    }
  }

  /** The bracket of a trial number (0 before the brackets are set). */
  bracketOf(studyName: string, number: number): number {
    if (this.pruners.length === 0) return 0;
    let n = crc32(`${studyName}_${number}`) % this.total;
    for (let id = 0; id < this.pruners.length; id++) {
      n -= this.budgets[id];
      if (n < 0) return id;
    }
    throw new Error('unreachable: a trial outside every bracket');
  }

  /** The number of brackets, once set (0 before). */
  get brackets(): number {
    return this.pruners.length;
  }

  prune(study: PruneStudy, trial: PrunerTrial): PruneDecision {
    if (this.pruners.length === 0) {
      this.initialize(study.trials);
      if (this.pruners.length === 0) return KEEP;
    }
    const id = this.bracketOf(study.name, trial.number);
    const trials = study.trials.filter((t) => this.bracketOf(study.name, t.number) === id);
    return this.pruners[id].prune({ ...study, trials }, trial);
  }
}
