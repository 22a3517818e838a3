/**
 * The HTML report: one self-contained, offline file. The page (page.ts) with the study's view
 * (view.ts), Apache ECharts and the page script inlined: no network, nothing to install to open it.
 */
import { clientSource, echartsSource } from './assets.js';
import { renderPage } from './page.js';
import { buildView, type ViewInput } from './view.js';

export type HtmlReportInput = ViewInput;

export function renderHtmlReport(input: HtmlReportInput): string {
  return renderPage(buildView(input), { echarts: { inline: echartsSource() }, client: clientSource() });
}
