// @ts-check
// The dashboard: wires the live stream (when the server has a live run) and runs on disk into the
// charts and panels. State lives here; the modules only render what they are given.
// With no live run (`npm run view -- runs/...`, /api/info says live: false) the page shows the runs the
// server serves: the newest few at once, the rest a tick away.
import { ChartGrid } from './charts.js';
import { EpisodeView } from './episodes.js';
import { toCsv, toJson } from './export.js';
import { appendEvent, renderAnnotator, renderEvents, renderHparams, renderRuns, renderTrouble } from './panels.js';
import { StreamClient } from './stream.js';
import { PALETTE, byId, download, el, fmt, lastValue, parseJsonl, shortLabels } from './util.js';

/**
 * @typedef {import('./model.js').Run} Run
 * @typedef {import('./model.js').DiskRun} DiskRun
 * @typedef {import('./model.js').ServerInfo} ServerInfo
 * @typedef {import('./model.js').EpisodeData} EpisodeData
 * @typedef {import('./model.js').MetricsRecord} MetricsRecord
 * @typedef {import('./protocol.js').DataMessage} DataMessage
 */

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? undefined;
const MAX_LIVE_RECORDS = 20_000;
const MAX_EVENTS_KEPT = 500;
const MAX_DISK_EPISODES = 10;
/** Offline view: this many of the newest runs are shown at once. */
const VIEW_SHOWN = 8;

/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (byId(id));

/**
 * @param {string} id
 * @param {string} label
 * @param {boolean} live
 * @param {string} color
 * @returns {Run}
 */
const newRun = (id, label, live, color) => ({ id, label, live, records: [], config: null, color, visible: true, events: [], annotator: null });

/** The live run of this page's server; null in the offline view. */
let live = /** @type {Run | null} */ (null);
/** Overlaid runs: runs on disk by name, other live runs by 'ws:' + their stream URL. */
const overlays = /** @type {Map<string, Run>} */ (new Map());
let diskRuns = /** @type {DiskRun[]} */ ([]);
let shortNames = /** @type {Map<string, string>} */ (new Map());
/** Backlog of the live run's annotator, from its 'annotator' messages. */
let backlog = /** @type {number[]} */ ([]);
const charts = new ChartGrid(byId('charts'));
const episodes = new EpisodeView(byId('episode-list'), byId('episode-detail'));
/** @type {StreamClient | null} */
let stream = null;
let nextColor = 1;

/** @param {string} path */
function api(path) {
  const url = new URL(path, location.href);
  if (token) url.searchParams.set('token', token);
  return fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r;
  });
}

const allRuns = () => /** @type {Run[]} */ ([...(live ? [live] : []), ...overlays.values()]);
const visibleRuns = () => allRuns().filter((r) => r.visible);

/** Short labels that tell every run apart (the live one, added ones and those on disk). */
function relabel() {
  const names = [...new Set([...allRuns().map((r) => r.label), ...diskRuns.map((r) => r.name)])];
  const short = shortLabels(names);
  shortNames = new Map(names.map((n, i) => [n, short[i] ?? n]));
  for (const r of allRuns()) r.short = shortNames.get(r.label);
}

// ---- rendering, throttled: a fast run publishes many records per second; the page redraws ~4×/s.
/** @type {ReturnType<typeof setTimeout> | null} */
let renderTimer = null;
/** The hyperparameter table and the event log are rebuilt only when a config or the visible runs change. */
let hparamsDirty = true;
let eventsDirty = true;
function scheduleRender({ hparams = false, events = false } = {}) {
  if (hparams) hparamsDirty = true;
  if (events) eventsDirty = true;
  if (renderTimer) return;
  renderTimer = setTimeout(() => {
    renderTimer = null;
    charts.render(allRuns());
    if (hparamsDirty) renderHparams(byId('hparams'), visibleRuns(), input('diff-only').checked);
    hparamsDirty = false;
    if (eventsDirty) renderEvents(byId('events'), allRuns());
    eventsDirty = false;
    renderTrouble(byId('trouble'), allRuns());
    renderAnnotatorPanel();
    renderCounters();
  }, 250);
}

