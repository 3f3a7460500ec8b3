// The dashboard: wires the live stream and runs on disk into the charts and panels.
// State lives here; the modules only render what they are given.
import { ChartGrid } from './charts.js';
import { EpisodeView } from './episodes.js';
import { toCsv, toJson } from './export.js';
import { appendEvent, renderAnnotator, renderHparams, renderRuns } from './panels.js';
import { StreamClient } from './stream.js';
import { PALETTE, download, el, fmt, parseJsonl } from './util.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const token = params.get('token') ?? undefined;
const MAX_LIVE_RECORDS = 20_000;
const MAX_ANNOTATOR_HISTORY = 120;
const MAX_DISK_EPISODES = 10;

const live = { id: 'live', label: 'live', live: true, records: [], config: null, color: PALETTE[0], visible: true };
/** Overlaid runs: runs on disk by name, other live runs by 'ws:' + their stream URL. */
const overlays = new Map();
let diskRuns = [];
let annotatorHistory = [];
const charts = new ChartGrid($('charts'));
const episodes = new EpisodeView($('episode-list'), $('episode-detail'));

function api(path) {
  const url = new URL(path, location.href);
  if (token) url.searchParams.set('token', token);
  return fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r;
  });
}

const allRuns = () => [live, ...overlays.values()];
const visibleRuns = () => allRuns().filter((r) => r.visible);

// ---- rendering, throttled: a fast run publishes many records per second; the page redraws ~4×/s.
let renderTimer = null;
/** The hyperparameter table is rebuilt only when a config or the set of visible runs changes. */
let hparamsDirty = true;
function scheduleRender({ hparams = false } = {}) {
  if (hparams) hparamsDirty = true;
  if (renderTimer) return;
  renderTimer = setTimeout(() => {
    renderTimer = null;
    charts.render(allRuns());
    if (hparamsDirty) renderHparams($('hparams'), visibleRuns(), $('diff-only').checked);
    hparamsDirty = false;
    renderCounters();
  }, 250);
}

function renderCounters() {
  const last = live.records[live.records.length - 1];
  $('counters').replaceChildren(
    el('span', {}, 'step ', el('b', {}, fmt(last?.step))),
    el('span', {}, 'env steps ', el('b', {}, fmt(last?.envSteps))),
    el('span', {}, 'messages ', el('b', {}, fmt(stream.received))),
    el('span', { class: stream.dropped ? 'warn' : '', title: 'messages the server dropped because this page fell behind' }, 'dropped ', el('b', {}, fmt(stream.dropped))),
  );
}

function setStatus(state, info) {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = state === 'open' ? 'live' : state;
  s.title = info ?? '';
}

// ---- the live stream
const wsUrl = new URL('ws', location.href);
wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const stream = new StreamClient(wsUrl.href, {
  token,
  topics: ['config', 'metrics', 'episode', 'annotator', 'event'],
  onStatus: setStatus,
  onControl: (m) => {
    if (m.type === 'welcome' && !m.runName) $('run-name').textContent = 'live run';
    if (m.type === 'welcome' && m.runName) {
      live.label = m.runName;
      $('run-name').textContent = m.runName;
      document.title = `${m.runName} · thrive`;
      renderRunsPanel();
    }
    if (m.type === 'dropped') renderCounters();
  },
  onData: (m) => {
    switch (m.topic) {
      case 'metrics':
        live.records.push(m.data);
        if (live.records.length > MAX_LIVE_RECORDS) live.records.splice(0, live.records.length - MAX_LIVE_RECORDS);
        break;
      case 'config':
        live.config = m.data;
        hparamsDirty = true;
        break;
      case 'episode':
        episodes.add(`live#${m.seq}`, m.data, live.label);
        break;
      case 'annotator':
        annotatorHistory.push(m.data);
        if (annotatorHistory.length > MAX_ANNOTATOR_HISTORY) annotatorHistory = annotatorHistory.slice(-MAX_ANNOTATOR_HISTORY);
        renderAnnotator($('annotator'), m.data, annotatorHistory);
        break;
      case 'event':
        appendEvent($('events'), m.time, m.data);
        break;
    }
    scheduleRender();
  },
});

// ---- runs on disk
async function refreshRuns() {
  try {
    diskRuns = await (await api('api/runs')).json();
  } catch (e) {
    diskRuns = [];
    console.warn(e);
  }
  renderRunsPanel();
}

