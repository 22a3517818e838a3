/**
 * Headless Chromium for the report and dashboard tests (Debian's /usr/bin/chromium through
 * playwright-core): launching it, what each chart drew (through the page's ECharts instances), and
 * hovering a chart's data point to read its tooltip.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
export const OUT = resolve(import.meta.dirname, '../../test-output');

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Console errors, uncaught exceptions and requests that leave the page's own origin. */
export function watch(page: Page, allowedOrigin: string): { errors: string[]; requests: string[] } {
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => !r.url().startsWith(allowedOrigin) && requests.push(r.url()));
  return { errors, requests };
}

export interface SeriesStats {
  id: string;
  name: string;
  type: string;
  /** Data items. */
  count: number;
  /** Items with a drawn element. */
  drawn: number;
}

export interface ChartStats {
  id: string;
  width: number;
  height: number;
  /** SVG shapes in the chart. */
  marks: number;
  series: SeriesStats[];
  /** Axis types by axis kind, e.g. {xAxis: ['log'], yAxis: ['value']}. */
  axes: Record<string, string[]>;
}

/** Every chart of the page as ECharts drew it. */
export async function chartStats(page: Page): Promise<Record<string, ChartStats>> {
  const list = await page.evaluate(() => {
    type Data = { count(): number; getItemGraphicEl(i: number): unknown };
    type Series = { id: string; name: string; subType: string; getData(): Data };
    type Chart = { getModel(): { getSeries(): Series[] }; getOption(): Record<string, { type?: string }[] | undefined> };
    const charts = (window as unknown as { nnsearch: { charts: Map<string, Chart> } }).nnsearch.charts;
    return Array.from(document.querySelectorAll('figure.chart-box')).map((fig) => {
      const id = fig.getAttribute('data-chart') ?? '?';
      const svg = fig.querySelector('.chart svg');
      const box = svg?.getBoundingClientRect();
      const chart = charts.get(id);
      const series = chart
        ? chart.getModel().getSeries().map((s) => {
            const data = s.getData();
            let drawn = 0;
            for (let i = 0; i < data.count(); i++) if (data.getItemGraphicEl(i)) drawn++;
            return { id: s.id, name: s.name, type: s.subType, count: data.count(), drawn };
          })
        : [];
      const option = chart?.getOption() ?? {};
      const axes: Record<string, string[]> = {};
      for (const kind of ['xAxis', 'yAxis', 'parallelAxis']) axes[kind] = (option[kind] ?? []).map((a) => a.type ?? '');
      return { id, width: box?.width ?? 0, height: box?.height ?? 0, marks: svg ? svg.querySelectorAll('path, circle, rect, line, polyline').length : 0, series, axes };
    });
  });
  return Object.fromEntries(list.map((c) => [c.id, c]));
}

/** Moves the mouse onto data item `index` of series `series` of a chart; returns the tooltip's text. */
export async function hover(page: Page, chartId: string, series: number, index: number): Promise<string> {
  await page.locator(`figure[data-chart="${chartId}"]`).scrollIntoViewIfNeeded();
  const at = await page.evaluate(
    ({ chartId, series, index }) => {
      type Chart = { getModel(): { getSeries(): { getData(): { getItemLayout(i: number): number[] | null; getValues(i: number): number[] } }[] }; convertToPixel(finder: unknown, value: number[]): number[] };
      const chart = (window as unknown as { nnsearch: { charts: Map<string, Chart> } }).nnsearch.charts.get(chartId)!;
      const data = chart.getModel().getSeries()[series].getData();
      const point = data.getItemLayout(index) ?? chart.convertToPixel({ seriesIndex: series }, data.getValues(index).slice(0, 2));
      const box = document.querySelector(`figure[data-chart="${chartId}"] .chart`)!.getBoundingClientRect();
      return { x: box.x + point[0], y: box.y + point[1] };
    },
    { chartId, series, index },
  );
  await page.mouse.move(at.x, at.y);
  const tip = page.locator(`figure[data-chart="${chartId}"] .chart > div:not(:first-child)`).filter({ hasText: 'trial' }).first();
  await tip.waitFor({ state: 'visible', timeout: 5000 });
  return tip.innerText();
}
