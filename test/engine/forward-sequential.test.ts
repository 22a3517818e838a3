/**
 * The float64 inference of conv nets (engine/forward-sequential.ts), from which macro F1, ROC AUC and
 * train scores are computed, against PyTorch's inference-mode logits of the trained golden models.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictLogits } from '../../src/engine/forward.js';
import type { ModelConfig } from '../../src/models/config.js';
import type { SequentialLayer } from '../../src/models/layers.js';

const golden = JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/conv/conv-golden.json'), 'utf8')) as {
  cases: { name: string; layers: SequentialLayer[]; inputShape: number[]; n: number; x: number[]; final: number[][]; evalLogits: number[] }[];
};

describe('float64 forward of conv nets matches PyTorch', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const d = c.inputShape.reduce((a, b) => a * b, 1);
      const outputDim = (c.layers[c.layers.length - 1] as { units: number }).units;
      const model = { inputDim: d, outputDim, layers: c.layers, inputShape: c.inputShape } as ModelConfig;
      const rows = Int32Array.from({ length: c.n }, (_, i) => i);
      const logits = predictLogits(model, c.final.map((w) => Float32Array.from(w)), Float32Array.from(c.x), d, rows, null);
      expect(logits.length).toBe(c.evalLogits.length);
      // the weights pass through float32, the input too: agreement to float32 rounding
      c.evalLogits.forEach((v, i) => expect(Math.abs(logits[i] - v)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
    });
  }
});
