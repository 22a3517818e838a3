/**
 * The page that shows a study view: header, sections with their tables and chart boxes, the view
 * itself as JSON, Apache ECharts and the page script (client/app.ts). The HTML report inlines
 * everything into one offline file; the dashboard serves the same page with ECharts from its own
 * server and the address it polls for new views. Pure: strings in, HTML out.
 */
import { esc } from './charts/common.js';
import type { ChartView, ReportView, SectionView } from './view.js';

export interface PageScripts {
  /** ECharts: its source inline (report), or an address on the serving host (dashboard). */
  echarts: { inline: string } | { src: string };
  /** client/app.js, compiled. */
  client: string;
}

export interface LiveOptions {
  /** Where the page asks for newer views. */
  url: string;
  /** The view's version: the server answers 204 while it has not changed. */
  version: string;
  pollMs: number;
  studies: string[];
  study: string;
}

const CSS = `
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#fff;--bg:#f6f8fa;--accent:#0969da}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:14px 20px}
main{padding:8px 20px 32px;max-width:1600px;margin:0 auto}
h1{font-size:20px;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center}
h2{font-size:16px;margin:26px 0 10px}
.meta{color:var(--muted);font-size:13px;line-height:1.5}
.best{background:#dafbe1;border:1px solid #aceebb;padding:8px 12px;border-radius:8px;margin:10px 0 0;font-size:14px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,440px),1fr));gap:14px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 10px 8px;min-width:0}
figure.wide{grid-column:1/-1}
.chart{width:100%}
figcaption{font-size:12px;color:var(--muted);margin-top:4px;line-height:1.45}
.toolbar{font-size:12px;color:var(--muted);margin:0 0 6px}
.toolbar select{font:inherit;margin-left:4px}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #eef1f4;padding:5px 8px;text-align:right;white-space:nowrap}
th{background:#f6f8fa;position:sticky;top:0}
td.params,th.params{text-align:left;white-space:normal;min-width:220px}
tr.fail td{color:#b3261e}tr.running td,tr.interrupted td{color:var(--muted);font-style:italic}
.state{font-size:11px;background:#eef1f4;border-radius:4px;padding:0 4px;margin-left:4px}
.note{font-size:13px;color:var(--muted);margin:0 0 10px}
pre.summary{font-size:12px;overflow-x:auto;margin:0}
#status{font-size:12px;font-weight:400;border-radius:10px;padding:1px 8px;background:#eef1f4;color:var(--muted)}
#status.live{background:#dafbe1;color:#1a7f37}#status.down{background:#ffebe9;color:#b3261e}
#study{font:inherit;font-size:15px}
@media (max-width:600px){header,main{padding-left:10px;padding-right:10px}h1{font-size:17px}}
`;

function figure(c: ChartView): string {
  const picker = c.variants
    ? `<div class="toolbar">parameters<select class="variant" aria-label="parameters">${c.variants.map((v, i) => `<option value="${i}">${esc(v.label)}</option>`).join('')}</select></div>`
    : '';
  return `<figure class="chart-box${c.wide ? ' wide' : ''}" data-chart="${esc(c.id)}">${picker}<div class="chart" style="height:${c.height}px"></div><figcaption>${esc(c.caption)}</figcaption></figure>`;
}

/** A section's markup: its title, its block of HTML, and an empty box per chart (the script draws them). */
export function sectionHtml(s: SectionView): string {
  return `<section data-section="${esc(s.id)}"><h2>${esc(s.title)}</h2><div class="block">${s.html}</div>${s.charts.length ? `<div class="grid">${s.charts.map(figure).join('')}</div>` : ''}</section>`;
}

/** JSON that may sit inside a script element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

function inlineScript(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script');
}

export function renderPage(view: ReportView, scripts: PageScripts, live?: LiveOptions): string {
  const studyPicker = live
    ? live.studies.length > 1
      ? `<select id="study" aria-label="study" onchange="location.search='?study='+encodeURIComponent(this.value)">${live.studies.map((s) => `<option${s === live.study ? ' selected' : ''}>${esc(s)}</option>`).join('')}</select>`
      : ''
    : '';
  const heading = live ? `nnsearch dashboard${live.study ? `: ${esc(live.study)}` : ''}` : esc(view.title);
  const echarts = 'inline' in scripts.echarts ? `<script>${inlineScript(scripts.echarts.inline)}</script>` : `<script src="${esc(scripts.echarts.src)}"></script>`;
  const body = live ? ` data-live="${esc(live.url)}" data-version="${esc(live.version)}" data-poll="${live.pollMs}"` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading}</title><style>${CSS}</style></head>
<body${body}>
<header><h1><span id="title">${heading}</span>${studyPicker}${live ? '<span id="status">connecting</span>' : ''}</h1>
<div class="meta" id="meta">${view.metaHtml}</div>
<div class="best" id="best">${view.bestHtml}</div></header>
<main id="sections">${view.sections.map(sectionHtml).join('\n')}</main>
<noscript><p class="note">The charts are drawn by the page's script; the table above needs none.</p></noscript>
<script type="application/json" id="nnsearch-view">${scriptJson(view)}</script>
${echarts}
<script type="module">${inlineScript(scripts.client)}</script>
</body></html>
`;
}
