/**
 * The chart options and what they rest on, without a browser: the score window that zooms past an
 * outlier (the README's zero-init trial), axes per parameter kind, the colour scale of parallel
 * coordinates, the contour surface and its iso-lines, parameter importance over active trials only.
 */
import { describe, expect, it } from 'vitest';
import { isActive } from '../../src/spec/activity.js';
import { axisValue, paramAxis, scoreWindow, trialTip, type ChartTrial } from '../../src/report/charts/common.js';
import { contourPairs, isNumeric } from '../../src/report/charts/contour.js';
import { historyOption } from '../../src/report/charts/history.js';
import { parallelOption } from '../../src/report/charts/parallel.js';
import { isoline, smoothGrid } from '../../src/report/charts/surface.js';
import { importances, MIN_TRIALS } from '../../src/report/importance.js';
import type { Param } from '../../src/search/space.js';
import { INIT_MODE } from '../fixtures/init-mode.js';

const trials: ChartTrial[] = INIT_MODE.map(([init, value], number) => ({ number, state: 'complete', params: { init }, value, std: 0.004, folds: [value - 0.004, value, value + 0.004], train: null, failReason: null }));
const initParam: Param = { name: 'init', section: 'model', dist: { kind: 'categorical', choices: INIT_MODE.map(([i]) => i) } };

describe('the score window', () => {
  it('leaves out a trial far on the bad side of the rest, with a margin around the others', () => {
    const w = scoreWindow(trials, 'maximize')!;
    expect(w.outliers.map((t) => t.params.init)).toEqual(['zero']);
    expect(w.lo).toBeGreaterThan(0.94);
    expect(w.lo).toBeLessThan(0.9456);
    expect(w.hi).toBeGreaterThan(0.9507);
    expect(w.hi).toBeLessThan(0.953);
  });

  it('keeps everything when nothing is far out, or the far trial is the best one', () => {
    expect(scoreWindow(trials.filter((t) => t.params.init !== 'zero'), 'maximize')).toBeNull();
    // minimizing, the low zero-init score is the best: never zoomed away
    expect(scoreWindow(trials, 'minimize')).toBeNull();
    expect(scoreWindow(trials.slice(0, 4), 'maximize')).toBeNull();
  });

  it('starts the history zoomed to that window, with a slider to show the rest', () => {
    const { option, caption } = historyOption(trials, 'maximize', 'accuracy', scoreWindow(trials, 'maximize'));
    const zoom = option.dataZoom as { type: string; startValue?: number; endValue?: number; yAxisIndex?: number }[];
    expect(zoom.map((z) => z.type)).toEqual(['inside', 'slider']);
    for (const z of zoom) {
      expect(z.yAxisIndex).toBe(0);
      expect(z.startValue).toBeGreaterThan(0.94);
      expect(z.endValue).toBeGreaterThan(0.9507);
    }
    expect(caption).toMatch(/trial 3: 0\.1127/);
    const series = option.series as { name: string; data: unknown[] }[];
    expect(series.find((s) => s.name === 'trial')!.data).toHaveLength(8);
    expect(series.find((s) => s.name === 'best so far')!.data.at(-1)).toEqual([7, 0.9507]);
  });
});

describe('axes and colours', () => {
  it('log ranges get log axes, other ranges linear ones, choices categories', () => {
    expect(paramAxis({ name: 'lr', dist: { kind: 'float', low: 1e-4, high: 0.1, log: true, step: null } })).toMatchObject({ type: 'log', min: 1e-4, max: 0.1 });
    expect(paramAxis({ name: 'units', dist: { kind: 'int', low: 2, high: 16, log: false, step: 1 } })).toMatchObject({ type: 'value', min: 2, max: 16 });
    expect(paramAxis(initParam)).toMatchObject({ type: 'category', data: INIT_MODE.map(([i]) => i) });
    expect(axisValue(initParam, 'zero')).toBe(3);
  });

  it('parallel coordinates: one line per trial, a visible colour scale on the score, outliers dashed at the end', () => {
    const { option } = parallelOption([initParam], trials, 'maximize', 'accuracy', scoreWindow(trials, 'maximize'));
    const vm = option.visualMap as { type: string; dimension: number; min: number; max: number; inRange: { color: string[] }; show?: boolean };
    expect(vm).toMatchObject({ type: 'continuous', dimension: 1 });
    expect(vm.show).not.toBe(false);
    expect(vm.min).toBeGreaterThan(0.94);
    const data = (option.series as { data: { value: number[]; lineStyle?: { type: string } }[] }[])[0].data;
    expect(data).toHaveLength(8);
    const zero = data.find((d) => d.value[0] === 3)!;
    expect(zero.lineStyle).toEqual({ type: 'dashed' });
    expect(zero.value[1]).toBe(vm.min);
    // the best line is drawn last, on top
    expect(data.at(-1)!.value).toEqual([5, 0.9507]);
  });

  it("a trial's tooltip lists its number, score, parameters and folds", () => {
    const tip = trialTip({ ...trials[3], params: { init: 'zero', note: '<b>' } }, 'accuracy');
    expect(tip).toBe('<b>trial 3</b><br>accuracy <b>0.1127</b> ± 0.0040<br>init: zero<br>note: &lt;b&gt;<br>folds: 0.1087, 0.1127, 0.1167');
  });
});

