/**
 * The script of the report page and of the dashboard, run in the browser (compiled by tsc and
 * inlined by page.ts as a module; it imports nothing at run time). It draws every chart of the view
 * with Apache ECharts (SVG renderer), turns the "@fn:name" strings of the options into the functions
 * below, fits parallel coordinates to the width they get, and on the dashboard polls the server for
 * a new view and updates the page in place, keeping what the reader zoomed.
 */
import type { ChartView, ReportView } from '../view.js';

interface EChart {
  setOption(option: unknown, opts?: { notMerge?: boolean }): void;
  getOption(): { dataZoom?: { startValue?: number; endValue?: number }[] };
  resize(): void;
  dispose(): void;
  on(event: string, handler: (...args: unknown[]) => void): void;
}
declare const echarts: { init(el: HTMLElement, theme: null, opts: { renderer: 'svg' }): EChart };

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Obj = { [k: string]: unknown };

interface RenderApi {
  value(dim: number): number;
  coord(point: number[]): number[];
  visual(kind: string): string;
}

/** The functions options name as "@fn:name". */
const FNS: Record<string, unknown> = {
  tip: (p: { data?: { tip?: string } }) => p?.data?.tip ?? '',
  axisTip: (ps: { data?: { tip?: string } }[]) => ps.map((p) => p?.data?.tip).filter(Boolean).join('<br>'),
  slicePoint: (_params: unknown, api: RenderApi) => {
    const x = api.value(0);
    const at = api.coord([x, api.value(1)]);
    const lo = api.coord([x, api.value(2)]);
    const hi = api.coord([x, api.value(3)]);
    const cx = at[0] + api.value(4);
    const color = api.visual('color');
    return {
      type: 'group',
      children: [
        { type: 'line', shape: { x1: cx, y1: lo[1], x2: cx, y2: hi[1] }, style: { stroke: color, lineWidth: 2, opacity: 0.45 } },
        { type: 'circle', shape: { cx, cy: at[1], r: 4.5 }, style: { fill: color, stroke: '#fff', lineWidth: 1 } },
      ],
    };
  },
  cell: (_params: unknown, api: RenderApi) => {
    const a = api.coord([api.value(0), api.value(1)]);
    const b = api.coord([api.value(2), api.value(3)]);
    return { type: 'rect', shape: { x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), width: Math.abs(b[0] - a[0]) + 0.6, height: Math.abs(b[1] - a[1]) + 0.6 }, style: { fill: api.visual('color') } };
  },
};

function revive(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith('@fn:')) return FNS[v.slice(4)];
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  return v;
}

/** Height of stacked parallel coordinates (a phone): room for each axis's rotated labels. */
const STACKED_AXIS_PX = 130;

/** Parallel coordinates at the width they get: axes side by side with labels as wide as the gap, or stacked on a phone. */
function fitParallel(option: Obj, width: number): Obj {
  const axes = option.parallelAxis as Obj[];
  const stacked = width < 560;
  const parallel = option.parallel as Obj;
  if (stacked) {
    return {
      ...option,
      parallel: { ...parallel, layout: 'vertical', left: 100, right: 28, top: 24, bottom: 100 },
      parallelAxis: axes.map((a) => ({
        ...a,
        nameLocation: 'start',
        nameGap: 8,
        nameTextStyle: { ...(a.nameTextStyle as Obj), width: 88, overflow: 'break', align: 'right' },
        splitNumber: 4,
        // rotated end labels of a number axis would crowd its nearest ticks
        axisLabel: { ...(a.axisLabel as Obj), rotate: 45, width: 120, overflow: 'break', margin: 6, ...(a.type === 'category' ? {} : { showMinLabel: false, showMaxLabel: false }) },
      })),
      visualMap: { ...(option.visualMap as Obj), orient: 'horizontal', left: 'center', right: undefined, top: undefined, bottom: 4, itemHeight: Math.min(220, width - 120) },
    };
  }
  const left = Number(parallel.left);
  const right = Number(parallel.right);
  const gap = (width - left - right) / Math.max(1, axes.length - 1);
  return { ...option, parallelAxis: axes.map((a) => ({ ...a, nameTruncate: { maxWidth: gap - 8 }, axisLabel: { ...(a.axisLabel as Obj), width: Math.max(36, Math.min(140, gap - 22)) } })) };
}

/**
 * Category axes at the width they get: labels side by side when the longest fits its slot, else
 * rotated, each wrapped within a width so that none runs off the chart.
 */
function fitCategoryAxes(option: Obj, width: number): Obj {
  const fit = (axis: Obj): Obj => {
    if (axis.type !== 'category' || !Array.isArray(axis.data)) return axis;
    const labels = axis.data as string[];
    const longest = Math.max(0, ...labels.map((l) => String(l).length));
    const slot = Math.max(20, width - 110) / Math.max(1, labels.length);
    const fits = longest * 6.6 + 10 <= slot;
    return { ...axis, axisLabel: { ...(axis.axisLabel as Obj), rotate: fits ? 0 : longest > 10 ? 40 : 30, width: fits ? Math.max(30, slot - 6) : 110, overflow: 'break' } };
  };
  const x = option.xAxis;
  if (!x) return option;
  return { ...option, xAxis: Array.isArray(x) ? (x as Obj[]).map(fit) : fit(x as Obj) };
}

interface Mounted {
  chart: EChart;
  view: ChartView;
  variant: number;
  zoomed: boolean;
  box: HTMLElement;
}

const mounted = new Map<string, Mounted>();
const hook = { charts: new Map<string, EChart>(), updates: 0, version: '' };
(window as unknown as { nnsearch: typeof hook }).nnsearch = hook;

