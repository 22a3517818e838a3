import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYER_FIELDS } from '../../src/engine/native-engine.js';
import { NATIVE_ENUMS, NATIVE_NAMES, nativeCode } from '../../src/engine/native-enums.js';
import { KERAS_CLASS_NAMES } from '../../src/models/layers.js';
import { ACTIVATIONS, EPOCH_METRICS, LOSSES, OPTIMIZERS } from '../../src/spec/vocabulary.js';

/** `enum Name { A, B, C };` declarations of a C++ header, in order. */
function headerEnums(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) out[m[1]] = m[2].split(',').map((s) => s.replace(/=.*$/, '').trim()).filter(Boolean);
  return out;
}

describe('native enums (no compiled addon needed)', () => {
  const header = headerEnums(['mlp.h', 'sequential.h'].map((f) => readFileSync(join(import.meta.dirname, '../../native', f), 'utf8')).join('\n'));

  it('lists every enum of native/mlp.h and sequential.h with its enumerators in declaration order', () => {
    for (const [name, enumerators] of Object.entries(NATIVE_ENUMS)) expect(header[name], name).toEqual(enumerators);
  });

  it('maps every name of the TypeScript vocabulary to a distinct native enumerator', () => {
    const lists = { Activation: ACTIVATIONS, Loss: LOSSES, Metric: EPOCH_METRICS, Optimizer: OPTIMIZERS, LayerKind: Object.keys(KERAS_CLASS_NAMES) } as const;
    for (const [kind, names] of Object.entries(lists) as [keyof typeof lists, readonly string[]][]) {
      const codes = names.map((n) => nativeCode(kind, n as never));
      expect(codes.every((c) => c >= 0), kind).toBe(true);
      expect(new Set(codes).size, kind).toBe(names.length);
      expect(Object.keys(NATIVE_NAMES[kind]).sort()).toEqual([...names].sort());
    }
  });

  it('passes each Sequential layer in as many numbers as native/sequential.h reads', () => {
    const header = readFileSync(join(import.meta.dirname, '../../native/sequential.h'), 'utf8');
    expect(Number(/constexpr int LAYER_FIELDS = (\d+);/.exec(header)?.[1])).toBe(LAYER_FIELDS);
  });

  it('finds the code by name, not by list position', () => {
    expect(nativeCode('Metric', 'mse')).toBe(header.Metric.indexOf('METRIC_MSE'));
    expect(nativeCode('Loss', 'sparse_categorical_crossentropy')).toBe(header.Loss.indexOf('SCCE'));
  });
});