/** The annotator of the live run, else of the first visible run. */
function renderAnnotatorPanel() {
  const run = live ?? visibleRuns()[0];
  const fromMetrics = run && !run.annotator ? run.records.map((r) => r.ann_backlog ?? r.ann_backlogDepth).filter((v) => typeof v === 'number') : [];
  renderAnnotator(byId('annotator'), run, run === live && live?.annotator ? backlog : /** @type {number[]} */ (fromMetrics.slice(-120)));
}

/**
 * Actors: the live count when the run reports one (metric `actors`), else the configured worker threads
 * of an in-process run; a distributed run that does not report its actors says so.
 * @param {Run} run
 */
function actorCount(run) {
  const reported = lastValue(run.records, 'actors');
  if (reported !== undefined) return { text: fmt(reported), title: 'actors reporting to the learner' };
  const cfg = /** @type {{ transport?: { kind?: string }, actors?: { workers?: number } } | null} */ (run.config);
  if (cfg && (cfg.transport?.kind ?? 'inprocess') === 'inprocess' && typeof cfg.actors?.workers === 'number') {
    return { text: fmt(cfg.actors.workers), title: 'actor worker threads (config actors.workers)' };
  }
  return { text: 'not reported', title: cfg ? `the ${cfg.transport?.kind ?? ''} run does not report its live actor count` : 'no config yet' };
}

function renderCounters() {
  const root = byId('counters');
  if (!live) {
    const shown = visibleRuns();
    root.replaceChildren(el('span', {}, 'offline view · ', el('b', {}, fmt(shown.length)), ` of ${fmt(diskRuns.length)} runs shown`));
    return;
  }
  const last = live.records[live.records.length - 1];
  const actors = actorCount(live);
  root.replaceChildren(
    el('span', {}, 'step ', el('b', {}, fmt(last?.step))),
    el('span', {}, 'env steps ', el('b', {}, fmt(last?.envSteps))),
    el('span', { title: actors.title, dataset: { counter: 'actors' } }, 'actors ', el('b', {}, actors.text)),
    el('span', {}, 'messages ', el('b', {}, fmt(stream?.received ?? 0))),
    el('span', { class: stream?.dropped ? 'warn' : '', title: 'messages the server dropped because this page fell behind' }, 'dropped ', el('b', {}, fmt(stream?.dropped ?? 0))),
  );
}

/**
 * @param {string} state
 * @param {string} [info]
 */
function setStatus(state, info) {
  const s = byId('status');
  s.dataset.state = state;
  s.textContent = state === 'open' ? 'live' : state === 'offline' ? 'offline view' : state;
  s.title = info ?? '';
}

// ---- the live stream
const wsUrl = new URL('ws', location.href);
wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

/** @param {Run} run */
function followLive(run) {
  stream = new StreamClient(wsUrl.href, {
    token,
    topics: ['config', 'metrics', 'episode', 'annotator', 'event'],
    onStatus: setStatus,
    onControl: (m) => {
      if (m.type === 'welcome') {
        run.label = m.runName ?? 'live run';
        byId('run-name').textContent = run.label;
        if (m.runName) document.title = `${m.runName} · thrive`;
        relabel();
        renderRunsPanel();
      }
      if (m.type === 'dropped') renderCounters();
    },
    onData: (m) => onLiveData(run, m),
  });
}

/**
 * @param {Run} run
 * @param {DataMessage} m
 */
