/**
 * Line charts as standalone SVG for docs/RESULTS.md: one line per series (the mean over seeds) with a shaded
 * band (min..max over seeds). No dependencies: the output is plain SVG text that GitHub and browsers render.
 */

export interface PlotSeries {
  name: string;
  /** x values shared by every seed of this series. */
  x: number[];
  /** One array of y values per seed, aligned with x. */
  ys: number[][];
}

export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toFixed(10)));
  return ticks;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 10_000) return `${(v / 1000).toFixed(0)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, '');
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** Mean and min/max over seeds at every x. */
export function summarise(ys: number[][]): { mean: number[]; lo: number[]; hi: number[] } {
  const n = Math.min(...ys.map((y) => y.length));
  const mean: number[] = [], lo: number[] = [], hi: number[] = [];
  for (let i = 0; i < n; i++) {
    const col = ys.map((y) => y[i]);
    mean.push(col.reduce((a, b) => a + b, 0) / col.length);
    lo.push(Math.min(...col));
    hi.push(Math.max(...col));
  }
  return { mean, lo, hi };
}

export function lineChartSvg(spec: PlotSpec): string {
  // The legend sits right of the plot: widen the canvas (not shrink the plot) for long series names.
  const legendChars = Math.max(0, ...spec.series.map((s) => s.name.length + (s.ys.length > 1 ? ` (n=${s.ys.length})`.length : 0)));
  const right = Math.max(160, Math.ceil(legendChars * 6.6) + 48);
  const W = (spec.width ?? 640) + (right - 160), H = spec.height ?? 380;
  const m = { left: 60, right, top: 36, bottom: 48 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const sums = spec.series.map((s) => ({ s, ...summarise(s.ys) }));
  const xs = spec.series.flatMap((s) => s.x);
  const xMin = Math.min(...xs), xMax = Math.max(...xs);
  const yMin = spec.yMin ?? Math.min(...sums.flatMap((u) => u.lo));
  const yMax = spec.yMax ?? Math.max(...sums.flatMap((u) => u.hi));
  const X = (v: number) => m.left + ((v - xMin) / (xMax - xMin || 1)) * pw;
  const Y = (v: number) => m.top + ph - ((v - yMin) / (yMax - yMin || 1)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  for (const t of niceTicks(yMin, yMax)) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax)) {
    out.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${X(t)}" y="${m.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  sums.forEach(({ s, mean, lo, hi }, k) => {
    const color = PALETTE[k % PALETTE.length];
    const n = mean.length;
    if (s.ys.length > 1) {
      const upper = Array.from({ length: n }, (_, i) => `${X(s.x[i])},${Y(hi[i])}`);
      const lower = Array.from({ length: n }, (_, i) => `${X(s.x[n - 1 - i])},${Y(lo[n - 1 - i])}`);
      out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const pts = Array.from({ length: n }, (_, i) => `${X(s.x[i])},${Y(mean[i])}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const ly = m.top + 14 + k * 18;
    out.push(`<line x1="${m.left + pw + 12}" x2="${m.left + pw + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${m.left + pw + 38}" y="${ly}">${escapeXml(s.name)}${s.ys.length > 1 ? ` (n=${s.ys.length})` : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
