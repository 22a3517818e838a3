import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nnsearch, TINY, workdir, write } from './run-cli.js';

const backend = ['--backend', 'wasm'];

function countTrials(db: string): number {
  const d = new Database(db, { readonly: true });
  const n = (d.prepare('SELECT count(*) AS n FROM trials').get() as { n: number }).n;
  d.close();
  return n;
}

describe('nnsearch grid / report / studies on a small CSV', () => {
  const dir = workdir();
  write(dir, 'grid.yaml', TINY + 'params:\n  init: [zero, glorot_uniform]\n  learning_rate: [0.05, 0.1]\n');

  it('runs the grid and prints the classic table', () => {
    const r = nnsearch(['grid', 'grid.yaml', ...backend], dir);
    expect(r.stderr).toMatch(/study tiny: grid search, 4 grid points, 3-fold CV/);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Best: 0\.\d{4} using \{init: glorot_uniform, learning_rate: 0\.(05|1)\}$/);
    expect(lines.slice(1)).toHaveLength(4);
    for (const l of lines.slice(1)) expect(l).toMatch(/^mean=\d\.\d{4} std=\d\.\d{4} \{init: (zero|glorot_uniform), learning_rate: 0\.(05|1)\}$/);
    // zero init cannot break symmetry: a constant prediction at chance level (1/3)
    const zero = lines.filter((l) => l.includes('zero')).map((l) => Number(l.slice(5, 11)));
    for (const z of zero) expect(z).toBeLessThan(0.5);
    const glorot = lines.filter((l) => l.includes('glorot')).map((l) => Number(l.slice(5, 11)));
    for (const g of glorot) expect(g).toBeGreaterThan(0.8);
    expect(countTrials(join(dir, 'nnsearch.db'))).toBe(4);
    // one plain line per finished trial when stderr is not a terminal
    expect(r.stderr.split('\n').filter((l) => /^\[\d\/4\] trial \d: mean=/.test(l))).toHaveLength(4);
  });

  it('continues a study without training completed trials again', () => {
    const r = nnsearch(['grid', 'grid.yaml', ...backend], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/trial \d: mean=/);
    expect(countTrials(join(dir, 'nnsearch.db'))).toBe(4);
  });

  it('reports from the database only: table, best, by, csv, json', () => {
    const table = nnsearch(['report'], dir);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^Best: /);
    const best = nnsearch(['report', '--best', '--study', 'tiny'], dir);
    expect(best.stdout.trim().split('\n')).toHaveLength(1);
    const by = nnsearch(['report', '--by', 'init'], dir);
    expect(by.stdout).toMatch(/^init\s+trials/);
    expect(by.stdout).toMatch(/zero\s+2\s+2/);
    const csv = nnsearch(['report', '--format', 'csv'], dir).stdout.trim().split('\n');
    expect(csv[0].split(',')).toEqual(expect.arrayContaining(['params', 'param_init', 'param_learning_rate', 'split0_test_score', 'split1_test_score', 'split2_test_score', 'mean_test_score', 'std_test_score', 'rank_test_score', 'mean_fit_time']));
    expect(csv).toHaveLength(5);
    const json = JSON.parse(nnsearch(['report', '--format', 'json'], dir).stdout);
    expect(json.cv_results.mean_test_score).toHaveLength(4);
    expect(json.best_params.init).toBe('glorot_uniform');
    const studies = nnsearch(['studies'], dir);
    expect(studies.stdout).toMatch(/tiny\s+4\s+4\s+0\s+0/);
  });

  it('refuses the same study name with a different spec, naming what differs', () => {
    write(dir, 'grid2.yaml', TINY.replace('epochs: 3', 'epochs: 4') + 'params:\n  init: [zero, glorot_uniform]\n  learning_rate: [0.05, 0.1]\n');
    const r = nnsearch(['grid', 'grid2.yaml', ...backend], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/study 'tiny' in nnsearch\.db was created from a different spec \(train\.epochs differs\)/);
  });

  it('report errors: unknown study, unknown --by, missing database', () => {
    expect(nnsearch(['report', '--study', 'nope'], dir)).toMatchObject({ code: 2 });
    expect(nnsearch(['report', '--by', 'units'], dir).stderr).toMatch(/--by: study 'tiny' has no parameter 'units'/);
    const r = nnsearch(['report', '--db', 'other.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/other\.db: no such database/);
    expect(existsSync(join(dir, 'other.db'))).toBe(false);
  });
});

