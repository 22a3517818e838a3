/**
 * Pruned trials in every report: ranked after the complete trials by the value they reached (then
 * failed ones), named in the text, csv/json, the HTML table and the history chart; the
 * intermediate-values chart draws every trial's per-epoch value with the pruned ones marked.
 */
import { describe, expect, it } from 'vitest';
import { intermediateOption } from '../../src/report/charts/intermediate.js';
import { historyOption } from '../../src/report/charts/history.js';
import { renderClassic, renderCsv, renderMarkdown } from '../../src/report/render.js';
import { cvResults } from '../../src/report/summarize.js';
import { buildView, chartTrials, resultsTable } from '../../src/report/view.js';
import type { FoldRecord, TrialRecord } from '../../src/store/types.js';

function trial(number: number, value: number | null, state: TrialRecord['state']): TrialRecord {
  return { id: number + 100, studyId: 1, number, sampler: 'random', samplerIndex: number, state, params: { lr: number / 10 }, value, std: state === 'complete' ? 0.01 : null, failReason: state === 'fail' ? 'error' : null, error: null, engine: 'x', startedAt: null, completedAt: null, duration: 1, meanFitTime: 1, meanScoreTime: 0.1, attempts: 1, worker: null };
}
const fold = (f: number, score: number): FoldRecord => ({ fold: f, score, trainScore: null, testLoss: 0.3, fitTime: 1, scoreTime: 0.1, epochsRun: 3, stoppedEpoch: null, restoredEpoch: null, diverged: false, trainSize: 10, testSize: 5 });

const trials = [trial(0, 0.9, 'complete'), trial(1, 0.5, 'pruned'), trial(2, 0.8, 'complete'), trial(3, null, 'fail'), trial(4, 0.7, 'pruned'), trial(5, null, 'running')];
const folds = new Map<number, FoldRecord[]>([
  [100, [fold(0, 0.9), fold(1, 0.9)]],
  [101, []],
  [102, [fold(0, 0.8), fold(1, 0.8)]],
  [103, []],
  [104, [fold(0, 0.7)]],
]);
const results = cvResults(trials, folds, 2, 'maximize');

describe('pruned trials in cv_results', () => {
  it('are finished rows, ranked after every complete trial by what they reached, before failed ones', () => {
    expect(results.rows.map((r) => [r.number, r.state, r.rank])).toEqual([
      [0, 'complete', 1],
      [1, 'pruned', 4],
      [2, 'complete', 2],
      [3, 'fail', 5],
      [4, 'pruned', 3],
    ]);
    expect(results.rows[1]).toMatchObject({ mean: null, std: null, reached: 0.5 });
    expect(results.rows[4].splitScores).toEqual([0.7, null]);
    // minimizing: the lower reached value ranks first among the pruned
    const min = cvResults(trials, folds, 2, 'minimize');
    expect(min.rows.map((r) => r.rank)).toEqual([2, 3, 1, 5, 4]);
  });

  it('say so in the text, markdown and csv reports', () => {
    expect(renderClassic(results)).toMatch(/^pruned \(reached 0\.5000\) \{lr: 0\.1\} \[random\]$/m);
    expect(renderMarkdown(results)).toMatch(/\| pruned \(0\.7000\) \|/);
    const [head, ...lines] = renderCsv(results).split('\n');
    const cols = head.split(',');
    const at = (line: string, name: string) => line.split(',')[cols.indexOf(name)];
    expect(at(lines[1], 'state')).toBe('pruned');
    expect(at(lines[1], 'pruned_value')).toBe('0.5');
    expect(at(lines[1], 'mean_test_score')).toBe('');
    expect(at(lines[0], 'pruned_value')).toBe('');
  });

  it('show in the HTML table and the history chart', () => {
    const html = resultsTable(results);
    expect(html).toMatch(/<tr class="pruned"><td>4<\/td><td>1<\/td>.*<span class="state">pruned<\/span>.*<i title="the value it reached when pruned">0\.5000<\/i>/);
    const { option, caption } = historyOption(chartTrials(results), 'maximize', 'accuracy', null);
    const series = option.series as { name: string; data: { value: number[] }[] }[];
    expect(series.find((s) => s.name === 'pruned')!.data.map((d) => d.value)).toEqual([
      [1, 0.5],
      [4, 0.7],
    ]);
    expect(series.find((s) => s.name === 'trial')!.data).toHaveLength(2);
    expect(caption).toMatch(/pruned trials/);
  });
});

describe('the intermediate-values chart', () => {
  const steps = [
    { number: 0, values: [[0, 0.6], [1, 0.8], [2, 0.9]] as [number, number][] },
    { number: 1, values: [[0, 0.4], [1, 0.5]] as [number, number][] },
    { number: 4, values: [[0, 0.7]] as [number, number][] },
  ];

  it("draws one line per trial (epochs from 1) and marks where each pruned trial stopped", () => {
    const { option, caption } = intermediateOption(chartTrials(results), steps, 'accuracy', null);
    const series = option.series as { id: string; name: string; type: string; data: { value: number[] }[] }[];
    const lines = series.filter((s) => s.type === 'line');
    expect(lines.map((s) => [s.id, s.name, s.data.map((d) => d.value)])).toEqual([
      ['trial-0', 'complete', [[1, 0.6], [2, 0.8], [3, 0.9]]],
      ['trial-1', 'pruned', [[1, 0.4], [2, 0.5]]],
      ['trial-4', 'pruned', [[1, 0.7]]],
    ]);
    expect(series.find((s) => s.id === 'pruned-at')!.data.map((d) => d.value)).toEqual([
      [2, 0.5],
      [1, 0.7],
    ]);
    expect((option.xAxis as { max: number }).max).toBe(3);
    expect(caption).toMatch(/pruned/);
  });

  it('is a section of the report view when there are intermediate values, and the counts name the pruned', () => {
    const input = {
      study: { name: 's', metric: 'accuracy', goal: 'maximize' as const, folds: 2, dataSource: 'x', createdAt: '2026-11-25T00:00:00Z' },
      metricLabel: 'accuracy',
      space: [],
      model: null,
      results,
      curves: [],
      unfinished: [],
      generatedAt: 'now',
    };
    const withSteps = buildView({ ...input, intermediate: steps });
    expect(withSteps.sections.map((s) => s.id)).toContain('intermediate-section');
    expect(withSteps.counts).toMatchObject({ complete: 2, pruned: 2, failed: 1 });
    expect(withSteps.metaHtml).toMatch(/2 complete, 2 pruned, 1 failed/);
    expect(buildView(input).sections.map((s) => s.id)).not.toContain('intermediate-section');
  });
});
