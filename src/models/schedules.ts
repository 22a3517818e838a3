/**
 * Learning rates over training. Pure.
 * - Epoch schedules (Keras LearningRateScheduler semantics: set at the start of each 0-based epoch).
 * - Keras 2 `decay`: lr / (1 + decay * iterations), iterations = updates done before this one.
 */
import type { LrScheduleSpec } from '../spec/schema.js';

export function lrAtEpoch(lr0: number, schedule: LrScheduleSpec | null, epoch: number): number {
  if (!schedule) return lr0;
  switch (schedule.type) {
    case 'time_decay':
      return lr0 / (1 + schedule.rate * epoch);
    case 'exponential':
      return lr0 * Math.exp(-schedule.k * epoch);
    case 'step':
      return lr0 * Math.pow(schedule.drop, Math.floor((1 + epoch) / schedule.every));
    case 'cosine_restarts':
      return lr0 * cosineDecayRestarts(epoch, schedule.period, schedule.t_mul, schedule.m_mul, schedule.alpha);
  }
}

/** keras.optimizers.schedules.CosineDecayRestarts, as a multiplier of the initial rate. */
export function cosineDecayRestarts(step: number, firstDecaySteps: number, tMul: number, mMul: number, alpha: number): number {
  let fraction = step / firstDecaySteps;
  let restart: number;
  if (tMul === 1) {
    restart = Math.floor(fraction);
    fraction -= restart;
  } else {
    restart = Math.floor(Math.log(1 - fraction * (1 - tMul)) / Math.log(tMul));
    const sumR = (1 - Math.pow(tMul, restart)) / (1 - tMul);
    fraction = (fraction - sumR) / Math.pow(tMul, restart);
  }
  const mFac = Math.pow(mMul, restart);
  const cosine = 0.5 * mFac * (1 + Math.cos(Math.PI * fraction));
  return (1 - alpha) * cosine + alpha;
}

/** The rate one update uses under Keras 2's `decay`. */
export function decayedLr(lr: number, decay: number, iterations: number): number {
  return decay > 0 ? lr / (1 + decay * iterations) : lr;
}
