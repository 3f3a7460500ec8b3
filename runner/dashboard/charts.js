// @ts-check
// Live line charts: one uPlot per metric, one series per run (smoothed, plus the raw values faintly).
// The key metrics (success, return, …) come first, open; the rest are grouped by their prefix before
// '_' (learner_loss → "learner"; no prefix → "run") and start folded. Only the charts of open groups
// exist, so a run logging 80 numbers stays light. A metric with no finite value yet gets no chart (it is
// named in its group's note). Runs rarely share x values, so each chart's x is the sorted union of its
// runs' x values and a run is null where it has no point (spanGaps joins its line).
import uPlot from './vendor/uplot.esm.js';
import { axisLabel, el, ema, fmt } from './util.js';

/**
 * @typedef {import('./model.js').Run} Run
 * @typedef {import('./model.js').MetricsRecord} MetricsRecord
 * @typedef {{ details: HTMLDetailsElement, summary: HTMLElement, body: HTMLElement, note: HTMLElement, syncing: boolean }} Group
 * @typedef {{ plot: uPlot, card: HTMLElement, signature: string }} Chart
 */

/** Keys of a metrics record that are axes, not metrics. */
export const AXIS_KEYS = ['step', 'time', 'envSteps'];
/** What one looks for first, in this order: the "key metrics" group, open at start. */
export const KEY_METRICS = ['successRate', 'returnMean', 'extrinsicMean', 'intrinsicMean', 'episodeLength', 'learner_loss', 'stepsPerSec'];
const KEY = 'key metrics';
/** The group of other metrics without a prefix. */
const MAIN = 'run';
/** Chart text: the axes' font, also used to measure tick labels (axisSize). */
const AXIS_FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** @param {string} name */
export function groupOf(name) {
  if (KEY_METRICS.includes(name)) return KEY;
  const i = name.indexOf('_');
  return i > 0 ? name.slice(0, i) : MAIN;
}

/** @param {string} g */
const groupRank = (g) => (g === KEY ? 0 : g === MAIN ? 1 : 2);

/** @type {CanvasRenderingContext2D | null} */
let measurer = null;
/** @param {string} s */
function textWidth(s) {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return s.length * 7;
  measurer.font = AXIS_FONT;
  return measurer.measureText(s).width;
}

/**
 * A y axis as wide as its longest tick label (plus tick and gap): labels are never clipped. uPlot calls
 * this again after laying out ticks (cycleNum > 0); from the second cycle on it keeps its size so the
 * layout converges.
 * @param {uPlot} self
 * @param {string[]} values
 * @param {number} axisIdx
 * @param {number} cycleNum
 */
function axisSize(self, values, axisIdx, cycleNum) {
  const axis = self.axes[axisIdx];
  const current = /** @type {{ _size?: number }} */ (/** @type {unknown} */ (axis))._size;
  if (cycleNum > 1 && current) return current;
  const longest = (values ?? []).reduce((w, v) => Math.max(w, textWidth(String(v))), 0);
  return Math.ceil(longest + (axis?.ticks?.size ?? 10) + (axis?.gap ?? 5) + 6);
}

/**
 * The legend's value: at the cursor while hovering, else the series' latest value (not '—').
 * @param {uPlot} u
 * @param {number | null} v
 * @param {number} si
 * @param {number | null} idx
 */
function legendValue(u, v, si, idx) {
  if (idx !== null && idx !== undefined) return fmt(v);
  const ys = u.data[si] ?? [];
  for (let i = ys.length - 1; i >= 0; i--) if (ys[i] !== null && ys[i] !== undefined) return fmt(ys[i]);
  return '—';
}