function onLiveData(run, m) {
  const data = /** @type {Record<string, any>} */ (m.data);
  switch (m.topic) {
    case 'metrics':
      run.records.push(data);
      if (run.records.length > MAX_LIVE_RECORDS) run.records.splice(0, run.records.length - MAX_LIVE_RECORDS);
      break;
    case 'config':
      run.config = data;
      hparamsDirty = true;
      break;
    case 'episode':
      episodes.add(`${run.id}#${m.seq}`, data, run.short ?? run.label);
      break;
    case 'annotator': {
      run.annotator = data;
      const b = data.backlog ?? data.backlogDepth;
      if (typeof b === 'number') backlog = [...backlog.slice(-119), b];
      break;
    }
    case 'event': {
      const e = { when: m.time, clock: /** @type {const} */ ('epoch'), data };
      run.events.push(e);
      if (run.events.length > MAX_EVENTS_KEPT) run.events.splice(0, run.events.length - MAX_EVENTS_KEPT);
      if (!eventsDirty) appendEvent(byId('events'), { ...e, run: visibleRuns().filter((r) => r.events.length).length > 1 ? run.short ?? run.label : undefined });
      break;
    }
  }
  scheduleRender();
}

// ---- runs on disk
async function refreshRuns() {
  try {
    diskRuns = await (await api('api/runs')).json();
  } catch (e) {
    diskRuns = [];
    console.warn(e);
  }
  relabel();
  renderRunsPanel();
}

function renderRunsPanel() {
  renderRuns(byId('runs'), live, diskRuns, overlays, shortNames, toggleRun, removeRun);
}

/**
 * Loads a run on disk: metrics, config (served without secrets), events, its last sample episodes.
 * @param {string} name
 */
async function loadDiskRun(name) {
  const run = newRun(name, name, false, PALETTE[nextColor++ % PALETTE.length] ?? '#000');
  run.short = shortNames.get(name);
  overlays.set(name, run);
  const files = diskRuns.find((r) => r.name === name)?.files ?? [];
  const path = (/** @type {string} */ f) => `api/runs/${encodeURIComponent(name)}/${f}`;
  try {
    if (files.includes('metrics')) run.records = /** @type {MetricsRecord[]} */ (parseJsonl(await (await api(path('metrics'))).text()));
    if (files.includes('config')) run.config = await (await api(path('config'))).json().catch(() => null);
    if (files.includes('events')) {
      run.events = parseJsonl(await (await api(path('events'))).text()).slice(-MAX_EVENTS_KEPT).map((data) => ({ when: typeof data.time === 'number' ? data.time : undefined, clock: /** @type {const} */ ('run'), data }));
    }
    // Its last sample episodes (saved without frames) join the episode list, labelled with the run.
    if (files.includes('episodes')) {
      const eps = parseJsonl(await (await api(path('episodes'))).text()).slice(-MAX_DISK_EPISODES);
      eps.forEach((ep, i) => episodes.add(`${name}#${i}`, /** @type {EpisodeData} */ (ep), run.short ?? name));
    }
  } catch (e) {
    console.warn(e);
  }
  return run;
}

/**
 * @param {string} id
 * @param {boolean} on
 */
async function toggleRun(id, on) {
  const known = id === 'live' ? live : overlays.get(id);
  if (known) known.visible = on;
  else if (on) await loadDiskRun(id);
  renderRunsPanel();
  charts.clear();
  scheduleRender({ hparams: true, events: true });
}

