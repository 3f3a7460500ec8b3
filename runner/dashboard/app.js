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

const live = { id: 'live', label: 'live', live: true, records: [], config: null, color: PALETTE[0], visible: true };
/** Runs on disk the user overlaid, by name. */
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
function scheduleRender() {
  if (renderTimer) return;
  renderTimer = setTimeout(() => {
    renderTimer = null;
    charts.render(allRuns());
    renderHparams($('hparams'), visibleRuns(), $('diff-only').checked);
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
        break;
      case 'episode':
        episodes.add(m.seq, m.data, live.label);
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
  renderRuns($('runs'), live, diskRuns, overlays, toggleRun);
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
    } catch (e) {
      console.warn(e);
    }
  }
  renderRunsPanel();
  charts.clear();
  scheduleRender();
}

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
$('diff-only').addEventListener('change', scheduleRender);
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
