/**
 * The HTML report: one self-contained offline file (its scripts inline, nothing fetched), and, in
 * headless Chromium, every chart drawn by ECharts with its marks, log axes where the space is
 * log-scaled, tooltips on hover, and element boxes that stay inside their charts without
 * overlapping, at a desktop width and at a phone's. Saves screenshots to test-output/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { renderHtmlReport } from '../../src/report/html.js';
import { cvResults } from '../../src/report/summarize.js';
import type { FoldRecord, TrialRecord } from '../../src/store/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { nnsearch, TINY, workdir, write } from '../cli/run-cli.js';
import { skipWithout } from '../helpers.js';
import { chartStats, CHROMIUM, hover, launch, OUT, watch } from './browser.js';
import { INIT_MODE } from '../fixtures/init-mode.js';
import { checkLayout, describeLayout } from './layout.js';

/** The README's init-mode grid as a report, built from records (no training): long category names, one far outlier. */
function initModeReport(): string {
  const trials: TrialRecord[] = INIT_MODE.map(([init, value], number) => ({ id: number + 1, studyId: 1, number, sampler: 'grid', samplerIndex: number, state: 'complete', params: { init }, value, std: 0.004, failReason: null, error: null, engine: 'native', startedAt: null, completedAt: null, duration: 3, meanFitTime: 2.5, meanScoreTime: 0.1, attempts: 1, worker: null }));
  const fold = (fold: number, score: number): FoldRecord => ({ fold, score, trainScore: null, testLoss: 0.2, fitTime: 2.4 + fold / 10, scoreTime: 0.1, epochsRun: 10, stoppedEpoch: null, restoredEpoch: null, diverged: false, trainSize: 6667, testSize: 3333 });
  const folds = new Map(trials.map((t) => [t.id, [fold(0, t.value! - 0.004), fold(1, t.value!), fold(2, t.value! + 0.004)]]));
  const epochs = Array.from({ length: 10 }, (_, epoch) => ({ epoch, loss: 0.6 / (epoch + 1), valLoss: null, testLoss: 0.3 + 0.3 / (epoch + 1) }));
  return renderHtmlReport({
    study: { name: 'init-mode', metric: 'accuracy', goal: 'maximize', folds: 3, dataSource: 'mnist (embedded, 10000 samples)', createdAt: '2026-01-01T00:00:00' },
    metricLabel: 'accuracy',
    space: [{ name: 'init', section: 'model', dist: { kind: 'categorical', choices: INIT_MODE.map(([i]) => i) } }],
    model: { optimizer: 'adam', units: [64] },
    results: cvResults(trials, folds, 3, 'maximize'),
    curves: [{ title: 'trial 5', folds: [0, 1, 2].map((f) => ({ fold: f, epochs })) }],
    unfinished: [],
    generatedAt: 'test',
  });
}

async function openWhenDrawn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { nnsearch?: { charts: Map<string, unknown> } }).nnsearch?.charts.size === document.querySelectorAll('figure.chart-box').length);
}

let dir: string;
let html: string;
beforeAll(() => {
  dir = workdir();
  write(
    dir,
    'r.yaml',
    TINY.replace('name: tiny', 'name: charts').replace('  epochs: 3', '  epochs: 6\n  validation_split: 0.2') +
      'params:\n  learning_rate: {min: 0.001, max: 0.3, log: true}\n  units: {min: 2, max: 16}\n  optimizer: [adam, sgd]\n',
  );
  expect(nnsearch(['random', 'r.yaml', '--budget', '8', '--quiet', '--workers', '1'], dir).code).toBe(0);
  const r = nnsearch(['report', '--html', 'report.html'], dir);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/wrote report\.html/);
  html = readFileSync(join(dir, 'report.html'), 'utf8');
});

