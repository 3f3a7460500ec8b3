// @ts-check
// The smaller panels: the trouble strip, annotator stats, the run-event log, the hyperparameter table,
// the runs list.
import { el, flatten, fmt, lastValue, shortenPaths } from './util.js';

/**
 * @typedef {import('./model.js').Run} Run
 * @typedef {import('./model.js').RunEvent} RunEvent
 * @typedef {import('./model.js').DiskRun} DiskRun
 * @typedef {import('./model.js').MetricsRecord} MetricsRecord
 */

// ---------------------------------------------------------------------------------------------------
// Trouble: what makes a run learn from less than it seems to.

/**
 * The metrics the runner reports about trouble (docs/dashboard.md). `sum`: the record holds this
 * update's count (0/1), so the run's total is the sum; otherwise the record holds the run's total (or,
 * for `state`, the current state) and the latest value counts.
 * @type {{ key: string, label: string, sum?: boolean, state?: boolean }[]}
 */
export const TROUBLE = [
  { key: 'faults', label: 'faults' },
  { key: 'discardedEpisodes', label: 'episodes discarded' },
  { key: 'staleDropped', label: 'stale rollouts dropped' },
  { key: 'skipped', label: 'updates skipped', sum: true },
  { key: 'emptyUpdates', label: 'empty updates' },
  { key: 'ann_judgeErrorsTotal', label: 'judge errors' },
  { key: 'ann_judgeDown', label: 'judge down', state: true },
  { key: 'ann_retriesPending', label: 'label retries pending', state: true },
  { key: 'ann_captionsGivenUp', label: 'captions given up' },
];

/**
 * The trouble counts of a run: each TROUBLE metric it reported as non-zero.
 * @param {MetricsRecord[]} records
 * @returns {{ key: string, label: string, value: number, state: boolean }[]}
 */
export function troubleCounts(records) {
  const out = [];
  for (const t of TROUBLE) {
    let v;
    if (t.sum) {
      v = 0;
      for (const r of records) {
        const x = r[t.key];
        if (typeof x === 'number' && Number.isFinite(x)) v += x;
      }
    } else v = lastValue(records, t.key);
    if (typeof v === 'number' && v > 0) out.push({ key: t.key, label: t.label, value: v, state: Boolean(t.state) });
  }
  return out;
}

/**
 * The strip under the top bar: per visible run, its non-zero trouble counts and its warnings (the
 * runner raises one when trouble dominates: 'warning' events, health.ts). Hidden when there is none.
 * @param {HTMLElement} root
 * @param {Run[]} runs
 */
export function renderTrouble(root, runs) {
  const shown = runs.filter((r) => r.visible);
  /** @type {HTMLElement[]} */
  const lines = [];
  let warned = false;
  for (const run of shown) {
    const counts = troubleCounts(run.records);
    /** @type {Map<string, RunEvent>} */
    const warnings = new Map();
    for (const { data: e } of run.events) if (e.kind === 'warning') warnings.set(String(e.warning ?? e.message ?? ''), e);
    if (counts.length === 0 && warnings.size === 0) continue;
    warned ||= warnings.size > 0;
    lines.push(
      el(
        'div',
        { class: `trouble-run ${warnings.size ? 'bad' : 'warn'}`, dataset: { run: run.id } },
        shown.length > 1 ? el('span', { class: 'trouble-name', title: run.label }, el('span', { class: 'swatch', style: `background:${run.color}` }), run.short ?? run.label) : null,
        ...counts.map((c) => el('span', { class: `chip ${c.state ? 'state' : ''}`, dataset: { key: c.key }, title: c.key }, c.state && c.key === 'ann_judgeDown' ? c.label : `${c.label} ${fmt(c.value)}`)),
        ...[...warnings.values()].map((w) => el('div', { class: 'trouble-warning', title: String(w.message ?? '') }, '⚠ ', shortenPaths(String(w.message ?? '')))),
      ),
    );
  }
  root.hidden = lines.length === 0;
  root.dataset.level = warned ? 'bad' : lines.length ? 'warn' : 'none';
  root.replaceChildren(...lines);
}

// ---------------------------------------------------------------------------------------------------
// Annotator

/**
 * The three annotator figures shown large, each with the stat names it may come under (the first
 * present wins); the rest follow as a plain table.
 */
const ANNOTATOR_HEADLINE = [
  { label: 'labels', keys: ['labels', 'labelsDelivered', 'captionsLabelled'] },
  { label: 'backlog', keys: ['backlog', 'backlogDepth'] },
  { label: 'judge errors', keys: ['judgeErrors', 'judgeErrorsTotal', 'errors'], warn: true },
];
/**
 * @param {Record<string, unknown>} flat
 * @param {string[]} keys
 */
const pick = (flat, keys) => keys.find((k) => k in flat);

/**
 * The annotator's latest stats: its 'annotator' messages when the run publishes them, else the `ann_*`
 * keys of the latest metrics record (how a run on disk, or a learner whose annotator is another process,
 * reports them), else null.
 * @param {Run} run
 * @returns {{ stats: Record<string, unknown>, source: 'annotator' | 'metrics' } | null}
 */
