/**
 * Keras optimizers' update rules (keras.optimizers, Keras 3, plus Keras 2's `decay`), written once
 * as plain loops over Float32Arrays. This is the reference the engines are tested against, and the
 * update the JS engine runs.
 */
import type { OptimizerConfig } from './config.js';
import { decayedLr } from './schedules.js';

/** Per-variable slots, allocated lazily with the variable's length. */
export interface OptimizerSlots {
  m?: Float32Array; // momentum / first moment / velocity (SGD) / momentum (RMSprop)
  v?: Float32Array; // second moment / accumulator / average square
  a?: Float32Array; // RMSprop centered average gradient / Adadelta accumulated delta
}

export function createSlots(cfg: OptimizerConfig, n: number): OptimizerSlots {
  switch (cfg.name) {
    case 'sgd':
      return cfg.momentum > 0 ? { m: new Float32Array(n) } : {};
    case 'adam':
    case 'adamax':
      return { m: new Float32Array(n), v: new Float32Array(n) };
    case 'adagrad':
      return { v: new Float32Array(n).fill(cfg.initialAccumulator) };
    case 'rmsprop':
      return {
        v: new Float32Array(n),
        ...(cfg.momentum > 0 ? { m: new Float32Array(n) } : {}),
        ...(cfg.centered ? { a: new Float32Array(n) } : {}),
      };
    case 'adadelta':
      return { v: new Float32Array(n), a: new Float32Array(n) };
  }
}

/**
 * One update of variable `w` with gradient `g`. `iterations` counts the updates already applied
 * (Keras's optimizer.iterations); `lr` is the epoch's rate before Keras 2 `decay`.
 */
export function applyUpdate(cfg: OptimizerConfig, slots: OptimizerSlots, w: Float32Array, g: Float32Array, lr: number, iterations: number): void {
  const rate = decayedLr(lr, cfg.decay, iterations);
  const n = w.length;
  switch (cfg.name) {
    case 'sgd': {
      const mu = cfg.momentum;
      if (mu > 0) {
        const m = slots.m as Float32Array;
        for (let i = 0; i < n; i++) {
          m[i] = mu * m[i] - rate * g[i];
          w[i] += cfg.nesterov ? mu * m[i] - rate * g[i] : m[i];
        }
      } else {
        for (let i = 0; i < n; i++) w[i] -= rate * g[i];
      }
      return;
    }
    case 'adam': {
      const t = iterations + 1;
      const alpha = (rate * Math.sqrt(1 - Math.pow(cfg.beta2, t))) / (1 - Math.pow(cfg.beta1, t));
      const m = slots.m as Float32Array;
      const v = slots.v as Float32Array;
      for (let i = 0; i < n; i++) {
        m[i] += (g[i] - m[i]) * (1 - cfg.beta1);
        v[i] += (g[i] * g[i] - v[i]) * (1 - cfg.beta2);
        w[i] -= (m[i] * alpha) / (Math.sqrt(v[i]) + cfg.epsilon);
      }
      return;
    }
    case 'adamax': {
      const t = iterations + 1;
      const correction = 1 - Math.pow(cfg.beta1, t);
      const m = slots.m as Float32Array;
      const u = slots.v as Float32Array;
      for (let i = 0; i < n; i++) {
        m[i] += (g[i] - m[i]) * (1 - cfg.beta1);
        u[i] = Math.max(cfg.beta2 * u[i], Math.abs(g[i]));
        w[i] -= (rate * m[i]) / (correction * (u[i] + cfg.epsilon));
      }
      return;
    }
    case 'adagrad': {
      const acc = slots.v as Float32Array;
      for (let i = 0; i < n; i++) {
        acc[i] += g[i] * g[i];
        w[i] -= (rate * g[i]) / Math.sqrt(acc[i] + cfg.epsilon);
      }
      return;
    }
    case 'rmsprop': {
      const rho = cfg.rho;
      const vel = slots.v as Float32Array;
      for (let i = 0; i < n; i++) {
        vel[i] = rho * vel[i] + (1 - rho) * g[i] * g[i];
        let denominator = vel[i] + cfg.epsilon;
        if (cfg.centered) {
          const a = slots.a as Float32Array;
          a[i] = rho * a[i] + (1 - rho) * g[i];
          denominator = vel[i] - a[i] * a[i] + cfg.epsilon;
        }
        const increment = (rate * g[i]) / Math.sqrt(denominator);
        if (cfg.momentum > 0) {
          const m = slots.m as Float32Array;
          m[i] = cfg.momentum * m[i] + increment;
          w[i] -= m[i];
        } else {
          w[i] -= increment;
        }
      }
      return;
    }
    case 'adadelta': {
      const rho = cfg.rho;
      const accGrad = slots.v as Float32Array;
      const accDelta = slots.a as Float32Array;
      for (let i = 0; i < n; i++) {
        accGrad[i] = rho * accGrad[i] + (1 - rho) * g[i] * g[i];
        const delta = (-Math.sqrt(accDelta[i] + cfg.epsilon) * g[i]) / Math.sqrt(accGrad[i] + cfg.epsilon);
        accDelta[i] = rho * accDelta[i] + (1 - rho) * delta * delta;
        w[i] += rate * delta;
      }
      return;
    }
  }
}

/** Keras MaxNorm(maxValue, axis=0) on a Dense kernel [fanIn, fanOut]: caps each unit's incoming norm. */
export function applyMaxNorm(w: Float32Array, fanIn: number, fanOut: number, maxValue: number, epsilon = 1e-7): void {
  for (let j = 0; j < fanOut; j++) {
    let sq = 0;
    for (let i = 0; i < fanIn; i++) sq += w[i * fanOut + j] * w[i * fanOut + j];
    const norm = Math.sqrt(sq);
    const desired = Math.min(Math.max(norm, 0), maxValue);
    const factor = desired / (epsilon + norm);
    for (let i = 0; i < fanIn; i++) w[i * fanOut + j] *= factor;
  }
}
