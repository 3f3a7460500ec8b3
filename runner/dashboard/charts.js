// Live line charts: one uPlot per metric, one series per run (smoothed, plus the raw values faintly).
// Runs rarely share x values, so each chart's x is the sorted union of its runs' x values and a run
// is null where it has no point (spanGaps joins its line).
import uPlot from '/vendor/uplot.esm.js';
import { el, ema, fmt } from './util.js';

/** Keys of a metrics record that are axes, not metrics. */
export const AXIS_KEYS = ['step', 'time', 'envSteps'];

export class ChartGrid {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.charts = new Map(); // metric → { plot, card, signature }
    this.xKey = 'step';
    this.smoothing = 0.6;
    this.showRaw = true;
    /** Only metrics whose name matches (a case-insensitive regular expression, or a substring if invalid). */
    this.filter = '';
  }

  matches(name) {
    if (!this.filter) return true;
    try {
      return new RegExp(this.filter, 'i').test(name);
    } catch {
      return name.toLowerCase().includes(this.filter.toLowerCase());
    }
  }

  /** x value of a record under the current axis; 'time' is seconds since the run's first record. */
  xOf(run, r) {
    if (this.xKey !== 'time') return typeof r[this.xKey] === 'number' ? r[this.xKey] : null;
    if (typeof r.time !== 'number') return null;
    const t0 = run.records.find((x) => typeof x.time === 'number')?.time ?? r.time;
    const scale = t0 > 1e11 ? 1000 : 1; // ms since epoch vs seconds
    return (r.time - t0) / scale;
  }

  /** Metric names over all visible runs, in first-seen order. */
  metricNames(runs) {
    const names = new Set();
    for (const run of runs) for (const r of run.records) for (const [k, v] of Object.entries(r)) {
      if (!AXIS_KEYS.includes(k) && (typeof v === 'number' || v === null)) names.add(k);
    }
    return [...names];
  }

  /** Rebuilds or updates every chart from the runs' records. Cheap enough to call a few times a second. */
  render(runs) {
    const visible = runs.filter((r) => r.visible && r.records.length > 0);
    const names = this.metricNames(visible).filter((n) => this.matches(n));
    if (names.length === 0) {
      this.clear();
      this.root.append(el('p', { class: 'empty' }, visible.length && this.filter ? `No metric matches “${this.filter}”.` : 'Waiting for the first metrics record…'));
      return;
    }
    this.root.querySelector('.empty')?.remove();
    for (const [name, c] of this.charts) {
      if (!names.includes(name)) {
        c.plot.destroy();
        c.card.remove();
        this.charts.delete(name);
      }
    }
    const width = this.cardWidth();
    for (const name of names) this.renderOne(name, visible, width);
    const cards = names.map((n) => this.charts.get(n).card);
    if (cards.some((c, i) => this.root.children[i] !== c)) this.root.append(...cards);
  }

  cardWidth() {
    const w = this.root.clientWidth || 900;
    const cols = Math.max(1, Math.floor(w / 380));
    // minus gap, card padding and border
    return Math.floor((w - (cols - 1) * 12) / cols) - 10;
  }

  renderOne(name, runs, width) {
    const withMetric = runs.filter((run) => run.records.some((r) => typeof r[name] === 'number'));
    // x union
    const perRun = withMetric.map((run) => {
      const pts = [];
      for (const r of run.records) {
        const x = this.xOf(run, r);
        const y = r[name];
        if (x !== null && Number.isFinite(x)) pts.push([x, typeof y === 'number' && Number.isFinite(y) ? y : null]);
      }
      pts.sort((a, b) => a[0] - b[0]);
      return pts;
    });
    const xs = [...new Set(perRun.flatMap((p) => p.map((q) => q[0])))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const data = [xs];
    const series = [{ label: this.xKey }];
    withMetric.forEach((run, i) => {
      const raw = new Array(xs.length).fill(null);
      for (const [x, y] of perRun[i]) raw[index.get(x)] = y;
      // Smooth over the run's own points (in x order), then place them on the shared x.
      const own = perRun[i].map((p) => p[1]);
      const sm = ema(own, this.smoothing);
      const smooth = new Array(xs.length).fill(null);
      perRun[i].forEach(([x], j) => (smooth[index.get(x)] = sm[j]));
      if (this.showRaw && this.smoothing > 0) {
        data.push(raw);
        series.push({ label: `${run.label} (raw)`, stroke: run.color + '40', width: 1, spanGaps: true, points: { show: false } });
      }
      data.push(smooth);
      series.push({ label: run.label, stroke: run.color, width: 1.75, spanGaps: true, points: { show: xs.length < 3 }, value: (_u, v) => fmt(v) });
    });
    const signature = `${this.xKey}|${width}|${series.map((s) => s.label).join(',')}`;
    let c = this.charts.get(name);
    if (c && c.signature === signature) {
      c.plot.setData(data);
    } else {
      if (c) c.plot.destroy();
      const card = c?.card ?? el('div', { class: 'chart-card', dataset: { metric: name } });
      card.replaceChildren();
      const plot = new uPlot(
        {
          title: name,
          width,
          height: 190,
          scales: { x: { time: false } },
          legend: { show: true },
          cursor: { sync: { key: 'thrive-x' } },
          axes: [
            { label: this.xKey === 'time' ? 'seconds' : this.xKey, size: 36, labelSize: 14, values: (_u, ticks) => ticks.map(fmt) },
            { size: 56, values: (_u, ticks) => ticks.map(fmt) },
          ],
          series,
        },
        data,
        card,
      );
      if (!c) this.root.append(card);
      // The raw series would double the legend; keep only the smoothed ones there.
      const rows = card.querySelectorAll('.u-legend .u-series');
      series.forEach((s, i) => {
        if (s.label.endsWith(' (raw)') && rows[i]) rows[i].style.display = 'none';
      });
      c = { plot, card, signature };
      this.charts.set(name, c);
    }
    c.card.dataset.points = String(xs.length);
  }

  clear() {
    for (const c of this.charts.values()) c.plot.destroy();
    this.charts.clear();
    this.root.replaceChildren();
  }
}
