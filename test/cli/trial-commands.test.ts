import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { blobs } from '../fixtures/synthetic.js';
import { nnsearch, TINY, workdir, write } from './run-cli.js';

let dir: string;
beforeAll(() => {
  dir = workdir();
  write(dir, 's.yaml', TINY.replace('name: tiny', 'name: tc').replace('  epochs: 3', '  epochs: 5\n  validation_split: 0.2') + 'params:\n  learning_rate: [0.02, 0.05, 0.1]\n  optimizer: [adam, sgd]\n');
  expect(nnsearch(['grid', 's.yaml', '--quiet'], dir).code).toBe(0);
});

describe('report variants', () => {
  it('--top N lists the N best, best first', () => {
    const lines = nnsearch(['report', '--top', '2'], dir).stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const means = lines.slice(1).map((l) => Number(l.slice(5, 11)));
    expect(means[0]).toBeGreaterThanOrEqual(means[1]);
    expect(lines[0]).toContain(lines[1].slice(5, 11)); // the best line names the first row's score
  });

  it('--by A --by B prints a pivot table', () => {
    const out = nnsearch(['report', '--by', 'learning_rate', '--by', 'optimizer'], dir).stdout.trim().split('\n');
    expect(out[0]).toMatch(/^learning_rate \\ optimizer\s+adam\s+sgd$/);
    expect(out).toHaveLength(2 + 3);
    expect(out[2]).toMatch(/^0\.02\s+0\.\d{4}\s+0\.\d{4}$/);
  });

  it('--format markdown prints a GitHub table', () => {
    const out = nnsearch(['report', '--format', 'markdown', '--top', '3'], dir).stdout.trim().split('\n');
    expect(out[0]).toBe('| rank | trial | sampler | learning_rate | optimizer | split0 | split1 | split2 | mean | std | fit s |');
    expect(out[1]).toMatch(/^\|( -{3}:? \|)+$/);
    expect(out).toHaveLength(5);
    expect(out[2]).toMatch(/^\| 1 \| \d \| grid \| /);
  });

  it('rejects a third --by and a bad --top', () => {
    expect(nnsearch(['report', '--by', 'learning_rate', '--by', 'optimizer', '--by', 'learning_rate'], dir).stderr).toMatch(/--by: give one parameter/);
    expect(nnsearch(['report', '--top', '0'], dir).code).toBe(2);
  });
});