function optionOf(m: Mounted): Obj {
  const source = m.view.variants ? m.view.variants[m.variant]?.option ?? m.view.option : m.view.option;
  let option = fitCategoryAxes(revive(JSON.parse(JSON.stringify(source)) as Json) as Obj, m.box.clientWidth);
  if (option.parallel) {
    option = fitParallel(option, m.box.clientWidth);
    const stacked = (option.parallel as Obj).layout === 'vertical';
    const height = stacked ? 140 + STACKED_AXIS_PX * ((option.parallelAxis as Obj[]).length - 1) : m.view.height;
    if (m.box.clientHeight !== height) {
      m.box.style.height = `${height}px`;
      m.chart.resize();
    }
  }
  return option;
}

function draw(m: Mounted): void {
  const option = optionOf(m);
  if (m.zoomed && Array.isArray(option.dataZoom)) {
    // keep the reader's zoom across updates
    const now = m.chart.getOption().dataZoom ?? [];
    option.dataZoom = (option.dataZoom as Obj[]).map((z, i) => (now[i] ? { ...z, start: undefined, end: undefined, startValue: now[i].startValue, endValue: now[i].endValue } : z));
  }
  m.chart.setOption(option, { notMerge: true });
}

function mount(fig: HTMLElement, view: ChartView): void {
  const box = fig.querySelector('.chart') as HTMLElement;
  const chart = echarts.init(box, null, { renderer: 'svg' });
  const m: Mounted = { chart, view, variant: 0, zoomed: false, box };
  chart.on('datazoom', () => {
    m.zoomed = true;
  });
  const select = fig.querySelector('select.variant') as HTMLSelectElement | null;
  select?.addEventListener('change', () => {
    m.variant = Number(select.value);
    m.zoomed = false;
    draw(m);
  });
  let width = box.clientWidth;
  new ResizeObserver(() => {
    if (box.clientWidth === width) return chart.resize();
    // labels and layouts depend on the width: draw again
    width = box.clientWidth;
    chart.resize();
    draw(m);
  }).observe(box);
  mounted.set(view.id, m);
  hook.charts.set(view.id, chart);
  draw(m);
}

function chartViews(view: ReportView): ChartView[] {
  return view.sections.flatMap((s) => s.charts);
}

function mountAll(view: ReportView): void {
  for (const c of chartViews(view)) {
    const fig = document.querySelector(`figure[data-chart="${CSS.escape(c.id)}"]`) as HTMLElement | null;
    if (fig) mount(fig, c);
  }
}

function unmountAll(): void {
  for (const m of mounted.values()) m.chart.dispose();
  mounted.clear();
  hook.charts.clear();
}

/** The page's layout: which sections and charts, in order. */
function shape(view: ReportView): string {
  return view.sections.map((s) => `${s.id}:${s.charts.map((c) => `${c.id}/${c.variants?.length ?? 0}`).join(',')}`).join(';');
}

let current: ReportView | null = null;

/** A new view of the study (dashboard): rebuild the sections when their layout changed, else update in place. */
function update(view: ReportView, shells: Record<string, string>): void {
  (document.getElementById('meta') as HTMLElement).innerHTML = view.metaHtml;
  if (view.study) (document.getElementById('title') as HTMLElement).textContent = `nnsearch dashboard: ${view.study}`;
  (document.getElementById('best') as HTMLElement).innerHTML = view.bestHtml;
  const root = document.getElementById('sections') as HTMLElement;
  if (!current || shape(current) !== shape(view)) {
    unmountAll();
    root.innerHTML = view.sections.map((s) => shells[s.id] ?? '').join('');
    mountAll(view);
  } else {
    for (const s of view.sections) {
      const block = root.querySelector(`section[data-section="${CSS.escape(s.id)}"] > .block`);
      if (block) block.innerHTML = s.html;
      for (const c of s.charts) {
        const m = mounted.get(c.id);
        if (!m) continue;
        m.view = c;
        const caption = document.querySelector(`figure[data-chart="${CSS.escape(c.id)}"] figcaption`);
        if (caption) caption.textContent = c.caption;
        draw(m);
      }
    }
  }
  current = view;
  hook.updates++;
}

/** Asks the server for a newer view every `base` ms (backing off to 10 s while it does not answer). */
async function poll(url: string, status: HTMLElement, base: number, wait: number): Promise<void> {
  let next = base;
  try {
    const res = await fetch(`${url}${url.includes('?') ? '&' : '?'}since=${encodeURIComponent(hook.version)}`, { cache: 'no-store' });
    if (res.status === 200) {
      const body = (await res.json()) as { version: string; view: ReportView; shells: Record<string, string> };
      hook.version = body.version;
      update(body.view, body.shells);
    } else if (res.status !== 204) throw new Error(`HTTP ${res.status}`);
    status.textContent = `live · checked ${new Date().toLocaleTimeString()}`;
    status.className = 'live';
  } catch (e) {
    status.textContent = `server unreachable (${(e as Error).message}); retrying`;
    status.className = 'down';
    next = Math.min(10_000, wait * 2);
  }
  setTimeout(() => void poll(url, status, base, next), next);
}

const embedded = document.getElementById('nnsearch-view');
if (embedded) {
  current = JSON.parse(embedded.textContent ?? 'null') as ReportView;
  mountAll(current);
}
const live = document.body.dataset.live;
if (live) {
  hook.version = document.body.dataset.version ?? '';
  const every = Number(document.body.dataset.poll ?? 2000);
  void poll(live, document.getElementById('status') as HTMLElement, every, every);
}
