/**
 * `nnsearch dashboard`: served on 127.0.0.1, opened in headless Chromium while a search writes to
 * the same database; a new trial must appear without a reload, and the charts keep their labels
 * inside and apart at 1400x900 and at a phone's width (screenshots in test-output/). The database
 * is only read; bad flags and a taken port end in one line and exit 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, nnsearch, TINY, workdir, write } from '../cli/run-cli.js';
import { skipWithout } from '../helpers.js';
import { chartStats, CHROMIUM, hover, launch, OUT, watch } from './browser.js';
import { checkLayout, describeLayout } from './layout.js';

interface Running {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<number | null>;
  output: () => string;
}

/** Starts `nnsearch ...args` in `cwd`; `url` settles with the address the dashboard prints (within 30 s). */
function start(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within 30 s: ${out}`)), 30_000);
    const scan = () => {
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', (d) => {
      out += String(d);
      scan();
    });
    child.stderr!.on('data', (d) => (out += String(d)));
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before serving: ${out}`));
    });
  });
  url.catch(() => {});
  return { child, url, exit, output: () => out };
}

const dir = workdir();
const SPEC = TINY.replace('name: tiny', 'name: live').replace('  epochs: 3', '  epochs: 40') + 'params:\n  learning_rate: {min: 0.001, max: 0.3, log: true}\n  units: {min: 2, max: 16}\n  optimizer: [adam, sgd, rmsprop]\n';
const native = ['--backend', 'native', '--workers', '1', '--quiet'];
const running: ChildProcess[] = [];

beforeAll(() => {
  write(dir, 'live.yaml', SPEC);
  const r = nnsearch(['random', 'live.yaml', '--budget', '3', ...native], dir);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
});

const completeRows = () => document.querySelectorAll('#results tr.complete').length;

describe.skipIf(skipWithout('Chromium', CHROMIUM, 'apt-get install chromium'))('the dashboard in headless Chromium', () => {
  it('shows a trial a running search adds, without a reload, and lays out at 1400px and 390px', async () => {
    const dash = start(['dashboard', '--port', '0', '--poll-ms', '400'], dir);
    running.push(dash.child);
    const url = await dash.url;
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const { errors, requests } = watch(page, url);
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { nnsearch?: { charts: Map<string, unknown> } }).nnsearch?.charts.size === document.querySelectorAll('figure.chart-box').length);
      expect(await page.evaluate(completeRows)).toBe(3);
      await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'the same page'));

      const search = start(['random', 'live.yaml', '--budget', '7', ...native], dir);
      running.push(search.child);
      await page.waitForFunction(() => document.querySelectorAll('#results tr.complete').length > 3, undefined, { timeout: 90_000, polling: 200 });
      expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('the same page');
      expect(await search.exit, search.output()).toBe(0);
      await page.waitForFunction(() => document.querySelectorAll('#results tr.complete').length === 7, undefined, { timeout: 30_000, polling: 200 });
      expect(await page.evaluate(() => (window as unknown as { nnsearch: { updates: number } }).nnsearch.updates)).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#status').innerText()).toMatch(/^live/);

      const charts = await chartStats(page);
      // a trial far from the rest is off the zoomed score axis (the caption says so) and not drawn
      const caption = await page.locator('figure[data-chart="history"] figcaption').innerText();
      const off = Number(/(\d+) trials? far from the rest/.exec(caption)?.[1] ?? 0);
      expect(charts.history.series.find((s) => s.name === 'trial')).toMatchObject({ count: 7, drawn: 7 - off });
      expect(charts.parallel.series[0]).toMatchObject({ count: 7, drawn: 7 });
      for (const id of ['history', 'parallel', 'slice-learning_rate', 'contour', 'edf']) expect(charts[id]?.marks, id).toBeGreaterThan(5);
      expect(await hover(page, 'history', 0, 6)).toMatch(/trial 6[\s\S]*optimizer: /);
      await page.mouse.move(0, 0);

      mkdirSync(OUT, { recursive: true });
      expect(describeLayout(await checkLayout(page))).toBe('');
      await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForFunction(() => (document.querySelector('figure[data-chart="history"] svg') as SVGElement).getBoundingClientRect().width < 380);
      await page.waitForTimeout(300);
      const phone = await checkLayout(page);
      expect(describeLayout(phone)).toBe('');
      await page.screenshot({ path: join(OUT, 'dashboard-phone.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
      dash.child.kill('SIGTERM');
    }
    expect(await dash.exit).toBe(0);
  });
});

describe('the dashboard server', () => {
  it('only reads the database, answers what it serves, and stops on SIGTERM', async () => {
    const db = join(dir, 'nnsearch.db');
    const before = createHash('sha256').update(readFileSync(db)).digest('hex');
    const dash = start(['dashboard', '--port', '0'], dir);
    running.push(dash.child);
    const url = await dash.url;
    expect(dash.output()).toMatch(/^nnsearch dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(nnsearch\.db, read-only; Ctrl-C to stop\)\n$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/echarts.min.js"></script>');
    const view = await fetch(`${url}api/view`);
    const body = (await view.json()) as { version: string; view: { study: string; counts: { complete: number } } };
    expect(body.view.study).toBe('live');
    expect((await fetch(`${url}api/view?since=${body.version}`)).status).toBe(204);
    expect((await fetch(`${url}echarts.min.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${url}api/view?study=nope`)).status).toBe(404);
    expect((await fetch(`${url}nothing-here`)).status).toBe(404);
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(405);
    dash.child.kill('SIGTERM');
    expect(await dash.exit).toBe(0);
    expect(createHash('sha256').update(readFileSync(db)).digest('hex')).toBe(before);
  });

  it('refuses a missing database, an unknown study and a port in use, in one line, exit 2', async () => {
    const missing = nnsearch(['dashboard', '--db', 'missing.db', '--port', '0'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^nnsearch: missing\.db: no such database/);
    const unknown = nnsearch(['dashboard', '--study', 'nope', '--port', '0'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe("nnsearch: --study: no study 'nope' in nnsearch.db (studies: live)");
    const bad = nnsearch(['dashboard', '--port', '-1'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('nnsearch: --port: must be a non-negative integer, got -1');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = start(['dashboard', '--port', String(port)], dir);
      running.push(r.child);
      expect(await r.exit).toBe(2);
      expect(r.output().trim()).toBe(`nnsearch: --port ${port}: already in use on 127.0.0.1 (pick another, or --port 0 for a free one)`);
    } finally {
      taken.close();
    }
  });
});
