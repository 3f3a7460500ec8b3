// The smaller panels: annotator stats, the run-event log, the hyperparameter table, the runs list.
import { el, flatten, fmt } from './util.js';

/**
 * The three annotator figures shown large, each with the stat names it may come under (the first
 * present wins); the rest follow as a plain table.
 */
const ANNOTATOR_HEADLINE = [
  { label: 'labels', keys: ['labels', 'labelsDelivered', 'captionsLabelled'] },
  { label: 'backlog', keys: ['backlog', 'backlogDepth'] },
  { label: 'judge errors', keys: ['judgeErrors', 'judgeErrorsTotal', 'errors'], warn: true },
];
const pick = (flat, keys) => keys.find((k) => k in flat);

export function renderAnnotator(root, stats, history) {
  if (!stats) return;
  const flat = flatten(stats);
  const used = new Set();
  const head = ANNOTATOR_HEADLINE.map(({ label, keys, warn }) => {
    const k = pick(flat, keys);
    if (k) used.add(k);
    const v = k ? flat[k] : undefined;
    return el('div', { class: `stat ${warn && v > 0 ? 'warn' : ''}`, title: k ?? 'not reported' }, el('div', { class: 'stat-value' }, fmt(v)), el('div', { class: 'stat-label' }, label));
  });
  const rest = Object.entries(flat).filter(([k]) => !used.has(k));
  const backlogKey = pick(flat, ANNOTATOR_HEADLINE[1].keys);
  const parts = [
    el('div', { class: 'stats' }, ...head),
    backlogKey ? sparkline(history.map((h) => h[backlogKey]), backlogKey) : null,
    rest.length ? el('table', { class: 'kv' }, ...rest.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { class: 'num' }, fmt(v))))) : null,
  ];
  root.replaceChildren(...parts.filter(Boolean));
}

/** A tiny inline SVG line of recent values (no axes: a shape to glance at). */
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

const MAX_EVENTS = 200;

export function appendEvent(root, time, data) {
  const kind = String(data.kind ?? 'event');
  const when = new Date(time).toLocaleTimeString('en-GB');
  const extra = Object.entries(data).filter(([k]) => k !== 'kind' && k !== 'message');
  root.prepend(
    el(
      'li',
      { class: `event kind-${kind.replace(/[^a-z-]/gi, '')}`, title: extra.length ? JSON.stringify(Object.fromEntries(extra)) : undefined },
      el('span', { class: 'time' }, when),
      el('span', { class: 'kind' }, kind),
      el('span', { class: 'msg' }, String(data.message ?? '')),
    ),
  );
  while (root.children.length > MAX_EVENTS) root.lastElementChild.remove();
}

/** Hyperparameters of every run that has a config, one column each; rows that differ are marked. */
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
      el('thead', {}, el('tr', {}, el('th', {}, 'key'), ...withConfig.map((r) => el('th', {}, el('span', { class: 'swatch', style: `background:${r.color}` }), r.label)))),
      el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: withConfig.length + 1, class: 'muted' }, 'no differences'))])),
    ),
  );
}

/** The runs list: this page's live run, other live runs added by URL, then runs on disk to overlay. */
export function renderRuns(root, liveRun, diskRuns, overlays, onToggle, onRemove) {
  const items = [];
  if (liveRun) {
    items.push(
      el(
        'li',
        { class: 'live' },
        el('input', { type: 'checkbox', checked: liveRun.visible, onchange: (e) => onToggle(liveRun.id, e.target.checked) }),
        el('span', { class: 'swatch', style: `background:${liveRun.color}` }),
        el('span', { class: 'name' }, liveRun.label),
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
        el('input', { type: 'checkbox', checked: o.visible, onchange: (e) => onToggle(o.id, e.target.checked) }),
        el('span', { class: 'swatch', style: `background:${o.color}` }),
        el('span', { class: 'name', title: o.id.slice(3) }, o.label),
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
        el('input', { type: 'checkbox', checked: Boolean(o?.visible), disabled: !r.files.includes('metrics'), onchange: (e) => onToggle(r.name, e.target.checked) }),
        el('span', { class: 'swatch', style: `background:${o?.color ?? 'transparent'}` }),
        el('span', { class: 'name', title: r.name }, r.name),
        el('span', { class: 'muted' }, new Date(r.mtime).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' })),
      ),
    );
  }
  if (items.length === 0) items.push(el('li', { class: 'empty' }, 'No runs on disk.'));
  root.replaceChildren(...items);
}
