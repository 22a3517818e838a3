/**
 * Contenders trained side by side on one shape, epochs alternating, for `npm run bench`: a burst of
 * load on a shared machine then hits every side alike instead of whichever ran during it.
 */
import type { AnchorProcess } from './cpu-anchors.js';

/** One contender of a row: the native trainer, or one or more anchor processes trained together. */
export interface Side {
  /** A new model (per process / per stack slot) of this shape. */
  start(hidden: number, batch: number): Promise<void>;
  /** One epoch of every model; resolves when the slowest is done. */
  epoch(): Promise<void>;
  /** Held-out accuracy of every model. */
  accuracy(): Promise<number[]>;
  /** Samples of all models in one epoch. */
  samplesPerEpoch: number;
  /** Frees the models of the shape. */
  stop(): void;
}

/** Processes trained side by side (GridSearchCV's n_jobs): an epoch ends when the last one's does. */
export function anchorSide(processes: AnchorProcess[], train: number): Side {
  return {
    samplesPerEpoch: train * processes.length,
    start: async (hidden, batch) => void (await Promise.all(processes.map((p) => p.request({ op: 'model', hidden, batch })))),
    epoch: async () => void (await Promise.all(processes.map((p) => p.request({ op: 'epoch' })))),
    accuracy: () => Promise.all(processes.map(async (p) => (await p.request<{ accuracy: number }>({ op: 'accuracy' })).accuracy)),
    stop: () => {},
  };
}

export interface Figure {
  /** Samples of all models per second, best epoch. */
  model_samples_per_s: number;
  accuracy: number[];
}

/**
 * Trains every side on one shape for `epochs` epochs, their epochs alternating (native, then each
 * anchor, then native again...) so that a change in the machine's load hits all of them alike.
 */
export async function race(sides: Record<string, Side | null>, hidden: number, batch: number, epochs: number): Promise<Record<string, Figure | { error: string }>> {
  const live = Object.entries(sides).filter((e): e is [string, Side] => e[1] !== null);
  const best = new Map<string, number>();
  const failed = new Map<string, string>();
  const attempt = async (name: string, f: () => Promise<void>) => {
    if (failed.has(name)) return;
    try {
      await f();
    } catch (e) {
      failed.set(name, (e as Error).message);
    }
  };
  for (const [name, side] of live) await attempt(name, () => side.start(hidden, batch));
  for (let e = 0; e < epochs; e++)
    for (const [name, side] of live)
      await attempt(name, async () => {
        const t0 = performance.now();
        await side.epoch();
        best.set(name, Math.max(best.get(name) ?? 0, side.samplesPerEpoch / ((performance.now() - t0) / 1000)));
      });
  const out: Record<string, Figure | { error: string }> = {};
  for (const [name, side] of Object.entries(sides)) {
    if (!side) out[name] = { error: 'not available (see anchors)' };
    else if (failed.has(name)) out[name] = { error: failed.get(name)! };
    else out[name] = { model_samples_per_s: Math.round(best.get(name)!), accuracy: (await side.accuracy()).map((a) => Number(a.toFixed(4))) };
    side?.stop();
  }
  return out;
}

