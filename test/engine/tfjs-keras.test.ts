/**
 * The TensorFlow.js engine against real Keras: same initial weights and data, three epochs of
 * model.fit(shuffle=False, batch_size=4); weights and logged losses must agree to float32 precision.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TfjsEngine, liveTensors } from '../../src/engine/tfjs-engine.js';
import type { Engine } from '../../src/engine/runtime.js';
import { checkGoldenCase, golden } from './keras-golden.js';

let engine: Engine;
beforeAll(async () => {
  engine = await TfjsEngine.create('wasm');
});

describe(`tfjs engine matches Keras ${golden.keras}`, () => {
  for (const c of golden.cases) {
    const label = `${c.kind}: ${c.optimizer} ${JSON.stringify(c.options)} ${c.hidden_activation}/${c.output_activation} ${c.loss}${c.l1 || c.l2 ? ` l1=${c.l1} l2=${c.l2}` : ''}${c.max_norm ? ` max_norm=${c.max_norm}` : ''}${c.batch_norm ? ' batch_norm' : ''}`;
    it(label, async () => {
      const before = liveTensors();
      await checkGoldenCase(engine, c, expect);
      expect(liveTensors()).toBe(before);
    });
  }
});
