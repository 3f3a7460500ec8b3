// Live line charts: one uPlot per metric, one series per run (smoothed, plus the raw values faintly).
// Metrics are grouped by their prefix before '_' (learner_loss → "learner"); groups fold, and only the
// charts of open groups exist, so a run logging 80 numbers stays light. Runs rarely share x values, so
// each chart's x is the sorted union of its runs' x values and a run is null where it has no point
// (spanGaps joins its line).
import uPlot from '/vendor/uplot.esm.js';
import { el, ema, fmt } from './util.js';

/** Keys of a metrics record that are axes, not metrics. */
export const AXIS_KEYS = ['step', 'time', 'envSteps'];
/** The group of metrics without a prefix. */
const MAIN = 'run';

export function groupOf(name) {
  const i = name.indexOf('_');
  return i > 0 ? name.slice(0, i) : MAIN;
}

export class ChartGrid {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.charts = new Map(); // metric → { plot, card, signature }
    this.groups = new Map(); // group → { details, body, count }
    this.openGroups = new Set([MAIN]); // the user's choice
    this.xKey = 'step';
    this.smoothing = 0.6;
    this.showRaw = true;
    /** Only metrics whose name matches (a case-insensitive regular expression, or a substring if invalid). */
    this.filter = '';
    this.lastRuns = [];
  }

  matches(name) {
    if (!this.filter) return true;
    try {
      return new RegExp(this.filter, 'i').test(name);
    } catch {
      return name.toLowerCase().includes(this.filter.toLowerCase());
    }
  }

  /** Metric names over all visible runs, in first-seen order. */
  metricNames(runs) {
    const names = new Set();
    for (const run of runs) for (const r of run.records) for (const k in r) {
      if (!names.has(k) && !AXIS_KEYS.includes(k) && (typeof r[k] === 'number' || r[k] === null)) names.add(k);
    }
    return [...names];
  }

  /** Rebuilds or updates the charts from the runs' records. Cheap enough to call a few times a second. */
  render(runs) {
    this.lastRuns = runs;
    const visible = runs.filter((r) => r.visible && r.records.length > 0);
    const names = this.metricNames(visible).filter((n) => this.matches(n));
    if (names.length === 0) {
      this.clear();
      this.root.append(el('p', { class: 'empty' }, visible.length && this.filter ? `No metric matches “${this.filter}”.` : 'Waiting for the first metrics record…'));
      return;
    }
    this.root.querySelector(':scope > .empty')?.remove();
    const byGroup = new Map();
    for (const n of names) {
      const g = groupOf(n);
      if (!byGroup.has(g)) byGroup.set(g, []);
      byGroup.get(g).push(n);
    }
    // Groups: the prefix-less one first, then in first-seen order.
    const order = [...byGroup.keys()].sort((a, b) => (a === MAIN ? -1 : b === MAIN ? 1 : 0));
    for (const [g, grp] of this.groups) if (!byGroup.has(g)) this.dropGroup(g, grp);
    const width = this.cardWidth();
    const xs0 = new Map(visible.map((run) => [run, this.firstTime(run)]));
    for (const g of order) {
      const grp = this.group(g);
      const metrics = byGroup.get(g);
      const open = this.filter ? true : this.openGroups.has(g);
      grp.summary.textContent = `${g} (${metrics.length})`;
      if (grp.details.open !== open) {
        grp.syncing = true;
        grp.details.open = open;
      }
      for (const [name, c] of this.charts) {
        if (groupOf(name) === g && (!open || !metrics.includes(name))) this.dropChart(name, c);
      }
      if (!open) continue;
      for (const name of metrics) this.renderOne(name, visible, width, grp.body, xs0);
      const cards = metrics.map((n) => this.charts.get(n).card);
      if (cards.some((c, i) => grp.body.children[i] !== c)) grp.body.append(...cards);
    }
    const sections = order.map((g) => this.groups.get(g).details);
    if (sections.some((s, i) => this.root.children[i] !== s)) this.root.append(...sections);
  }

  group(g) {
    let grp = this.groups.get(g);
    if (grp) return grp;
    const summary = el('summary', {});
    const body = el('div', { class: 'charts' });
    const details = el('details', { class: 'chart-group', dataset: { group: g } }, summary, body);
    grp = { details, summary, body, syncing: false };
    details.addEventListener('toggle', () => {
      // Our own open/close (filtering) is not the user's choice.
      if (grp.syncing) {
        grp.syncing = false;
        return;
      }
      if (this.filter) return;
      if (details.open) this.openGroups.add(g);
      else this.openGroups.delete(g);
      this.render(this.lastRuns);
    });
    this.groups.set(g, grp);
    return grp;
  }

  dropGroup(g, grp) {
    for (const [name, c] of this.charts) if (groupOf(name) === g) this.dropChart(name, c);
    grp.details.remove();
    this.groups.delete(g);
  }

  dropChart(name, c) {
    c.plot.destroy();
    c.card.remove();
    this.charts.delete(name);
  }

  cardWidth() {
    const w = this.root.clientWidth || 900;
    const cols = Math.max(1, Math.floor(w / 300));
    // minus gaps, card padding and border
    return Math.floor((w - (cols - 1) * 12) / cols) - 10;
  }

  firstTime(run) {
    for (const r of run.records) if (typeof r.time === 'number') return r.time;
    return 0;
  }

  /** x of a record under the current axis; 'time' is seconds since the run's first record. */
  xOf(r, t0) {
    if (this.xKey !== 'time') return typeof r[this.xKey] === 'number' ? r[this.xKey] : null;
    if (typeof r.time !== 'number') return null;
    return (r.time - t0) / (t0 > 1e11 ? 1000 : 1); // ms since epoch, or seconds
  }

  renderOne(name, runs, width, parent, t0s) {
    const withMetric = runs.filter((run) => run.records.some((r) => typeof r[name] === 'number'));
    const perRun = withMetric.map((run) => {
      const pts = [];
      const t0 = t0s.get(run);
      for (const r of run.records) {
        if (!(name in r)) continue;
        const x = this.xOf(r, t0);
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
      const sm = ema(perRun[i].map((p) => p[1]), this.smoothing);
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
          height: 170,
          scales: { x: { time: false } },
          legend: { show: true },
          cursor: { sync: { key: 'thrive-x' } },
          axes: [
            { label: this.xKey === 'time' ? 'seconds' : this.xKey, size: 34, labelSize: 14, values: (_u, ticks) => ticks.map(fmt) },
            { size: 52, values: (_u, ticks) => ticks.map(fmt) },
          ],
          series,
        },
        data,
        card,
      );
      if (!c) parent.append(card);
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
    for (const [name, c] of this.charts) this.dropChart(name, c);
    for (const grp of this.groups.values()) grp.details.remove();
    this.groups.clear();
    this.root.replaceChildren();
  }
}
