/**
 * A conv net through the CLI on an IDX dataset of 8x8 images with its own t10k split: validate, a
 * grid over a layer field on the native trainer and on TensorFlow.js (the same scores), show and
 * report print the architecture, export writes Conv2D/pooling layers whose reloaded predictions
 * match the engine's score, and predict agrees; shapes are refused before any database is written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { blobs } from '../fixtures/synthetic.js';
import { nnsearch, workdir, write } from './run-cli.js';

let dir: string;

function idx(type: number, dims: number[], bytes: number[]): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = type;
  h[3] = dims.length;
  dims.forEach((v, i) => h.writeInt32BE(v, 4 + 4 * i));
  return gzipSync(Buffer.concat([h, Buffer.from(bytes)]));
}

const SPEC = `name: cnn
seed: 2
data:
  dataset: idx
  path: .
model:
  learning_rate: 0.01
  layers:
    - Conv2D: {filters: 6, kernel_size: 3, padding: same}
    - BatchNormalization
    - MaxPooling2D
    - Conv2D: {filters: 8, kernel_size: 2}
    - Flatten
    - Dense: {units: 16}
    - Dropout: {rate: 0.1}
train:
  epochs: 6
  batch_size: 16
cv:
  folds: 2
params:
  layers.0.filters: [4, 6]
`;

beforeAll(() => {
  dir = workdir();
  const ds = blobs(400, 64, 4, 11, 0.9);
  const pixels = Array.from(ds.x, (v) => Math.max(0, Math.min(255, Math.round(128 + 40 * v))));
  const labels = Array.from(ds.y);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idx(8, [300, 8, 8], pixels.slice(0, 300 * 64)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idx(8, [300], labels.slice(0, 300)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idx(8, [100, 8, 8], pixels.slice(300 * 64)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idx(8, [100], labels.slice(300)));
  write(dir, 'cnn.yaml', SPEC);
});

describe('a conv net through the CLI', () => {
  it('validate checks the layers against the 8x8x1 images', () => {
    const ok = nnsearch(['validate', 'cnn.yaml'], dir);
    expect(ok.code, ok.stderr).toBe(0);
    write(dir, 'deep.yaml', SPEC.replace('name: cnn', 'name: deep').replace('kernel_size: 2}', 'kernel_size: 5}'));
    const bad = nnsearch(['validate', 'deep.yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^nnsearch: model\.layers\[3\]\.kernel_size: 5x5 is larger than its input 4x4x6$/);
  });

  it('random checks the bounds of a searched range before writing anything', () => {
    write(dir, 'range.yaml', `${SPEC.replace('name: cnn', 'name: range')}  layers.3.kernel_size: {min: 2, max: 5}\n`);
    const r = nnsearch(['random', 'range.yaml', '--budget', '3', '--db', 'range.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^nnsearch: model\.layers\[3\]\.kernel_size: 5x5 is larger than its input 4x4x4 \(with \{layers\.0\.filters: 4, layers\.3\.kernel_size: 5\}\)$/);
    expect(existsSync(join(dir, 'range.db'))).toBe(false);
  });

  it('--backend native and --backend wasm (TensorFlow.js) train the same conv nets to the same CV scores', () => {
    const scores = (backend: string): number[] => {
      const r = nnsearch(['grid', 'cnn.yaml', '--backend', backend, '--workers', '1', '--db', `${backend}.db`], dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toMatch(new RegExp(`engine (tfjs-)?${backend}`));
      return [...r.stdout.matchAll(/^mean=(\d\.\d{4}) /gm)].map((m) => Number(m[1]));
    };
    const native = scores('native');
    const wasm = scores('wasm');
    expect(native).toHaveLength(2);
    expect(wasm).toHaveLength(2);
    // the same initial weights, dropout masks and batches; float32 sums in another order move a
    // prediction or two of the 150 test rows at most
    native.forEach((v, i) => expect(Math.abs(v - wasm[i])).toBeLessThanOrEqual(0.02));
    expect(Math.max(...native)).toBeGreaterThan(0.5);
  });

  it('trains with auto, shows and reports the architecture, exports a LayersModel that predicts as the engine', () => {
    const g = nnsearch(['grid', 'cnn.yaml', '--quiet', '--workers', '1'], dir);
    expect(g.code, g.stderr).toBe(0);
    const show = nnsearch(['show', 'best'], dir);
    expect(show.stdout).toMatch(/model:\n {2}Input: \(None, 8, 8, 1\)/);
    expect(show.stdout).toMatch(/Conv2D [46] 3x3 same relu\s+\(None, 8, 8, [46]\)/);
    expect(show.stdout).toMatch(/Flatten\s+\(None, 72\)\s+0/);
    expect(show.stdout).toMatch(/Dense 4 softmax\s+\(None, 4\)\s+68/);
    const report = nnsearch(['report', '--html', 'r.html'], dir);
    expect(report.stdout).toMatch(/model of trial \d, the best: \{layers\.0\.filters: [46]\}:/);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(/class=\\?"summary\\?">Input: \(None, 8, 8, 1\)/.test(html), 'the HTML report holds the model summary').toBe(true);
    expect(/Conv2D [46] 3x3 same relu/.test(html)).toBe(true);
    const r = nnsearch(['export', '--best', 'm'], dir);
    expect(r.code, r.stderr).toBe(0);
    const m = /accuracy (0\.\d{4}|1\.0000); reloaded LayersModel: (0\.\d{4}|1\.0000)/.exec(r.stdout)!;
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m[2])).toBe(Number(m[1]));
    expect(Number(m[1])).toBeGreaterThan(0.5);
    const json = JSON.parse(readFileSync(join(dir, 'm', 'model.json'), 'utf8'));
    expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual(['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'Conv2D', 'Flatten', 'Dense', 'Dropout', 'Dense']);
    const p = nnsearch(['predict', '--model', 'm', '--data', '.', '--show', '0'], dir);
    expect(p.stdout).toContain(`accuracy ${m[2]}`);
  });

  it('export --full refits on the whole training split, ignoring data.limit', () => {
    write(dir, 'limited.yaml', SPEC.replace('name: cnn', 'name: limited').replace('  path: .\n', '  path: .\n  limit: 120\n').replace('layers.0.filters: [4, 6]', 'layers.0.filters: [4]'));
    const g = nnsearch(['grid', 'limited.yaml', '--quiet', '--db', 'limited.db'], dir);
    expect(g.code, g.stderr).toBe(0);
    const subset = nnsearch(['export', '--db', 'limited.db', '--best', 'm-subset'], dir);
    expect(subset.code, subset.stderr).toBe(0);
    expect(subset.stdout).toMatch(/refit on .*limit 120: 120 samples/);
    const full = nnsearch(['export', '--db', 'limited.db', '--best', 'm-full', '--full'], dir);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/refit on .*\(300 samples\): 300 samples/);
    const meta = JSON.parse(readFileSync(join(dir, 'm-full', 'nnsearch.json'), 'utf8'));
    expect(meta.data.limit).toBeUndefined();
  });
});