function renderRunsPanel() {
  renderRuns($('runs'), live, diskRuns, overlays, toggleRun, removeRun);
}

async function toggleRun(id, on) {
  if (id === 'live') {
    live.visible = on;
  } else if (!on) {
    const o = overlays.get(id);
    if (o) o.visible = false;
  } else if (overlays.has(id)) {
    overlays.get(id).visible = true;
  } else {
    const color = PALETTE[(overlays.size + 1) % PALETTE.length];
    const run = { id, label: id, live: false, records: [], config: null, color, visible: true };
    overlays.set(id, run);
    try {
      run.records = parseJsonl(await (await api(`api/runs/${encodeURIComponent(id)}/metrics`)).text());
      run.config = await (await api(`api/runs/${encodeURIComponent(id)}/config`)).json().catch(() => null);
      // Its last sample episodes (saved without frames) join the episode list, labelled with the run.
      if (diskRuns.find((r) => r.name === id)?.files.includes('episodes')) {
        const eps = parseJsonl(await (await api(`api/runs/${encodeURIComponent(id)}/episodes`)).text()).slice(-MAX_DISK_EPISODES);
        eps.forEach((ep, i) => episodes.add(`${id}#${i}`, ep, id));
      }
    } catch (e) {
      console.warn(e);
    }
  }
  renderRunsPanel();
  charts.clear();
  scheduleRender({ hparams: true });
}

// ---- other live runs, by stream URL (another run's server on this machine, or with its token)
function addLive(raw) {
  const err = $('add-live-error');
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
    err.textContent = `"${raw}" is not a stream URL: ${e.message.replace(/^.*: /, '')} (e.g. ws://127.0.0.1:41234/ws)`;
    err.hidden = false;
    return;
  }
  const remoteToken = u.searchParams.get('token') ?? undefined;
  u.search = '';
  const id = `ws:${u.href}`;
  if (overlays.has(id) || u.href === wsUrl.href) return;
  const run = { id, label: u.host, live: true, remote: true, status: 'connecting', records: [], config: null, color: PALETTE[(overlays.size + 1) % PALETTE.length], visible: true };
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
    },
    onControl: (m) => {
      if (m.type === 'welcome' && m.runName) {
        run.label = m.runName;
        renderRunsPanel();
      }
    },
    onData: (m) => {
      if (m.topic === 'metrics') run.records.push(m.data);
      else if (m.topic === 'config') {
        run.config = m.data;
        hparamsDirty = true;
      }
      else if (m.topic === 'episode') episodes.add(`${id}#${m.seq}`, m.data, run.label);
      else if (m.topic === 'event') appendEvent($('events'), m.time, { ...m.data, message: `[${run.label}] ${m.data.message ?? ''}` });
      scheduleRender();
    },
  });
  renderRunsPanel();
}

function removeRun(id) {
  const run = overlays.get(id);
  run?.client?.close();
  overlays.delete(id);
  renderRunsPanel();
  charts.clear();
  scheduleRender({ hparams: true });
}

$('add-live').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('add-live-url').value.trim();
  if (v) addLive(v);
  $('add-live-url').value = '';
});

// ---- controls
$('x-axis').addEventListener('change', (e) => {
  charts.xKey = e.target.value;
  charts.clear();
  scheduleRender();
});
$('smoothing').addEventListener('input', (e) => {
  charts.smoothing = Number(e.target.value);
  $('smoothing-value').textContent = charts.smoothing.toFixed(2);
  scheduleRender();
});
$('metric-filter').addEventListener('input', (e) => {
  charts.filter = e.target.value.trim();
  scheduleRender();
});
$('show-raw').addEventListener('change', (e) => {
  charts.showRaw = e.target.checked;
  scheduleRender();
});
$('diff-only').addEventListener('change', () => scheduleRender({ hparams: true }));
$('refresh-runs').addEventListener('click', refreshRuns);
const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
$('export-csv').addEventListener('click', () => download(`thrive-metrics-${stamp()}.csv`, toCsv(visibleRuns()), 'text/csv'));
$('export-json').addEventListener('click', () => download(`thrive-metrics-${stamp()}.json`, toJson(visibleRuns()), 'application/json'));
let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(scheduleRender, 200);
});

refreshRuns();
renderCounters();
