/**
 * Layout checks of rendered charts in a browser page (Playwright): every text of every chart lies
 * inside its chart, and no two texts of a chart overlap. Element boxes, not pixels: a label that
 * runs off its chart or lands on another one is caught whatever the chart library draws.
 */
import type { Page } from 'playwright-core';

export interface TextBox {
  chart: string;
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LayoutReport {
  charts: { id: string; width: number; height: number; texts: number }[];
  outside: TextBox[];
  overlaps: [TextBox, TextBox][];
  /** The page is wider than the viewport (something does not fit a phone). */
  pageOverflow: number;
}

/**
 * Collects the boxes in the page and returns what is wrong with them. Texts are oriented rectangles
 * (a rotated label is tested as rotated, by separating axes), shrunk by a pixel for anti-aliasing.
 */
export async function checkLayout(page: Page): Promise<LayoutReport> {
  return page.evaluate(() => {
    type Pt = { x: number; y: number };
    const corners = (t: SVGGraphicsElement): Pt[] | null => {
      const bb = t.getBBox();
      const m = t.getScreenCTM();
      if (!m || bb.width === 0 || bb.height === 0) return null;
      const inset = 1;
      const pts = [
        [bb.x + inset, bb.y + inset],
        [bb.x + bb.width - inset, bb.y + inset],
        [bb.x + bb.width - inset, bb.y + bb.height - inset],
        [bb.x + inset, bb.y + bb.height - inset],
      ];
      return pts.map(([x, y]) => ({ x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f }));
    };
    // separating axis theorem for two convex quadrilaterals
    const separated = (p: Pt[], q: Pt[]): boolean => {
      for (const poly of [p, q]) {
        for (let i = 0; i < 4; i++) {
          const a = poly[i];
          const b = poly[(i + 1) % 4];
          const nx = b.y - a.y;
          const ny = a.x - b.x;
          const proj = (s: Pt[]) => s.map((v) => v.x * nx + v.y * ny);
          const pa = proj(p);
          const qa = proj(q);
          if (Math.max(...pa) <= Math.min(...qa) || Math.max(...qa) <= Math.min(...pa)) return true;
        }
      }
      return false;
    };
    const charts: { id: string; width: number; height: number; texts: number }[] = [];
    const outside: TextBox[] = [];
    const overlaps: [TextBox, TextBox][] = [];
    for (const fig of Array.from(document.querySelectorAll('figure.chart-box'))) {
      const id = fig.getAttribute('data-chart') ?? '?';
      const box = (fig.querySelector('.chart') as HTMLElement).getBoundingClientRect();
      const texts: (TextBox & { quad: Pt[] })[] = [];
      for (const t of Array.from(fig.querySelectorAll('.chart svg text')) as SVGTextElement[]) {
        const content = (t.textContent ?? '').trim();
        const style = getComputedStyle(t);
        if (!content || style.display === 'none' || style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
        const quad = corners(t);
        if (!quad) continue;
        const r = t.getBoundingClientRect();
        texts.push({ chart: id, text: content, x: r.x, y: r.y, w: r.width, h: r.height, quad });
      }
      charts.push({ id, width: box.width, height: box.height, texts: texts.length });
      for (const t of texts) {
        if (t.quad.some((v) => v.x < box.x || v.y < box.y || v.x > box.x + box.width || v.y > box.y + box.height)) outside.push(t);
      }
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < texts.length; j++) if (!separated(texts[i].quad, texts[j].quad)) overlaps.push([texts[i], texts[j]]);
      }
    }
    const plain = (t: TextBox): TextBox => ({ chart: t.chart, text: t.text, x: t.x, y: t.y, w: t.w, h: t.h });
    return { charts, outside: outside.map(plain), overlaps: overlaps.map(([a, b]) => [plain(a), plain(b)] as [TextBox, TextBox]), pageOverflow: Math.max(0, document.documentElement.scrollWidth - window.innerWidth) };
  });
}

/** One line per problem, for an assertion message. */
export function describeLayout(r: LayoutReport): string {
  return [
    ...r.outside.map((t) => `${t.chart}: '${t.text}' outside its chart`),
    ...r.overlaps.map(([a, b]) => `${a.chart}: '${a.text}' overlaps '${b.text}'`),
    ...(r.pageOverflow ? [`the page is ${r.pageOverflow}px wider than the window`] : []),
  ].join('\n');
}