export class ChartGrid {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {Map<string, Chart>} metric → chart */
    this.charts = new Map();
    /** @type {Map<string, Group>} */
    this.groups = new Map();
    /** The user's choice of open groups. */
    this.openGroups = new Set([KEY]);
    /** @type {'step' | 'envSteps' | 'time'} */
    this.xKey = 'step';
    this.smoothing = 0.6;
    this.showRaw = true;
    /** Only metrics whose name matches (a case-insensitive regular expression, or a substring if invalid). */
    this.filter = '';
    /** @type {Run[]} */
    this.lastRuns = [];
  }

  /** @param {string} name */
  matches(name) {
    if (!this.filter) return true;
    try {
      return new RegExp(this.filter, 'i').test(name);
    } catch {
      return name.toLowerCase().includes(this.filter.toLowerCase());
    }
  }

  /**
   * Metric names over the runs, in first-seen order: those with a finite value somewhere, and those
   * only ever null (NaN on the run's side), which get no chart.
   * @param {Run[]} runs
   */
  metricNames(runs) {
    /** @type {Set<string>} */
    const valued = new Set();
    /** @type {Set<string>} */
    const seen = new Set();
    for (const run of runs) {
      for (const r of run.records) {
        for (const k in r) {
          if (AXIS_KEYS.includes(k)) continue;
          const v = r[k];
          if (typeof v === 'number' && Number.isFinite(v)) valued.add(k);
          if (typeof v === 'number' || v === null) seen.add(k);
        }
      }
    }
    const names = [...seen];
    return { valued: names.filter((n) => valued.has(n)), empty: names.filter((n) => !valued.has(n)) };
  }

  /**
   * Rebuilds or updates the charts from the runs' records. Cheap enough to call a few times a second.
   * @param {Run[]} runs
   */
  render(runs) {
    this.lastRuns = runs;
    const visible = runs.filter((r) => r.visible && r.records.length > 0);
    const all = this.metricNames(visible);
    const names = all.valued.filter((n) => this.matches(n));
    const empty = all.empty.filter((n) => this.matches(n));
    if (names.length === 0 && empty.length === 0) {
      this.clear();
      this.root.append(el('p', { class: 'empty' }, visible.length && this.filter ? `No metric matches “${this.filter}”.` : 'Waiting for the first metrics record…'));
      return;
    }
    this.root.querySelector(':scope > .empty')?.remove();
    /** @type {Map<string, { metrics: string[], empty: string[] }>} */
    const byGroup = new Map();
    const add = (/** @type {string} */ n, /** @type {'metrics' | 'empty'} */ kind) => {
      const g = groupOf(n);
      if (!byGroup.has(g)) byGroup.set(g, { metrics: [], empty: [] });
      byGroup.get(g)?.[kind].push(n);
    };
    // Key metrics in their declared order, the rest in first-seen order.
    const ordered = [...names].sort((a, b) => keyIndex(a) - keyIndex(b));
    for (const n of ordered) add(n, 'metrics');
    for (const n of empty) add(n, 'empty');
    const order = [...byGroup.keys()].sort((a, b) => groupRank(a) - groupRank(b));
    for (const [g, grp] of this.groups) if (!byGroup.has(g)) this.dropGroup(g, grp);
    const width = this.cardWidth();
    const t0s = new Map(visible.map((run) => [run, firstTime(run)]));
    for (const g of order) {
      const grp = this.group(g);
      const { metrics, empty: none } = byGroup.get(g) ?? { metrics: [], empty: [] };
      const open = this.filter ? true : this.openGroups.has(g);
      grp.summary.textContent = `${g} (${metrics.length})`;
      grp.note.textContent = none.length ? `no values yet: ${none.join(', ')}` : '';
      grp.note.hidden = none.length === 0 || !open;
      if (grp.details.open !== open) {
        grp.syncing = true;
        grp.details.open = open;
      }
      for (const [name, c] of this.charts) {
        if (groupOf(name) === g && (!open || !metrics.includes(name))) this.dropChart(name, c);
      }
      if (!open) continue;
      for (const name of metrics) this.renderOne(name, visible, width, grp.body, t0s);
      const cards = metrics.map((n) => this.charts.get(n)?.card).filter((c) => c !== undefined);
      if (cards.some((c, i) => grp.body.children[i] !== c)) grp.body.append(...cards);
    }
    const sections = order.map((g) => this.groups.get(g)?.details).filter((d) => d !== undefined);
    if (sections.some((s, i) => this.root.children[i] !== s)) this.root.append(...sections);
  }

  /** @param {string} g */
  group(g) {
    let grp = this.groups.get(g);
    if (grp) return grp;
    const summary = el('summary', {});
    const note = el('p', { class: 'chart-note muted' });
    const body = el('div', { class: 'charts' });
    const details = el('details', { class: 'chart-group', dataset: { group: g } }, summary, note, body);
    const made = { details, summary, body, note, syncing: false };
    details.addEventListener('toggle', () => {
      // Our own open/close (filtering) is not the user's choice.
      if (made.syncing) {
        made.syncing = false;
        return;
      }
      if (this.filter) return;
      if (details.open) this.openGroups.add(g);
      else this.openGroups.delete(g);
      this.render(this.lastRuns);
    });
    this.groups.set(g, made);
    return made;
  }

  /**
   * @param {string} g
   * @param {Group} grp
   */
  dropGroup(g, grp) {
    for (const [name, c] of this.charts) if (groupOf(name) === g) this.dropChart(name, c);
    grp.details.remove();
    this.groups.delete(g);
  }

  /**
   * @param {string} name
   * @param {Chart} c
   */
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

  /**
   * x of a record under the current axis; 'time' is seconds since the run's first record.
   * @param {MetricsRecord} r
   * @param {number} t0
   * @returns {number | null}
   */
  xOf(r, t0) {
    if (this.xKey !== 'time') {
      const x = r[this.xKey];
      return typeof x === 'number' ? x : null;
    }
    if (typeof r.time !== 'number') return null;
    return (r.time - t0) / (t0 > 1e11 ? 1000 : 1); // ms since epoch, or seconds
  }

  /**
   * @param {string} name
   * @param {Run[]} runs
   * @param {number} width
   * @param {HTMLElement} parent
   * @param {Map<Run, number>} t0s
   */
  renderOne(name, runs, width, parent, t0s) {
    const withMetric = runs.filter((run) => run.records.some((r) => typeof r[name] === 'number' && Number.isFinite(r[name])));
    const perRun = withMetric.map((run) => {
      /** @type {[number, number | null][]} */
      const pts = [];
      const t0 = t0s.get(run) ?? 0;
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
    /** @type {(number | null)[][]} */
    const data = [xs];
    /** @type {uPlot.Series[]} */
    const series = [{ label: this.xKey, value: legendValue }];
    // Markers only while a line has too few points to be seen as one.
    const points = { show: (/** @type {uPlot} */ u) => (u.data[0]?.length ?? 0) < 3 };
    withMetric.forEach((run, i) => {
      const own = perRun[i] ?? [];
      /** @type {(number | null)[]} */
      const raw = new Array(xs.length).fill(null);
      for (const [x, y] of own) raw[index.get(x) ?? 0] = y;
      // Smooth over the run's own points (in x order), then place them on the shared x.
      const sm = ema(own.map((p) => p[1]), this.smoothing);
      /** @type {(number | null)[]} */
      const smooth = new Array(xs.length).fill(null);
      own.forEach(([x], j) => (smooth[index.get(x) ?? 0] = sm[j] ?? null));
      const label = run.short ?? run.label;
      if (this.showRaw && this.smoothing > 0) {
        data.push(raw);
        series.push({ label: `${label} (raw)`, stroke: run.color + '40', width: 1, spanGaps: true, points: { show: false } });
      }
      data.push(smooth);
      series.push({ label, stroke: run.color, width: 1.75, spanGaps: true, points, value: legendValue });
    });
    const signature = `${this.xKey}|${width}|${series.map((s) => s.label).join(',')}`;
    let c = this.charts.get(name);
    if (c && c.signature === signature) {
      c.plot.setData(/** @type {uPlot.AlignedData} */ (data));
    } else {
      if (c) c.plot.destroy();
      const card = c?.card ?? el('div', { class: 'chart-card', dataset: { metric: name } });
      card.replaceChildren();
      const axis = { font: AXIS_FONT, labelFont: AXIS_FONT };
      const plot = new uPlot(
        {
          title: name,
          width,
          height: 170,
          scales: { x: { time: false } },
          legend: { show: true, live: true },
          cursor: { sync: { key: 'thrive-x' } },
          axes: [
            { ...axis, label: this.xKey === 'time' ? 'seconds' : this.xKey, size: 34, labelSize: 14, values: (_u, ticks) => ticks.map(axisLabel) },
            { ...axis, size: axisSize, values: (_u, ticks) => ticks.map(axisLabel) },
          ],
          series,
        },
        /** @type {uPlot.AlignedData} */ (data),
        card,
      );
      if (!c) parent.append(card);
      // The raw series would double the legend; keep only the smoothed ones there. Full names in titles.
      const rows = card.querySelectorAll('.u-legend .u-series');
      series.forEach((s, i) => {
        const row = /** @type {HTMLElement | undefined} */ (rows[i]);
        if (!row) return;
        if (String(s.label).endsWith(' (raw)')) row.style.display = 'none';
        const run = withMetric.find((r) => (r.short ?? r.label) === s.label);
        if (run) row.title = run.label;
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

/** @param {string} name */
function keyIndex(name) {
  const i = KEY_METRICS.indexOf(name);
  return i < 0 ? KEY_METRICS.length : i;
}

/** @param {Run} run */
function firstTime(run) {
  for (const r of run.records) if (typeof r.time === 'number') return r.time;
  return 0;
}