export function annotatorStats(run) {
  if (run.annotator) return { stats: run.annotator, source: 'annotator' };
  const last = run.records[run.records.length - 1];
  if (!last) return null;
  /** @type {Record<string, unknown>} */
  const stats = {};
  for (const [k, v] of Object.entries(last)) if (k.startsWith('ann_')) stats[k.slice(4)] = v;
  return Object.keys(stats).length ? { stats, source: 'metrics' } : null;
}

/**
 * @param {HTMLElement} root
 * @param {Run | undefined} run the run whose annotator is shown
 * @param {number[]} backlogHistory recent backlog values, oldest first
 */
export function renderAnnotator(root, run, backlogHistory) {
  const found = run ? annotatorStats(run) : null;
  if (!found) {
    root.replaceChildren(el('p', { class: 'empty not-reported' }, run ? `${run.short ?? run.label}: annotator not reported (no judge, or its annotator does not report to this server).` : 'No run.'));
    return;
  }
  const flat = flatten(found.stats);
  delete flat.step;
  /** @type {Set<string>} */
  const used = new Set();
  const head = ANNOTATOR_HEADLINE.map(({ label, keys, warn }) => {
    const k = pick(flat, keys);
    if (k) used.add(k);
    const v = k ? flat[k] : undefined;
    return el(
      'div',
      { class: `stat ${warn && typeof v === 'number' && v > 0 ? 'warn' : ''} ${k ? '' : 'not-reported'}`, title: k ?? 'not reported by this annotator' },
      el('div', { class: 'stat-value' }, k ? fmt(v) : 'not reported'),
      el('div', { class: 'stat-label' }, label),
    );
  });
  const rest = Object.entries(flat).filter(([k]) => !used.has(k));
  // Stats at zero (most error kinds, most of the time) fold away under one line.
  const zero = rest.filter(([, v]) => v === 0);
  const other = rest.filter(([, v]) => v !== 0);
  const rows = (/** @type {[string, unknown][]} */ kv) => kv.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { class: 'num' }, fmt(v))));
  root.replaceChildren(
    ...[
      el('div', { class: 'stats' }, ...head),
      sparkline(backlogHistory, 'backlog'),
      other.length ? el('table', { class: 'kv' }, ...rows(other)) : null,
      zero.length ? el('details', { class: 'zeros' }, el('summary', { class: 'muted' }, `${zero.length} more at 0`), el('table', { class: 'kv' }, ...rows(zero))) : null,
      el('p', { class: 'muted source' }, found.source === 'annotator' ? `${run?.short ?? run?.label}: annotator stats` : `${run?.short ?? run?.label}: from the ann_* metrics`),
    ].filter((x) => x !== null),
  );
}

/**
 * A tiny inline SVG line of recent values (no axes: a shape to glance at).
 * @param {number[]} values
 * @param {string} title
 */
function sparkline(values, title) {
  const ys = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (ys.length < 2) return null;
  const w = 240;
  const h = 36;
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const pts = ys.map((y, i) => `${((i / (ys.length - 1)) * w).toFixed(1)},${(h - 2 - ((y - lo) / (hi - lo || 1)) * (h - 4)).toFixed(1)}`).join(' ');
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('class', 'spark');
  const t = document.createElementNS(ns, 'title');
  t.textContent = `${title}: ${fmt(lo)} … ${fmt(hi)}`;
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts);
  svg.append(t, line);
  return svg;
}

// ---------------------------------------------------------------------------------------------------
// Events

const MAX_EVENTS = 300;

/**
 * The events of the visible runs, newest first (stream events, then those read from disk by run time),
 * each labelled with its run when more than one run is shown.
 * @param {HTMLElement} root
 * @param {Run[]} runs
 */
export function renderEvents(root, runs) {
  const shown = runs.filter((r) => r.visible && r.events.length > 0);
  /** @type {(import('./model.js').LoggedEvent & { run?: string })[]} */
  const all = [];
  for (const r of shown) for (const e of r.events.slice(-MAX_EVENTS)) all.push({ ...e, run: shown.length > 1 ? r.short ?? r.label : undefined });
  all.sort((a, b) => (a.clock === b.clock ? (a.when ?? 0) - (b.when ?? 0) : a.clock === 'epoch' ? 1 : -1));
  root.replaceChildren();
  for (const e of all.slice(-MAX_EVENTS)) appendEvent(root, e);
}

/**
 * Adds an event at the top of the log: one line (paths shortened, the full text in the title; a click
 * shows it whole).
 * @param {HTMLElement} root
 * @param {import('./model.js').LoggedEvent & { run?: string }} e
 */