describe('the contour surface', () => {
  it('smooths the trials over the plane and draws iso-lines between levels', () => {
    // the score rises with u: the smoothed grid does too, and a level in between crosses every row once
    const points = Array.from({ length: 40 }, (_, i) => ({ u: (i % 8) / 7, v: Math.floor(i / 8) / 4, z: (i % 8) / 7 }));
    const size = 16;
    const z = smoothGrid(points, size);
    for (let j = 0; j < size; j++) for (let i = 1; i < size; i++) expect(z[j * size + i]).toBeGreaterThan(z[j * size + i - 1]);
    const segments = isoline(z, size, 0.5);
    expect(segments).toHaveLength(size - 1);
    for (const [u1, , u2] of segments) {
      expect(u1).toBeGreaterThan(0.3);
      expect(u2).toBeLessThan(0.7);
    }
  });

  it('pairs numeric parameters, the most important first', () => {
    const space: Param[] = [
      { name: 'a', section: 'model', dist: { kind: 'float', low: 0, high: 1, log: false, step: null } },
      initParam,
      { name: 'b', section: 'model', dist: { kind: 'float', low: 1e-3, high: 1, log: true, step: null } },
      { name: 'c', section: 'model', dist: { kind: 'int', low: 1, high: 9, log: false, step: 1 } },
    ];
    expect(space.filter(isNumeric).map((p) => p.name)).toEqual(['a', 'b', 'c']);
    const pairs = contourPairs(space, (n) => ({ a: 2, b: 0, c: 1 })[n] ?? 9);
    expect(pairs.map(([x, y]) => `${x.name}×${y.name}`)).toEqual(['b×c', 'b×a', 'c×a']);
  });
});

describe('parameter importance', () => {
  const space: Param[] = [
    { name: 'optimizer', section: 'model', dist: { kind: 'categorical', choices: ['adam', 'sgd'] } },
    { name: 'momentum', section: 'model', dist: { kind: 'float', low: 0, high: 0.9, log: false, step: null } },
  ];
  // the score depends on the optimizer only; momentum is set in every trial but only sgd uses it
  const rows = Array.from({ length: 24 }, (_, i) => ({ params: { optimizer: i % 2 ? 'sgd' : 'adam', momentum: (i % 5) / 5 }, value: i % 2 ? 0.8 : 0.9 }));
  const active = (name: string, params: Record<string, unknown>) => isActive(name, params as never, { optimizer: 'adam', units: 64 });

  it('judges a parameter only on the trials where it was active, and says how many', () => {
    const imp = importances(rows, space, active);
    expect(imp.ranked).toBe(true);
    expect(imp.complete).toBe(24);
    expect(imp.params.map((p) => [p.name, p.trials])).toEqual([
      ['optimizer', 24],
      ['momentum', 12],
    ]);
    expect(imp.params[0].importance).toBeCloseTo(1, 9);
    // among the sgd trials momentum explains nothing
    expect(imp.params[1].importance).toBe(0);
  });

  it('ranks nothing on too few trials, and leaves out a parameter active in too few', () => {
    const few = importances(rows.slice(0, MIN_TRIALS - 1), space, active);
    expect(few.ranked).toBe(false);
    expect(few.params.every((p) => p.importance === null)).toBe(true);
    const rare = importances(rows.slice(0, 12), space, active);
    expect(rare.ranked).toBe(true);
    expect(rare.params.find((p) => p.name === 'momentum')).toEqual({ name: 'momentum', trials: 6, importance: null });
  });

  it('knows which settings each optimizer uses', () => {
    const model = { optimizer: 'adam' as const, units: 64 };
    expect(isActive('momentum', { momentum: 0.5 }, model)).toBe(false);
    expect(isActive('momentum', { momentum: 0.5, optimizer: 'rmsprop' }, model)).toBe(true);
    expect(isActive('beta_1', { beta_1: 0.8 }, model)).toBe(true);
    expect(isActive('layers', { layers: 2, units: [8, 8] }, model)).toBe(false);
    expect(isActive('learning_rate', {}, model)).toBe(false);
  });
});
