import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TfjsEngine, liveTensors } from '../../src/engine/tfjs-engine.js';
import { randomSampler } from '../../src/search/random.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { openStudy, prepareStudy } from '../../src/study/prepare.js';
import { runSearch } from '../../src/study/run.js';
import { nnsearch, TINY, workdir, write } from '../cli/run-cli.js';
import { specFrom } from '../helpers.js';

describe('divergence', () => {
  for (const backend of ['native', 'wasm']) {
    it(`a NaN loss fails that trial as diverged; the search goes on; the report ranks it last (${backend})`, () => {
      const dir = workdir();
      write(dir, 'div.yaml', TINY.replace('learning_rate: 0.05', 'optimizer: sgd\n  init: normal') + 'params:\n  learning_rate: [0.05, 1.0e+12, 0.1]\n');
      const r = nnsearch(['grid', 'div.yaml', '--backend', backend, '--workers', '1'], dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^failed \(diverged\) \{learning_rate: 1e\+12\}$/m);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('mean='))).toHaveLength(2);
      const csv = nnsearch(['report', '--format', 'csv'], dir).stdout.trim().split('\n');
      const header = csv[0].split(',');
      const row = csv.slice(1).map((l) => l.split(',')).find((c) => c[header.indexOf('param_learning_rate')] === '1000000000000')!;
      expect(row[header.indexOf('rank_test_score')]).toBe('3');
      expect(row[header.indexOf('state')]).toBe('fail');
      expect(row[header.indexOf('fail_reason')]).toBe('diverged');
      expect(row[header.indexOf('mean_test_score')]).toBe('');
    });
  }
});

describe('memory over many trials', () => {
  it('100 trials in one process leave tf.memory().numTensors at its baseline and RSS bounded', async () => {
    const dir = workdir();
    const spec = specFrom(`name: mem\nseed: 1\ndata:\n  dataset: csv\n  file: blobs.csv\nmodel:\n  units: [8]\n  dropout: 0.1\n  batch_norm: true\ntrain:\n  epochs: 1\n  batch_size: 32\ncv:\n  folds: 2\nparams:\n  learning_rate: {min: 0.001, max: 0.1, log: true}\n  optimizer: [adam, sgd, rmsprop, adagrad]\n`);
    const prepared = prepareStudy(spec, join(dir, 'mem.yaml'), { checkGrid: false });
    const store = SqliteStore.open(':memory:', { create: true });
    const study = await openStudy(store, prepared);
    const engine = await TfjsEngine.create('wasm');
    const sampler = randomSampler({ space: spec.space, seed: 1 });
    const tensors = liveTensors();
    await runSearch(store, study, prepared, { sampler, budget: 20, engine });
    global.gc?.();
    const rss20 = process.memoryUsage().rss;
    await runSearch(store, study, prepared, { sampler, budget: 100, engine });
    global.gc?.();
    const rss100 = process.memoryUsage().rss;
    expect((await store.listTrials(study.id)).filter((t) => t.state === 'complete')).toHaveLength(100);
    expect(liveTensors()).toBe(tensors);
    // 80 more trials may not grow the process by more than 40 MB
    expect((rss100 - rss20) / 2 ** 20).toBeLessThan(40);
  });
});
