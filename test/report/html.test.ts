/**
 * The HTML report: self-contained markup (no scripts, no network), and, in headless Chromium, every
 * chart rendered with its marks and no console errors. Saves a screenshot to test-output/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nnsearch, TINY, workdir, write } from '../cli/run-cli.js';
import { skipWithout } from '../helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const OUT = resolve(import.meta.dirname, '../../test-output');

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
  // one diverged trial, for the failed marker and ranking
  const r = nnsearch(['report', '--html', 'report.html'], dir);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/wrote report\.html/);
  html = readFileSync(join(dir, 'report.html'), 'utf8');
});

describe('HTML report markup', () => {
  it('is one offline file: no scripts, no external resources', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link /);
  });

  it('has every section: table, history, parallel coordinates, slices, importance, learning curves', () => {
    for (const id of ['history', 'parallel', 'slice-learning_rate', 'slice-units', 'slice-optimizer', 'importance', 'curves-0']) expect(html).toContain(`data-chart="${id}"`);
    expect(html.match(/<tr class="complete">/g)?.length).toBe(8);
    expect(html).toMatch(/Best: 0\.\d{4} ± 0\.\d{4} using \{learning_rate: /);
  });
});

describe.skipIf(skipWithout('Chromium', CHROMIUM, 'apt-get install chromium'))('HTML report in headless Chromium', () => {
  it('renders every chart with its marks and no console errors', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => !r.url().startsWith('file:') && requests.push(r.url()));
      await page.goto(`file://${join(dir, 'report.html')}`);
      const charts = await page.$$eval('figure.chart-box', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: f.getAttribute('data-chart'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: svg ? svg.querySelectorAll('path, circle, rect, line').length : 0,
            points: svg ? svg.querySelectorAll('circle.point').length : 0,
            trialLines: svg ? svg.querySelectorAll('path.trial-line').length : 0,
            bars: svg ? svg.querySelectorAll('g.bar rect').length : 0,
            curves: svg ? svg.querySelectorAll('path.curve-train').length : 0,
          };
        }),
      );
      expect(charts.length).toBeGreaterThanOrEqual(7);
      for (const c of charts) {
        expect(c.width, c.id!).toBeGreaterThan(100);
        expect(c.height, c.id!).toBeGreaterThan(100);
        expect(c.marks, c.id!).toBeGreaterThan(5);
      }
      const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
      expect(byId.history.points).toBe(8);
      expect(byId.parallel.trialLines).toBe(8);
      expect(byId['slice-units'].points).toBe(8);
      expect(byId.importance.bars).toBe(3);
      expect(byId['curves-0'].curves).toBe(3); // one training curve per fold
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      expect(existsSync(join(OUT, 'report.png'))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