describe('nnsearch show', () => {
  it('prints params, per-fold scores and sparklines of the learning curves', () => {
    const r = nnsearch(['show', 'best'], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^trial \d of study tc \(grid #\d\): accuracy 0\.\d{4} ± 0\.\d{4}$/);
    expect(lines[1]).toMatch(/^params: \{learning_rate: 0\.\d+, optimizer: (adam|sgd)\}$/);
    expect(r.stdout).toMatch(/^fold\s+accuracy\s+test_loss\s+epochs/m);
    expect(r.stdout.match(/^\d\s+0\.\d{4}\s+\d\.\d{4}\s+5\s/gm)).toHaveLength(3);
    expect(r.stdout.match(/^ {2}fold \d loss\s+[▁▂▃▄▅▆▇█]{5} /gm)).toHaveLength(3);
    expect(r.stdout.match(/^ {2}fold \d val_loss\s+[▁▂▃▄▅▆▇█]{5} /gm)).toHaveLength(3);
  });

  it('names a missing trial', () => {
    const r = nnsearch(['show', '42'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no trial 42 \(trials are numbered 0\.\.5\)/);
  });
});

describe('nnsearch export and predict', () => {
  it('refits the best trial, saves a LayersModel, and predict reproduces its accuracy on a CSV', () => {
    const r = nnsearch(['export', '--best', 'model'], dir);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['model.json', 'weights.bin', 'nnsearch.json']) expect(existsSync(join(dir, 'model', f))).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 'model', 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual(['Dense', 'Activation', 'Dense', 'Activation']);
    const meta = JSON.parse(readFileSync(join(dir, 'model', 'nnsearch.json'), 'utf8'));
    expect(meta).toMatchObject({ study: 'tc', task: 'classification', inputDim: 4, classes: 3, test: null });
    // the exported model takes raw features (the spec's standard scaling is folded into it)
    const p = nnsearch(['predict', '--model', 'model', '--data', 'blobs.csv', '--out', 'preds.csv', '--show', '5'], dir);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/blobs\.csv \(120 rows, 4 features\): 120 samples/);
    const acc = Number(/accuracy (0\.\d+|1\.0+)/.exec(p.stdout)![1]);
    expect(acc).toBeGreaterThan(0.8);
    expect(p.stdout).toMatch(/first 5 predictions: [0-2]( [0-2]){4}/);
    const preds = readFileSync(join(dir, 'preds.csv'), 'utf8').trim().split('\n');
    expect(preds[0]).toBe('prediction,label,p_0,p_1,p_2');
    expect(preds).toHaveLength(121);
    for (const line of preds.slice(1, 20)) {
      const probs = line.split(',').slice(2).map(Number);
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
  });

  it('scores the dataset test split, and the reloaded LayersModel gives the same accuracy as the engine', () => {
    // an IDX dataset with its own t10k test split
    const d = workdir();
    const ds = blobs(400, 16, 4, 9, 0.9);
    const idx = (type: number, dims: number[], bytes: number[]) => {
      const h = Buffer.alloc(4 + 4 * dims.length);
      h[2] = type;
      h[3] = dims.length;
      dims.forEach((v, i) => h.writeInt32BE(v, 4 + 4 * i));
      return gzipSync(Buffer.concat([h, Buffer.from(bytes)]));
    };
    const pixels = Array.from(ds.x, (v) => Math.max(0, Math.min(255, Math.round(128 + 30 * v))));
    const labels = Array.from(ds.y);
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), idx(8, [300, 4, 4], pixels.slice(0, 300 * 16)));
    writeFileSync(join(d, 'train-labels-idx1-ubyte.gz'), idx(8, [300], labels.slice(0, 300)));
    writeFileSync(join(d, 't10k-images-idx3-ubyte.gz'), idx(8, [100, 4, 4], pixels.slice(300 * 16)));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte.gz'), idx(8, [100], labels.slice(300)));
    write(d, 'idx.yaml', 'name: idx\nseed: 1\ndata:\n  dataset: idx\n  path: .\n  scaling: standard\nmodel:\n  units: [16]\n  batch_norm: true\n  dropout: 0.1\n  learning_rate: 0.01\ntrain:\n  epochs: 8\n  batch_size: 16\nparams:\n  init: [he_uniform, glorot_uniform]\n');
    expect(nnsearch(['grid', 'idx.yaml', '--quiet'], d).code).toBe(0);
    const r = nnsearch(['export', '--best', 'm'], d);
    expect(r.code, r.stderr).toBe(0);
    const m = /test split \(.*t10k-images-idx3-ubyte\.gz \(100 samples\)\): accuracy (0\.\d{4}|1\.0000); reloaded LayersModel: (0\.\d{4}|1\.0000)/.exec(r.stdout)!;
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m[2])).toBe(Number(m[1]));
    expect(Number(m[1])).toBeGreaterThan(0.7);
    const meta = JSON.parse(readFileSync(join(d, 'm', 'nnsearch.json'), 'utf8'));
    expect(meta.test.samples).toBe(100);
    expect(meta.test.reloaded).toBeCloseTo(meta.test.engine, 10);
    const layers = JSON.parse(readFileSync(join(d, 'm', 'model.json'), 'utf8')).modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
    expect(layers).toEqual(['Dense', 'BatchNormalization', 'Activation', 'Dropout', 'Dense', 'Activation']);
    // predict on the directory uses its t10k split and agrees
    const p = nnsearch(['predict', '--model', 'm', '--data', '.', '--show', '0'], d);
    expect(p.stdout).toContain(`accuracy ${m[2]}`);
  });

  it('clear errors for a missing model and mismatched data', () => {
    expect(nnsearch(['predict', '--model', 'nope', '--data', 'blobs.csv'], dir).stderr).toMatch(/nope\/nnsearch\.json: not found/);
    write(dir, 'wide.csv', 'a,b,c,d,e,f\n1,2,3,4,5,6\n');
    const r = nnsearch(['predict', '--model', 'model', '--data', 'wide.csv'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/6 feature columns, the model takes 4|5 features, the model takes 4/);
  });

  it('export refuses a missing directory and a trial that is not a number, writing nothing', () => {
    const before = existsSync(join(dir, 'model.json'));
    const r = nnsearch(['export', '--best'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--best: give the directory/);
    expect(existsSync(join(dir, 'model.json'))).toBe(before);
    const t = nnsearch(['export', '--best', 'm2', '--trial', 'abc'], dir);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--trial: expected a trial number, got 'abc'/);
    expect(existsSync(join(dir, 'm2'))).toBe(false);
  });

  it('predict reads string class labels by the names the export recorded, and says when it scores training data', () => {
    const d = workdir();
    const names = ['setosa', 'versicolor', 'virginica'];
    const ds = blobs(90, 4, 3, 5, 0.5);
    const rows = ['a,b,c,d,species', ...Array.from({ length: ds.n }, (_, i) => [...ds.x.subarray(i * 4, i * 4 + 4)].map((v) => v.toFixed(3)).concat(names[ds.y[i]]).join(','))];
    write(d, 'iris.csv', rows.join('\n') + '\n');
    write(d, 'new.csv', [rows[0], ...rows.slice(1, 11)].join('\n') + '\n');
    write(d, 'iris.yaml', TINY.replace('name: tiny', 'name: iris').replace('file: blobs.csv', 'file: iris.csv') + 'params:\n  learning_rate: [0.05]\n');
    expect(nnsearch(['grid', 'iris.yaml', '--quiet'], d).code).toBe(0);
    expect(nnsearch(['export', '--best', 'm'], d).code).toBe(0);
    const own = nnsearch(['predict', '--model', 'm', '--data', 'iris.csv', '--show', '3'], d);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toMatch(/accuracy (0|1)\.\d{4} \(on the data the model was trained on: a training score/);
    expect(own.stdout).toMatch(/first 3 predictions: (setosa|versicolor|virginica)( (setosa|versicolor|virginica)){2}/);
    const fresh = nnsearch(['predict', '--model', 'm', '--data', 'new.csv', '--show', '0'], d);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/^accuracy (0|1)\.\d{4}$/m);
    write(d, 'odd.csv', `${rows[0]}\n1,2,3,4,daisy\n`);
    const odd = nnsearch(['predict', '--model', 'm', '--data', 'odd.csv'], d);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toMatch(/odd\.csv:2: target 'species': label 'daisy' is not one of the model's classes \(setosa, versicolor, virginica\)/);
  });
});
