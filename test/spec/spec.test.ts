import { describe, expect, it } from 'vitest';
import { parseSpecText } from '../../src/spec/file.js';
import { activeOnly, isActive } from '../../src/search/space.js';
import { specFrom } from '../helpers.js';
import type { Spec } from '../../src/spec/schema.js';

function ok(text: string): Spec {
  const r = parseSpecText(text);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n'));
  return r.spec;
}

function problems(text: string) {
  const r = parseSpecText(text);
  if (r.ok) throw new Error('expected the spec to be rejected');
  return r.problems;
}

describe('spec parsing', () => {
  it('fills Keras defaults', () => {
    const s = ok('name: t\n');
    expect(s.model.optimizer).toBe('adam');
    expect(s.model.init).toBe('glorot_uniform');
    expect(s.model.activation).toBe('relu');
    expect(s.train.batch_size).toBe(32);
    expect(s.cv.folds).toBe(3);
    expect(s.data.dataset).toBe('mnist');
    expect(s.space).toEqual([]);
  });

  it('builds the space in spec order from every param form', () => {
    const s = ok(`
name: t
params:
  init: [uniform, Zeros]
  optimizer: {values: [sgd, adam]}
  learning_rate: {min: 0.0001, max: 0.1, log: true}
  batch_size: {min: 16, max: 128, step: 16}
  dropout: {min: 0, max: 0.5}
  epochs: {value: 3}
  l2: {min: 0.001, max: 0.01, distribution: log_uniform_values}
`);
    expect(s.space.map((p) => p.name)).toEqual(['init', 'optimizer', 'learning_rate', 'batch_size', 'dropout', 'epochs', 'l2']);
    expect(s.space[0].dist).toEqual({ kind: 'categorical', choices: ['uniform', 'zero'] });
    expect(s.space[2].dist).toEqual({ kind: 'float', low: 0.0001, high: 0.1, log: true, step: null });
    expect(s.space[3].dist).toEqual({ kind: 'int', low: 16, high: 128, log: false, step: 16 });
    expect(s.space[4].dist).toEqual({ kind: 'float', low: 0, high: 0.5, log: false, step: null });
    expect(s.space[5].dist).toEqual({ kind: 'categorical', choices: [3] });
    expect(s.space[6].dist).toMatchObject({ kind: 'float', log: true });
  });

  it('accepts model.x and train.x prefixes', () => {
    const s = ok('name: t\nparams:\n  model.init: [normal]\n  train.epochs: [1, 2]\n');
    expect(s.space.map((p) => p.name)).toEqual(['init', 'epochs']);
  });

  const bad: [string, string, RegExp, number | null][] = [
    ['unknown top-level key', 'name: t\nmodle: {}\n', /^modle$/, 2],
    ['unknown nested key', 'name: t\nmodel:\n  unitz: 3\n', /^model\.unitz$/, 3],
    ['wrong type', 'name: t\ntrain:\n  epochs: ten\n', /^train\.epochs$/, 3],
    ['min > max', 'name: t\nparams:\n  learning_rate: {min: 0.1, max: 0.01}\n', /^params\.learning_rate$/, 3],
    ['log with min <= 0', 'name: t\nparams:\n  learning_rate: {min: 0, max: 0.1, log: true}\n', /^params\.learning_rate\.min$/, 3],
    ['empty values', 'name: t\nparams:\n  init: []\n', /^params\.init$/, 3],
    ['empty values object', 'name: t\nparams:\n  init: {values: []}\n', /^params\.init\.values$/, 3],
    ['unknown init in params', 'name: t\nparams:\n  init: [uniform, glorot]\n', /^params\.init\[1\]$/, 3],
    ['unknown init in model', 'name: t\nmodel:\n  init: glorot\n', /^model\.init$/, 3],
    ['unknown activation', 'name: t\nmodel:\n  activation: swishy\n', /^model\.activation$/, 3],
    ['unknown optimizer', 'name: t\nmodel:\n  optimizer: lbfgs\n', /^model\.optimizer$/, 3],
    ['folds < 2', 'name: t\ncv:\n  folds: 1\n', /^cv\.folds$/, 3],
    ['unknown parameter', 'name: t\nparams:\n  widht: [1]\n', /^params\.widht$/, 3],
    ['missing name', 'seed: 1\n', /^name$/, null],
    ['range over a keyword field', 'name: t\nparams:\n  init: {min: 0, max: 1}\n', /^params\.init$/, 3],
    ['float range for an int field', 'name: t\nparams:\n  batch_size: {min: 1.5, max: 8}\n', /^params\.batch_size/, 3],
    ['duplicate values', 'name: t\nparams:\n  init: [zero, zeros]\n', /^params\.init\[1\]$/, 3],
    ['dropout >= 1', 'name: t\nmodel:\n  dropout: 1\n', /^model\.dropout$/, 3],
    ['nesterov with adam', 'name: t\nmodel:\n  optimizer: adam\n  nesterov: true\n', /^model\.nesterov$/, 4],
    ['early stopping on val_loss without a validation split', 'name: t\ntrain:\n  early_stopping: {monitor: val_loss}\n', /^train\.early_stopping\.monitor$/, 3],
    ['bad schedule type', 'name: t\ntrain:\n  lr_schedule: {type: linear}\n', /^train\.lr_schedule/, 3],
    ['csv without file', 'name: t\ndata:\n  dataset: csv\n', /^data\.file$/, 2],
    ['spec that is a list', '- a\n- b\n', /^$/, null],
  ];
  for (const [what, text, path, line] of bad) {
    it(`rejects ${what}, naming the field`, () => {
      const [first] = problems(text);
      expect(first.path).toMatch(path);
      expect(first.message.length).toBeGreaterThan(3);
      expect(first.message).not.toMatch(/\n/);
      if (line !== null) expect(first.line).toBe(line);
    });
  }

  it('reports YAML syntax errors with a line number', () => {
    const [p] = problems('name: t\nmodel:\n  units: [64\n  init: x: y\n');
    expect(p.message).toMatch(/^YAML syntax error/);
    expect(p.line).toBeGreaterThanOrEqual(3);
  });

  it('says what the valid choices are for an unknown keyword', () => {
    const [p] = problems('name: t\nmodel:\n  init: glorot\n');
    expect(p.message).toMatch(/unknown initializer 'glorot'.*lecun_uniform/);
  });

  it('lists known keys for an unknown key', () => {
    const [p] = problems('name: t\ntrain:\n  epoch: 3\n');
    expect(p.message).toMatch(/unknown key.*epochs/);
  });

  it('lets a searched optimizer leave momentum unused', () => {
    const s = ok('name: t\nmodel:\n  momentum: 0.9\nparams:\n  optimizer: [sgd, adam]\n');
    expect(s.model.momentum).toBe(0.9);
  });

  it('applies a seed override', () => {
    const r = parseSpecText('name: t\nseed: 1\n', { seed: 99 });
    expect(r.ok && r.spec.seed).toBe(99);
  });
});

