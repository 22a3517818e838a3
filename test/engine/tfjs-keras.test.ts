/**
 * The TensorFlow.js engine against real Keras: same initial weights and data, three epochs of
 * model.fit(shuffle=False, batch_size=4); weights and logged losses must agree to float32 precision.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TfjsEngine, liveTensors } from '../../src/engine/tfjs-engine.js';
import type { Engine } from '../../src/engine/runtime.js';
import { golden, goldenJob } from './keras-golden.js';

let engine: Engine;
beforeAll(async () => {
  engine = await TfjsEngine.create('wasm');
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe(`tfjs engine matches Keras ${golden.keras}`, () => {
  for (const c of golden.cases) {
    const label = `${c.kind}: ${c.optimizer} ${JSON.stringify(c.options)} ${c.hidden_activation}/${c.output_activation} ${c.loss}${c.l1 || c.l2 ? ` l1=${c.l1} l2=${c.l2}` : ''}${c.max_norm ? ` max_norm=${c.max_norm}` : ''}${c.batch_norm ? ' batch_norm' : ''}`;
    it(label, async () => {
      const before = liveTensors();
      const { job, initial } = goldenJob(c);
      const stack = await engine.createStack([job]);
      stack.restore(0, initial);
      const order = Int32Array.from({ length: golden.N }, (_, i) => i);
      for (const [e, expected] of c.epochs.entries()) {
        const [r] = await stack.trainEpoch([order], [job.config.model.optimizer.learningRate], [true]);
        expect(Math.abs(r.loss - expected.loss), `epoch ${e} loss ${r.loss} vs Keras ${expected.loss}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(expected.loss)));
        const weights = await stack.snapshot(0);
        expect(weights.length).toBe(expected.weights.length);
        weights.forEach((w, i) => expect(maxAbsDiff(w, expected.weights[i]), `epoch ${e} weight ${i}`).toBeLessThan(2e-5));
      }
      const [ev] = await stack.evaluate('test', [true]);
      expect(Math.abs(ev.loss - c.eval_loss)).toBeLessThan(2e-5 * Math.max(1, Math.abs(c.eval_loss)));
      stack.dispose();
      expect(liveTensors()).toBe(before);
    });
  }
});
