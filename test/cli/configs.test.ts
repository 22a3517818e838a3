import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR } from '../../src/spec/vocabulary.js';
import { nnsearch } from './run-cli.js';

const root = resolve(import.meta.dirname, '../..');
const configs = readdirSync(join(root, 'configs')).filter((f) => f.endsWith('.yaml'));

describe('configs/ examples stay valid', () => {
  it('has the examples the README names', () => {
    expect(configs).toEqual(expect.arrayContaining(['init-mode.yaml', 'random-mlp.yaml', 'fashion-mnist.yaml']));
  });
  for (const file of configs) {
    const needsFashion = file.includes('fashion');
    it.skipIf(needsFashion && !existsSync(DEFAULT_FASHION_MNIST_DIR))(`${file} validates with its data`, () => {
      const r = nnsearch(['validate', join('configs', file)], root);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/: ok — study /);
    });
  }
});