export function appendEvent(root, e) {
  const data = e.data;
  const kind = String(data.kind ?? 'event');
  const when = e.when === undefined ? '' : e.clock === 'epoch' ? new Date(e.when).toLocaleTimeString('en-GB') : `+${fmt(Math.round(e.when))} s`;
  const extra = Object.entries(data).filter(([k]) => k !== 'kind' && k !== 'message' && k !== 'time');
  const message = String(data.message ?? '');
  const li = el(
    'li',
    { class: `event kind-${kind.replace(/[^a-z-]/gi, '')}`, title: [message, extra.length ? JSON.stringify(Object.fromEntries(extra)) : ''].filter(Boolean).join('\n') },
    el('span', { class: 'time' }, when),
    el('span', { class: 'kind' }, kind),
    el('span', { class: 'msg' }, e.run ? el('span', { class: 'ev-run' }, `[${e.run}] `) : null, shortenPaths(message)),
  );
  li.addEventListener('click', () => li.classList.toggle('expanded'));
  root.prepend(li);
  while (root.children.length > MAX_EVENTS) root.lastElementChild?.remove();
}

// ---------------------------------------------------------------------------------------------------
// Hyperparameters, runs

/**
 * Hyperparameters of every run that has a config, one column each; rows that differ are marked.
 * @param {HTMLElement} root
 * @param {Run[]} runs
 * @param {boolean} diffOnly
 */
export function renderHparams(root, runs, diffOnly) {
  const withConfig = runs.filter((r) => r.config);
  if (withConfig.length === 0) return;
  const flats = withConfig.map((r) => flatten(r.config));
  const keys = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  const rows = [];
  for (const k of keys) {
    const vals = flats.map((f) => f[k]);
    const differs = new Set(vals.map((v) => JSON.stringify(v))).size > 1;
    if (diffOnly && !differs) continue;
    rows.push(el('tr', { class: differs ? 'differs' : '' }, el('th', {}, k), ...vals.map((v) => el('td', {}, v === undefined ? '—' : typeof v === 'number' ? fmt(v) : String(v)))));
  }
  root.replaceChildren(
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, el('th', {}, 'key'), ...withConfig.map((r) => el('th', { title: r.label }, el('span', { class: 'swatch', style: `background:${r.color}` }), r.short ?? r.label)))),
      el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: withConfig.length + 1, class: 'muted' }, 'no differences'))])),
    ),
  );
}

/**
 * The runs list: this page's live run, other live runs added by URL, then runs on disk to overlay.
 * @param {HTMLElement} root
 * @param {Run | null} liveRun
 * @param {DiskRun[]} diskRuns
 * @param {Map<string, Run>} overlays
 * @param {Map<string, string>} shortNames run name → the label that tells it from the others
 * @param {(id: string, on: boolean) => void} onToggle
 * @param {(id: string) => void} onRemove
 */
export function renderRuns(root, liveRun, diskRuns, overlays, shortNames, onToggle, onRemove) {
  /** @type {HTMLElement[]} */
  const items = [];
  const checked = (/** @type {Event} */ e) => /** @type {HTMLInputElement} */ (e.target).checked;
  if (liveRun) {
    items.push(
      el(
        'li',
        { class: 'live' },
        el('input', { type: 'checkbox', checked: liveRun.visible, onchange: (/** @type {Event} */ e) => onToggle(liveRun.id, checked(e)) }),
        el('span', { class: 'swatch', style: `background:${liveRun.color}` }),
        el('span', { class: 'name', title: liveRun.label }, liveRun.short ?? liveRun.label),
        el('span', { class: 'tag' }, 'live'),
      ),
    );
  }
  for (const o of overlays.values()) {
    if (!o.remote) continue;
    items.push(
      el(
        'li',
        { class: 'live', dataset: { remote: o.id.slice(3) } },
        el('input', { type: 'checkbox', checked: o.visible, onchange: (/** @type {Event} */ e) => onToggle(o.id, checked(e)) }),
        el('span', { class: 'swatch', style: `background:${o.color}` }),
        el('span', { class: 'name', title: `${o.label} · ${o.id.slice(3)}` }, o.short ?? o.label),
        el(
          'span',
          { class: 'remote-actions' },
          el('span', { class: `tag state-${o.status}`, title: o.statusInfo ?? '' }, o.status === 'open' ? 'live' : o.status),
          el('button', { type: 'button', class: 'link', title: 'stop following this run', onclick: () => onRemove(o.id) }, '×'),
        ),
      ),
    );
  }
  for (const r of diskRuns) {
    if (liveRun && r.name === liveRun.label) continue;
    const o = overlays.get(r.name);
    items.push(
      el(
        'li',
        { dataset: { run: r.name } },
        el('input', { type: 'checkbox', checked: Boolean(o?.visible), disabled: !r.files.includes('metrics'), onchange: (/** @type {Event} */ e) => onToggle(r.name, checked(e)) }),
        el('span', { class: 'swatch', style: `background:${o?.color ?? 'transparent'}` }),
        el('span', { class: 'name', title: r.name }, shortNames.get(r.name) ?? r.name),
        el('span', { class: 'muted' }, new Date(r.mtime).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' })),
      ),
    );
  }
  if (items.length === 0) items.push(el('li', { class: 'empty' }, 'No runs on disk.'));
  root.replaceChildren(...items);
}