describe('HTML report markup', () => {
  it('is one offline file: scripts inline, no external resources', () => {
    expect(html).toMatch(/^<!doctype html>/);
    // every script is inline: ECharts, the page script, the view as JSON
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="application/json" id="nnsearch-view">', '<script>', '<script type="module">']);
    const markup = html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, '$1</script>');
    expect(markup).not.toMatch(/\s(src|href)=/i);
    expect(markup).not.toMatch(/https?:\/\//);
    expect(markup).not.toMatch(/<link /);
    expect(html).toContain('echarts');
    // the page script's functions are in, compiled from src/report/client/app.ts
    expect(html).toContain('slicePoint');
  });

  it('has every section: table, history, parallel coordinates, slices, contour, distribution, importance, learning curves', () => {
    for (const id of ['history', 'parallel', 'slice-learning_rate', 'slice-units', 'slice-optimizer', 'contour', 'edf', 'importance', 'curves-0']) expect(html).toContain(`data-chart="${id}"`);
    expect(html.match(/<tr class="complete">/g)?.length).toBe(8);
    expect(html).toMatch(/Best: 0\.\d{4} ± 0\.\d{4} using \{learning_rate: /);
    expect(html).toMatch(/Rests on 8 complete trials/);
  });
});

describe.skipIf(skipWithout('Chromium', CHROMIUM, 'apt-get install chromium'))('HTML report in headless Chromium', () => {
  it('draws every chart with its marks, log axes and tooltips, no console errors, nothing fetched', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const { errors, requests } = watch(page, 'file:');
      await openWhenDrawn(page, `file://${join(dir, 'report.html')}`);
      const charts = await chartStats(page);
      expect(Object.keys(charts).length).toBeGreaterThanOrEqual(9);
      for (const c of Object.values(charts)) {
        expect(c.width, c.id).toBeGreaterThan(100);
        expect(c.height, c.id).toBeGreaterThan(100);
        expect(c.marks, c.id).toBeGreaterThan(5);
      }
      const series = (id: string, name: string) => charts[id].series.find((s) => s.name === name)!;
      expect(series('history', 'trial')).toMatchObject({ count: 8, drawn: 8 });
      expect(series('parallel', 'trials')).toMatchObject({ count: 8, drawn: 8 });
      expect(series('slice-units', 'units')).toMatchObject({ count: 8, drawn: 8 });
      expect(series('importance', 'importance')).toMatchObject({ count: 3, drawn: 3 });
      expect(charts['curves-0'].series.filter((s) => s.id.startsWith('train-') && s.count > 0)).toHaveLength(3); // one training curve per fold
      expect(series('contour', 'trials')).toMatchObject({ count: 8, drawn: 8 });
      expect(series('contour', 'surface').drawn).toBeGreaterThan(500);
      expect(series('edf', 'EDF').count).toBe(9);
      // log-scaled parameters get log axes; categories get category axes
      expect(charts['slice-learning_rate'].axes.xAxis).toEqual(['log']);
      expect(charts['slice-optimizer'].axes.xAxis).toEqual(['category']);
      expect(charts.parallel.axes.parallelAxis).toEqual(['log', 'value', 'category', 'value']);
      expect(charts.contour.axes.xAxis).toEqual(['log']);
      // hovering a point shows its trial's parameters and score
      const tip = await hover(page, 'history', 0, 0);
      expect(tip).toMatch(/trial \d+/);
      expect(tip).toMatch(/learning_rate: /);
      expect(tip).toMatch(/accuracy \d\.\d{4}/);
      const sliceTip = await hover(page, 'slice-units', 0, 2);
      expect(sliceTip).toMatch(/units: \d+/);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      mkdirSync(OUT, { recursive: true });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      expect(existsSync(join(OUT, 'report.png'))).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it("draws the README's init-mode grid readably: every initializer named, the zero-init outlier zoomed past", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nns-init-')), 'init-mode.html');
    writeFileSync(file, initModeReport());
    const browser = await launch();
    try {
      for (const [name, width, height] of [['desktop', 1400, 900], ['phone', 390, 844]] as const) {
        const page = await browser.newPage({ viewport: { width, height } });
        await openWhenDrawn(page, `file://${file}`);
        const layout = await checkLayout(page);
        expect(describeLayout(layout), name).toBe('');
        // every category label is drawn whole, on the slice plot's axis and on the parallel axis
        for (const id of ['slice-init', 'parallel']) {
          const labels = await page.$$eval(`figure[data-chart="${id}"] svg text`, (ts) => ts.map((t) => t.textContent));
          for (const [init] of INIT_MODE) expect(labels, `${name} ${id}`).toContain(init);
        }
        const zoom = await page.evaluate(() => {
          const chart = (window as unknown as { nnsearch: { charts: Map<string, { getOption(): { dataZoom: { startValue: number; endValue: number }[] } }> } }).nnsearch.charts.get('history')!;
          return chart.getOption().dataZoom.map((z) => [z.startValue, z.endValue]);
        });
        for (const [start, end] of zoom) {
          expect(start).toBeGreaterThan(0.94);
          expect(end).toBeGreaterThanOrEqual(0.9507);
        }
        await page.screenshot({ path: join(OUT, `report-init-mode-${name}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });

  it('a pruned search: the intermediate values drawn with the pruned trials marked, pruned trials in the history, the layout clean', async () => {
    const pdir = workdir();
    write(pdir, 'p.yaml', TINY.replace('name: tiny', 'name: pruned-charts').replace('  epochs: 3', '  epochs: 8') + 'pruner: {name: median, n_startup_trials: 3}\nparams:\n  learning_rate: {min: 0.00001, max: 0.3, log: true}\n  units: {min: 2, max: 16}\n');
    expect(nnsearch(['random', 'p.yaml', '--budget', '12', '--quiet', '--workers', '1'], pdir).code).toBe(0);
    expect(nnsearch(['report', '--html', 'report.html'], pdir).code).toBe(0);
    const page0 = readFileSync(join(pdir, 'report.html'), 'utf8');
    const pruned = page0.match(/<tr class="pruned">/g)?.length ?? 0;
    expect(pruned).toBeGreaterThan(0);
    const browser = await launch();
    try {
      for (const [name, width, height] of [['desktop', 1400, 900], ['phone', 390, 844]] as const) {
        const page = await browser.newPage({ viewport: { width, height } });
        const { errors } = watch(page, 'file:');
        await openWhenDrawn(page, `file://${join(pdir, 'report.html')}`);
        const charts = await chartStats(page);
        const lines = charts.intermediate.series.filter((s) => s.id.startsWith('trial-'));
        expect(lines).toHaveLength(12);
        expect(charts.intermediate.series.find((s) => s.id === 'pruned-at')).toMatchObject({ count: pruned, drawn: pruned });
        // in the history, pruned trials far below the complete ones may lie past its zoom window
        expect(charts.history.series.find((s) => s.name === 'pruned')).toMatchObject({ count: pruned });
        const layout = await checkLayout(page);
        expect(describeLayout(layout), name).toBe('');
        expect(errors).toEqual([]);
        mkdirSync(OUT, { recursive: true });
        await page.screenshot({ path: join(OUT, `report-pruned-${name}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });

  it('the layout check catches a label outside its chart and two labels on top of each other', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 600, height: 400 } });
      await page.setContent(`<figure class="chart-box" data-chart="bad"><div class="chart" style="width:300px;height:200px"><svg width="300" height="200" style="overflow:visible"><text x="10" y="20">first label</text><text x="30" y="22">second label</text><text x="280" y="100">runs off the edge</text><text x="150" y="150" transform="rotate(45 150 150)">rotated</text><text x="10" y="190">apart</text></svg></div></figure>`);
      const layout = await checkLayout(page);
      expect(layout.outside.map((t) => t.text)).toEqual(['runs off the edge']);
      expect(layout.overlaps.map(([a, b]) => [a.text, b.text])).toEqual([['first label', 'second label']]);
    } finally {
      await browser.close();
    }
  });

  for (const [name, width, height] of [['desktop', 1400, 900], ['phone', 390, 844]] as const) {
    it(`keeps every label inside its chart and apart from the others (${name}, ${width}px)`, async () => {
      const browser = await launch();
      try {
        const page = await browser.newPage({ viewport: { width, height } });
        await openWhenDrawn(page, `file://${join(dir, 'report.html')}`);
        const layout = await checkLayout(page);
        expect(layout.charts.length).toBeGreaterThanOrEqual(9);
        for (const c of layout.charts) expect(c.texts, c.id).toBeGreaterThan(2);
        expect(describeLayout(layout)).toBe('');
        if (name === 'phone') await page.screenshot({ path: join(OUT, 'report-phone.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    });
  }
});
