/**
 * A small SVG charting kit, rendered to strings at report time: scales, axes, and the chart kinds the
 * HTML report needs. Pure and dependency-free, so the report is one offline file that any browser
 * shows without scripts, and the output is testable text.
 */

export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Short numeric labels: 0.001, 0.25, 1e-5, 12000. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

export interface Scale {
  (v: number): number;
  ticks: number[];
}

/** Linear scale with "nice" ticks. */
export function linearScale(domain: [number, number], range: [number, number], count = 5): Scale {
  let [lo, hi] = domain;
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.05 || 0.5;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const t0 = Math.ceil(lo / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = t0; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  const f = ((v: number) => range[0] + ((v - lo) / (hi - lo)) * (range[1] - range[0])) as Scale;
  f.ticks = ticks;
  return f;
}

/** Log-10 scale with ticks at powers of ten (and 2, 5 between when the span is short). */
export function logScale(domain: [number, number], range: [number, number]): Scale {
  const lo = Math.log10(domain[0]);
  let hi = Math.log10(domain[1]);
  if (!(hi > lo)) hi = lo + 1;
  const f = ((v: number) => range[0] + ((Math.log10(v) - lo) / (hi - lo)) * (range[1] - range[0])) as Scale;
  const ticks: number[] = [];
  const mults = hi - lo < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) for (const m of mults) {
    const v = m * 10 ** e;
    if (Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9) ticks.push(v);
  }
  f.ticks = ticks;
  return f;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function frame(width: number, height: number, left = 56, bottom = 40, top = 16, right = 16): Frame {
  return { width, height, left, right, top, bottom };
}

export function svgOpen(f: Frame, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${esc(label)}" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="system-ui, sans-serif" font-size="11">`;
}

export function xAxis(f: Frame, s: Scale, title: string, labels?: (v: number) => string): string {
  const y = f.height - f.bottom;
  const ticks = s.ticks.map((t) => `<g transform="translate(${s(t).toFixed(1)},${y})"><line y2="4" stroke="#555"/><text y="15" text-anchor="middle" fill="#333">${esc((labels ?? tickLabel)(t))}</text></g>`).join('');
  return `<g class="axis x"><line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#555"/>${ticks}<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 6}" text-anchor="middle" fill="#111">${esc(title)}</text></g>`;
}

export function yAxis(f: Frame, s: Scale, title: string): string {
  const ticks = s.ticks.map((t) => `<g transform="translate(${f.left},${s(t).toFixed(1)})"><line x2="-4" stroke="#555"/><line x2="${f.width - f.left - f.right}" stroke="#eee"/><text x="-7" dy="3.5" text-anchor="end" fill="#333">${esc(tickLabel(t))}</text></g>`).join('');
  return `<g class="axis y"><line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#555"/>${ticks}<text transform="translate(14,${(f.top + f.height - f.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#111">${esc(title)}</text></g>`;
}

export function polyline(points: [number, number][], color: string, opts: { width?: number; dash?: string; cls?: string } = {}): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
  return `<path class="${opts.cls ?? 'line'}" d="${d}" fill="none" stroke="${color}" stroke-width="${opts.width ?? 1.5}"${opts.dash ? ` stroke-dasharray="${opts.dash}"` : ''}/>`;
}

export function dot(x: number, y: number, color: string, r = 3, title?: string): string {
  return `<circle class="point" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${color}">${title ? `<title>${esc(title)}</title>` : ''}</circle>`;
}

export function legend(f: Frame, items: { label: string; color: string; dash?: string }[]): string {
  // right-aligned, each item as wide as its label (about 6.2 px per character at 11 px)
  const widths = items.map((it) => 30 + it.label.length * 6.2);
  let x = f.width - f.right - widths.reduce((a, b) => a + b, 0);
  return `<g class="legend">${items
    .map((it, i) => {
      const at = x;
      x += widths[i];
      return `<g transform="translate(${at.toFixed(1)},${f.top + 4})"><line x2="18" y1="5" y2="5" stroke="${it.color}" stroke-width="2"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/><text x="22" y="9" fill="#333">${esc(it.label)}</text></g>`;
    })
    .join('')}</g>`;
}

/** Color ramp from low (light) to high (dark blue), t in [0, 1]. */
export function ramp(t: number): string {
  const c = Math.max(0, Math.min(1, t));
  const lerp = (a: number, b: number) => Math.round(a + (b - a) * c);
  return `rgb(${lerp(253, 8)},${lerp(174, 48)},${lerp(97, 107)})`;
}