describe('conditional parameters', () => {
  const base = 'name: c\nparams:\n  optimizer: [sgd, adam, rmsprop]\n';

  it('a parameter applies only when the named parameters take the listed values', () => {
    const spec = specFrom(`${base}  momentum: {values: [0.0, 0.9], when: {optimizer: [sgd, rmsprop]}}\n  nesterov: {values: [true, false], when: {optimizer: sgd}}\n`);
    const [, momentum, nesterov] = spec.space;
    expect(momentum.when).toEqual([{ param: 'optimizer', values: ['sgd', 'rmsprop'] }]);
    expect(nesterov.when).toEqual([{ param: 'optimizer', values: ['sgd'] }]);
    expect(isActive(momentum, { optimizer: 'adam' })).toBe(false);
    expect(isActive(momentum, { optimizer: 'rmsprop' })).toBe(true);
    expect(activeOnly(spec.space, { optimizer: 'adam', momentum: 0.9, nesterov: true })).toEqual({ optimizer: 'adam' });
    expect(activeOnly(spec.space, { optimizer: 'sgd', momentum: 0.9, nesterov: true })).toEqual({ optimizer: 'sgd', momentum: 0.9, nesterov: true });
  });

  it('names a condition on a parameter not searched before, or a value it does not take', () => {
    const later = parseSpecText('name: c\nparams:\n  momentum: {values: [0.9], when: {optimizer: sgd}}\n  optimizer: [sgd, adam]\n');
    expect(later.ok).toBe(false);
    if (!later.ok) expect(later.problems[0]).toMatchObject({ path: 'params.momentum.when.optimizer', message: "'optimizer' must be a parameter searched before this one (params are read in order)" });
    const value = parseSpecText(`${base}  momentum: {min: 0, max: 0.99, when: {optimizer: nadam}}\n`);
    expect(value.ok).toBe(false);
    if (!value.ok) expect(value.problems[0].message).toMatch(/"nadam" is not a value 'optimizer' takes \(its values: "sgd", "adam", "rmsprop"\)/);
  });
});