describe('nnsearch random', () => {
  const dir = workdir();
  write(dir, 'random.yaml', TINY.replace('name: tiny', 'name: rnd') + 'params:\n  learning_rate: {min: 0.001, max: 0.3, log: true}\n  units: {min: 4, max: 16}\n  optimizer: [adam, sgd]\n');

  it('runs until the study reaches the budget, and continues to a larger one', () => {
    expect(nnsearch(['random', 'random.yaml', '--budget', '2', '--quiet', ...backend], dir).code).toBe(0);
    expect(countTrials(join(dir, 'nnsearch.db'))).toBe(2);
    const r = nnsearch(['random', 'random.yaml', '--budget', '3', ...backend], dir);
    expect(r.code).toBe(0);
    expect(countTrials(join(dir, 'nnsearch.db'))).toBe(3);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('mean='))).toHaveLength(3);
  });

  it('needs a budget', () => {
    const r = nnsearch(['random', 'random.yaml', ...backend], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--budget N is required/);
  });

  it('--max-trials and --yes are for grids', () => {
    const r = nnsearch(['random', 'random.yaml', '--budget', '2', '--yes', ...backend], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/random: --max-trials and --yes apply to grid searches/);
  });
});

describe('finite spaces', () => {
  const dir = workdir();
  write(dir, 'f.yaml', TINY.replace('name: tiny', 'name: f') + 'params:\n  learning_rate: [0.01, 0.05, 0.1]\n');

  it('random never repeats a configuration: a budget larger than the space ends with every configuration once and exit 1, saying why', () => {
    const r = nnsearch(['random', 'f.yaml', '--budget', '5', '--quiet', ...backend], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/study f ends with 3 of its budget of 5 trials \(the search space has no untried configuration left\)/);
    const db = new Database(join(dir, 'nnsearch.db'), { readonly: true });
    const params = (db.prepare("SELECT params_json AS p FROM trials WHERE state = 'complete'").all() as { p: string }[]).map((x) => x.p);
    db.close();
    expect(new Set(params).size).toBe(3);
    expect(params).toHaveLength(3);
  });

  it('a grid after random trains only the points the study does not hold, and is complete', () => {
    const r = nnsearch(['grid', 'f.yaml', '--quiet', ...backend], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(countTrials(join(dir, 'nnsearch.db'))).toBe(3);
  });
});

describe('a study scored by macro F1, with training-part scores', () => {
  const dir = workdir();
  write(dir, 'f1.yaml', TINY.replace('name: tiny', 'name: f1') + '  return_train_score: true\nmetric: {name: f1_macro}\nparams:\n  learning_rate: [0.01, 0.05]\n');
  const native = ['--backend', 'native', '--workers', '1'];

  it('--quiet prints the results and nothing else', () => {
    const r = nnsearch(['grid', 'f1.yaml', '--quiet', ...native], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stdout).toMatch(/^Best: 0\.\d{4} using \{learning_rate: 0\.0[15]\}/);
  });

  it("has scikit-learn's train_score columns and a real std_fit_time", () => {
    const json = JSON.parse(nnsearch(['report', '--format', 'json'], dir).stdout);
    expect(json.metric).toBe('f1_macro');
    expect(json.goal).toBe('maximize');
    const cv = json.cv_results;
    for (const k of ['split0_train_score', 'split1_train_score', 'split2_train_score', 'mean_train_score', 'std_train_score']) expect(cv[k], k).toHaveLength(2);
    for (const v of [...cv.mean_test_score, ...cv.mean_train_score]) expect(v).toBeGreaterThan(0.3);
    // each fold's model is timed on its own, so the folds' fit times differ
    for (const v of cv.std_fit_time) expect(v).toBeGreaterThan(0);
    expect(nnsearch(['studies'], dir).stdout).toMatch(/f1_macro \(maximize\)/);
    expect(nnsearch(['show', 'best'], dir).stdout).toMatch(/^fold\s+f1_macro\s+train_score\s+test_loss/m);
  });

  it('refuses report options the chosen format would ignore, in one line', () => {
    const cases: [string[], RegExp][] = [
      [['--format', 'csv', '--by', 'learning_rate'], /^nnsearch: --by: not with --format csv, which writes every trial's cv_results_ columns \(--by works with --format table\)$/],
      [['--format', 'json', '--top', '1'], /^nnsearch: --top: not with --format json/],
      [['--format', 'markdown', '--by', 'learning_rate'], /^nnsearch: --by: not with --format markdown/],
      [['--by', 'learning_rate', '--best'], /^nnsearch: --by: not with --best/],
      [['--best', '--top', '2'], /^nnsearch: --best: not with --top/],
    ];
    for (const [args, message] of cases) {
      const r = nnsearch(['report', ...args, '--html', 'never.html'], dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stdout).toBe('');
      expect(existsSync(join(dir, 'never.html'))).toBe(false);
    }
    expect(nnsearch(['report', '--format', 'markdown', '--best'], dir).stdout.trim().split('\n')).toHaveLength(3);
  });
});

describe('grid size limit', () => {
  const dir = workdir();
  write(dir, 'g.yaml', TINY.replace('name: tiny', 'name: g') + 'params:\n  learning_rate: [0.01, 0.05, 0.1]\n');

  it('refuses a grid above --max-trials without writing, and runs it when the limit allows', () => {
    const r = nnsearch(['grid', 'g.yaml', '--max-trials', '2', '--quiet', ...backend], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('nnsearch: grid: 3 grid points, more than --max-trials 2; pass --max-trials 3 (or --yes) to run them all, or search a smaller grid or with random / bayes');
    expect(existsSync(join(dir, 'nnsearch.db'))).toBe(false);
    expect(nnsearch(['grid', 'g.yaml', '--max-trials', '3', '--quiet', ...backend], dir).code).toBe(0);
    expect(countTrials(join(dir, 'nnsearch.db'))).toBe(3);
  });
});

describe('bad input: one line, exit 2, no stack trace, nothing written', () => {
  const dir = workdir();
  write(dir, 'ragged.csv', 'a,b,y\n1,2,0\n3,0\n');
  write(dir, 'text.csv', 'a,b,y\n1,2,0\n3,oops,1\n');
  write(dir, 'few.csv', 'a,y\n1,0\n2,0\n3,0\n4,1\n');
  const cases: [string, string, RegExp][] = [
    ['yaml syntax', 'name: x\nmodel: [\n', /bad\.yaml:\d+: YAML syntax error/],
    ['unknown key', 'name: x\nmodel:\n  unitz: 3\n', /bad\.yaml:3: model\.unitz: unknown key/],
    ['wrong type', 'name: x\ntrain:\n  epochs: many\n', /bad\.yaml:3: train\.epochs: /],
    ['min > max', 'name: x\nparams:\n  dropout: {min: 0.5, max: 0.1, step: 0.1}\n', /bad\.yaml:3: params\.dropout: min \(0\.5\) > max \(0\.1\)/],
    ['log with min 0', 'name: x\nparams:\n  learning_rate: {min: 0, max: 1, log: true}\n', /params\.learning_rate\.min: must be > 0 when log is true/],
    ['empty values', 'name: x\nparams:\n  init: []\n', /params\.init: needs at least one value/],
    ['unknown initializer', 'name: x\nparams:\n  init: [glorot]\n', /params\.init\[0\]: unknown initializer 'glorot'/],
    ['unknown activation', 'name: x\nmodel:\n  activation: swish\n', /model\.activation: unknown activation 'swish'/],
    ['unknown optimizer', 'name: x\nmodel:\n  optimizer: lbfgs\n', /model\.optimizer: unknown optimizer 'lbfgs'/],
    ['folds < 2', 'name: x\ncv:\n  folds: 1\n', /cv\.folds: must be >= 2/],
    ['continuous range in a grid', 'name: x\nparams:\n  learning_rate: {min: 0.01, max: 0.1}\n', /params\.learning_rate: grid search needs/],
    ['missing data file', 'name: x\ndata:\n  dataset: csv\n  file: nope.csv\nparams:\n  init: [zero]\n', /nope\.csv: file not found/],
    ['ragged csv', 'name: x\ndata:\n  dataset: csv\n  file: ragged.csv\nparams:\n  init: [zero]\n', /ragged\.csv:3: expected 3 fields, found 2/],
    ['non-numeric feature', 'name: x\ndata:\n  dataset: csv\n  file: text.csv\nparams:\n  init: [zero]\n', /text\.csv:3: column 'b' value 'oops' is not a number/],
    ['labels out of range', 'name: x\ndata:\n  dataset: csv\n  file: blobs.csv\n  classes: 2\nparams:\n  init: [zero]\n', /label 2 out of range 0\.\.1/],
    ['too few samples per class', 'name: x\ndata:\n  dataset: csv\n  file: few.csv\nparams:\n  init: [zero]\n', /cv\.folds: 3 folds need at least 3 samples of every class, but class 1 has 1/],
    ['binary loss on 3 classes', 'name: x\ndata:\n  dataset: csv\n  file: blobs.csv\nmodel:\n  loss: binary_crossentropy\nparams:\n  init: [zero]\n', /model\.loss: binary_crossentropy needs exactly 2 classes, the data has 3/],
    ['unknown pruner', 'name: x\npruner: medain\nparams:\n  init: [zero]\n', /bad\.yaml:2: pruner: unknown pruner 'medain' \(expected one of: none, median, asha, hyperband, wilcoxon; did you mean 'median'\?\)/],
    ['unknown pruner parameter', 'name: x\npruner: {name: asha, reduction_factr: 3}\nparams:\n  init: [zero]\n', /pruner\.reduction_factr: unknown parameter of pruner asha \(expected one of: .*did you mean 'reduction_factor'\?\)/],
    ['monitor not logged', 'name: x\ndata:\n  dataset: csv\n  file: blobs.csv\ntrain:\n  validation_split: 0.2\n  early_stopping: {monitor: val_auc}\nparams:\n  init: [zero]\n', /train\.early_stopping\.monitor: 'val_auc' is not logged/],
  ];
  for (const [what, yaml, message] of cases) {
    it(what, () => {
      write(dir, 'bad.yaml', yaml);
      const r = nnsearch(['grid', 'bad.yaml', '--db', 'bad.db', ...backend], dir);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'bad.db'))).toBe(false);
    });
  }

  it('a missing spec file', () => {
    const r = nnsearch(['grid', 'missing.yaml', '--db', 'bad.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('nnsearch: missing.yaml: spec file not found');
    expect(existsSync(join(dir, 'bad.db'))).toBe(false);
  });

  it('a backend that is not installed, before anything is written', () => {
    write(dir, 'ok.yaml', TINY + 'params:\n  init: [zero]\n');
    const r = nnsearch(['grid', 'ok.yaml', '--db', 'bad.db', '--backend', 'tensorflow'], dir);
    if (r.code === 0) return; // tfjs-node happens to be installed on this machine
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^nnsearch: --backend tensorflow: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/);
    expect(existsSync(join(dir, 'bad.db'))).toBe(false);
  });

  it('an unknown option or command', () => {
    expect(nnsearch(['grid', '--bogus'], dir).code).toBe(2);
    expect(nnsearch(['frobnicate'], dir).code).toBe(2);
  });

  it('validate lists every problem, one per line', () => {
    write(dir, 'two.yaml', 'name: x\nmodel:\n  init: glorot\n  activation: swish\n');
    const r = nnsearch(['validate', 'two.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    write(dir, 'good.yaml', TINY + 'params:\n  init: [zero, normal]\n');
    const ok = nnsearch(['validate', 'good.yaml'], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/good\.yaml: ok — study tiny; grid of 2 trials; 3-fold CV on .*blobs\.csv \(120 rows, 4 features\)/);
  });

  it('--help lists the commands', () => {
    const r = nnsearch(['--help'], dir);
    expect(r.code).toBe(0);
    for (const c of ['grid', 'random', 'report', 'validate', 'studies']) expect(r.stdout).toContain(`nnsearch ${c}`);
  });
});

describe('the init-mode experiment, small', () => {
  const dir = workdir();
  write(
    dir,
    'init.yaml',
    'name: init-small\nseed: 1\ndata:\n  dataset: mnist\n  limit: 1500\nmodel:\n  units: [32]\ntrain:\n  epochs: 4\n  batch_size: 32\ncv:\n  folds: 3\nparams:\n  init: [zero, uniform, he_uniform]\n',
  );

  it('puts zero at chance and the other initializers well above it', () => {
    const r = nnsearch(['grid', 'init.yaml', '--quiet', ...backend], dir);
    expect(r.code).toBe(0);
    const score = (init: string) => Number(/mean=(\d\.\d+)/.exec(r.stdout.split('\n').find((l) => l.startsWith('mean=') && l.includes(`{init: ${init}}`))!)![1]);
    expect(score('zero')).toBeLessThan(0.15);
    expect(score('zero')).toBeGreaterThan(0.07);
    expect(score('uniform')).toBeGreaterThan(0.75);
    expect(score('he_uniform')).toBeGreaterThan(0.75);
  });
});

describe('nnsearch bayes', () => {
  const dir = workdir();
  write(dir, 'bayes.yaml', TINY.replace('name: tiny', 'name: gp') + 'params:\n  learning_rate: {min: 0.001, max: 0.3, log: true}\n  units: {min: 2, max: 16}\n  optimizer: [adam, sgd]\n');

  it('continues a random study with the GP and names the sampler of each trial', () => {
    expect(nnsearch(['random', 'bayes.yaml', '--budget', '3', '--quiet', ...backend], dir).code).toBe(0);
    const r = nnsearch(['bayes', 'bayes.yaml', '--budget', '6', '--startup', '3', '--quiet', ...backend], dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').slice(1);
    expect(lines.filter((l) => l.endsWith('[random]'))).toHaveLength(3);
    expect(lines.filter((l) => l.endsWith('[bayes]'))).toHaveLength(3);
    const csv = nnsearch(['report', '--format', 'csv'], dir).stdout.trim().split('\n');
    expect(csv.slice(1).map((l) => l.split(',')[1])).toEqual(['random', 'random', 'random', 'bayes', 'bayes', 'bayes']);
  });
});

describe('study identity', () => {
  it('refuses reordered params (the grid order) under the same study name', () => {
    const dir = workdir();
    write(dir, 'a.yaml', TINY.replace('name: tiny', 'name: order') + 'params:\n  init: [zero, normal]\n  learning_rate: [0.05, 0.1]\n');
    write(dir, 'b.yaml', TINY.replace('name: tiny', 'name: order') + 'params:\n  learning_rate: [0.05, 0.1]\n  init: [zero, normal]\n');
    expect(nnsearch(['grid', 'a.yaml', '--quiet', '--backend', 'native', '--workers', '1'], dir).code).toBe(0);
    const r = nnsearch(['grid', 'b.yaml', '--quiet', '--backend', 'native', '--workers', '1'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the order of params, which is the grid order, differs/);
  });
});

describe('determinism', () => {
  it('the same spec and seed give the same trials and scores in two databases (and a different seed does not)', () => {
    const dir = workdir();
    write(dir, 'd.yaml', TINY.replace('name: tiny', 'name: det') + '  dropout: 0.2\nparams:\n  learning_rate: {min: 0.01, max: 0.3, log: true}\n  units: {min: 2, max: 12}\n'.replace('  dropout: 0.2\n', ''));
    const scores = (db: string, seed: string) => {
      expect(nnsearch(['random', 'd.yaml', '--budget', '4', '--quiet', '--db', db, '--seed', seed, '--workers', '1'], dir).code).toBe(0);
      const json = JSON.parse(nnsearch(['report', '--format', 'json', '--db', db], dir).stdout);
      return { params: json.cv_results.params, scores: [json.cv_results.split0_test_score, json.cv_results.split1_test_score, json.cv_results.split2_test_score] };
    };
    const a = scores('a.db', '11');
    const b = scores('b.db', '11');
    const c = scores('c.db', '12');
    expect(b).toEqual(a);
    expect(c.params).not.toEqual(a.params);
  });
});