// ---- other live runs, by stream URL (another run's server on this machine, or with its token)
/** @param {string} raw */
function addLive(raw) {
  const err = byId('add-live-error');
  err.hidden = true;
  let u;
  try {
    u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
      if (u.pathname === '/') u.pathname = '/ws';
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error('use ws://HOST:PORT/ws');
  } catch (e) {
    err.textContent = `"${raw}" is not a stream URL: ${String(/** @type {Error} */ (e).message).replace(/^.*: /, '')} (e.g. ws://127.0.0.1:41234/ws)`;
    err.hidden = false;
    return;
  }
  const remoteToken = u.searchParams.get('token') ?? undefined;
  u.search = '';
  const id = `ws:${u.href}`;
  if (overlays.has(id) || u.href === wsUrl.href) return;
  const run = newRun(id, u.host, true, PALETTE[nextColor++ % PALETTE.length] ?? '#000');
  run.remote = true;
  run.status = 'connecting';
  overlays.set(id, run);
  run.client = new StreamClient(u.href, {
    token: remoteToken,
    topics: ['config', 'metrics', 'episode', 'event'],
    onStatus: (state, info) => {
      run.status = state;
      run.statusInfo = info;
      renderRunsPanel();
    },
    onNewRun: () => {
      run.records = [];
      run.config = null;
      run.events = [];
    },
    onControl: (m) => {
      if (m.type === 'welcome' && m.runName) {
        run.label = m.runName;
        relabel();
        renderRunsPanel();
      }
    },
    onData: (m) => {
      if (m.topic === 'annotator') return;
      onLiveData(run, m);
    },
  });
  relabel();
  renderRunsPanel();
}

/** @param {string} id */
function removeRun(id) {
  const run = overlays.get(id);
  run?.client?.close();
  overlays.delete(id);
  relabel();
  renderRunsPanel();
  charts.clear();
  scheduleRender({ hparams: true, events: true });
}

byId('add-live').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = input('add-live-url').value.trim();
  if (v) addLive(v);
  input('add-live-url').value = '';
});

// ---- controls
byId('x-axis').addEventListener('change', (e) => {
  charts.xKey = /** @type {'step' | 'envSteps' | 'time'} */ (/** @type {HTMLSelectElement} */ (e.target).value);
  charts.clear();
  scheduleRender();
});
byId('smoothing').addEventListener('input', (e) => {
  charts.smoothing = Number(/** @type {HTMLInputElement} */ (e.target).value);
  byId('smoothing-value').textContent = charts.smoothing.toFixed(2);
  scheduleRender();
});
byId('metric-filter').addEventListener('input', (e) => {
  charts.filter = /** @type {HTMLInputElement} */ (e.target).value.trim();
  scheduleRender();
});
byId('show-raw').addEventListener('change', (e) => {
  charts.showRaw = /** @type {HTMLInputElement} */ (e.target).checked;
  scheduleRender();
});
byId('diff-only').addEventListener('change', () => scheduleRender({ hparams: true }));
byId('refresh-runs').addEventListener('click', refreshRuns);
const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
byId('export-csv').addEventListener('click', () => download(`thrive-metrics-${stamp()}.csv`, toCsv(visibleRuns()), 'text/csv'));
byId('export-json').addEventListener('click', () => download(`thrive-metrics-${stamp()}.json`, toJson(visibleRuns()), 'application/json'));
/** @type {ReturnType<typeof setTimeout> | undefined} */
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => scheduleRender(), 200);
});

// ---- start: live (follow this server's run) or offline (show its runs on disk)
async function start() {
  /** @type {ServerInfo | null} */
  let info = null;
  try {
    info = await (await api('api/info')).json();
  } catch (e) {
    console.warn(e);
  }
  if (info?.live === false) {
    document.body.dataset.mode = 'view';
    byId('run-name').textContent = info.runName ?? 'runs on disk';
    document.title = `${info.runName ?? 'runs'} · thrive`;
    setStatus('offline', 'no live run: the runs on disk this server was given');
    await refreshRuns();
    const first = diskRuns.filter((r) => r.files.includes('metrics')).slice(0, VIEW_SHOWN);
    await Promise.all(first.map((r) => loadDiskRun(r.name)));
    relabel();
    renderRunsPanel();
    scheduleRender({ hparams: true, events: true });
    if (diskRuns.length === 0) byId('charts').replaceChildren(el('p', { class: 'empty' }, 'This server has no runs to show.'));
    return;
  }
  document.body.dataset.mode = 'live';
  live = newRun('live', 'live', true, PALETTE[0] ?? '#000');
  followLive(live);
  await refreshRuns();
  renderCounters();
}

void start();
