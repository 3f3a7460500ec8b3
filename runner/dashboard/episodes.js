// Sample episodes: a list of recent ones and a detail view — reward and its components, the text
// completion, a tool-call transcript, the per-step table, and game frames replayed frame by frame.
import { el, fmt } from './util.js';

const MAX_KEPT = 50;
const MAX_STEP_ROWS = 300;

export class EpisodeView {
  constructor(listRoot, detailRoot) {
    this.listRoot = listRoot;
    this.detailRoot = detailRoot;
    this.episodes = []; // newest first: { key, run, data } — key is unique across runs ("live#12")
    this.selected = null;
    this.player = null;
  }

  add(key, data, runLabel) {
    this.episodes.unshift({ key, data, run: runLabel });
    if (this.episodes.length > MAX_KEPT) this.episodes.length = MAX_KEPT;
    // Follow the newest episode unless the user picked an older one.
    if (this.selected === null || this.selected === this.episodes[1]?.key) this.select(key);
    else this.renderList();
  }

  select(key) {
    this.selected = key;
    this.renderList();
    const ep = this.episodes.find((e) => e.key === key);
    if (ep) this.renderDetail(ep);
  }

  renderList() {
    if (this.episodes.length === 0) return;
    this.listRoot.replaceChildren(
      ...this.episodes.map((e) => {
        const d = e.data;
        return el(
          'li',
          { class: e.key === this.selected ? 'selected' : '', onclick: () => this.select(e.key), title: `${e.run} · episode ${e.key.split('#').pop()}` },
          el('span', { class: `badge ${d.success ? 'ok' : 'fail'}` }, d.success ? '✓' : '✗'),
          el('span', { class: 'ep-env' }, d.envId ?? '?'),
          el('span', { class: 'ep-reward' }, fmt(d.reward)),
          el('span', { class: 'ep-step' }, `step ${fmt(d.step)} · ${e.run}`),
        );
      }),
    );
  }

  renderDetail(ep) {
    this.player?.stop();
    this.player = null;
    const d = ep.data;
    const parts = [];
    parts.push(
      el(
        'div',
        { class: 'ep-head' },
        el('strong', {}, d.envId ?? 'episode'),
        d.family ? el('span', { class: 'tag' }, d.family) : null,
        el('span', { class: `badge ${d.success ? 'ok' : 'fail'}` }, d.success ? 'success' : 'no success'),
        el('span', {}, `reward ${fmt(d.reward)}`),
        el('span', { class: 'muted' }, `${ep.run} · seed ${d.seed ?? '—'} · learner step ${fmt(d.step)} · ${Array.isArray(d.steps) ? d.steps.length : 0} steps`),
      ),
    );
    if (d.rewardComponents && typeof d.rewardComponents === 'object') parts.push(this.components(d.rewardComponents));
    if (Array.isArray(d.frames) && d.frames.length > 0) parts.push(this.framePlayer(d.frames, d.steps));
    if (typeof d.completion === 'string') parts.push(el('h3', {}, 'Completion'), el('pre', { class: 'completion' }, d.completion));
    if (d.transcript !== undefined && d.transcript !== null) parts.push(el('h3', {}, 'Transcript'), this.transcript(d.transcript));
    if (Array.isArray(d.steps) && d.steps.length > 0) parts.push(this.stepsTable(d.steps));
    this.detailRoot.replaceChildren(...parts);
    this.detailRoot.dataset.episode = ep.key;
  }

  components(rc) {
    const entries = Object.entries(rc).filter(([, v]) => typeof v === 'number');
    const max = Math.max(1e-9, ...entries.map(([, v]) => Math.abs(v)));
    return el(
      'table',
      { class: 'components' },
      el('caption', {}, 'Reward breakdown'),
      ...entries.map(([k, v]) =>
        el(
          'tr',
          {},
          el('th', {}, k),
          el('td', { class: 'num' }, fmt(v)),
          el('td', { class: 'bar-cell' }, el('span', { class: `bar ${v < 0 ? 'neg' : ''}`, style: `width:${((Math.abs(v) / max) * 100).toFixed(1)}%` })),
        ),
      ),
    );
  }

  transcript(t) {
    if (typeof t === 'string') return el('pre', { class: 'transcript' }, t);
    if (!Array.isArray(t)) return el('pre', { class: 'transcript' }, JSON.stringify(t, null, 2));
    return el(
      'div',
      { class: 'transcript' },
      ...t.map((turn) => {
        if (typeof turn !== 'object' || turn === null) return el('div', { class: 'turn' }, String(turn));
        const role = turn.role ?? (turn.tool || turn.name ? 'tool' : 'turn');
        const call = turn.tool ?? turn.name;
        const args = turn.args ?? turn.arguments ?? turn.input;
        const result = turn.result ?? turn.output;
        return el(
          'div',
          { class: `turn role-${String(role).replace(/[^a-z]/gi, '')}` },
          el('div', { class: 'role' }, role, call ? el('code', {}, ` ${call}(${args === undefined ? '' : typeof args === 'string' ? args : JSON.stringify(args)})`) : null),
          turn.content !== undefined ? el('div', { class: 'content' }, typeof turn.content === 'string' ? turn.content : JSON.stringify(turn.content)) : null,
          result !== undefined ? el('div', { class: 'result' }, '→ ', typeof result === 'string' ? result : JSON.stringify(result)) : null,
          turn.error ? el('div', { class: 'error' }, String(turn.error)) : null,
        );
      }),
    );
  }

  stepsTable(steps) {
    const hasIntrinsic = steps.some((s) => typeof s?.intrinsic === 'number');
    const rows = steps.slice(0, MAX_STEP_ROWS).map((s, i) =>
      el(
        'tr',
        { dataset: { step: String(i) } },
        el('td', { class: 'num' }, i),
        el('td', {}, typeof s?.action === 'object' ? JSON.stringify(s.action) : String(s?.action ?? '')),
        el('td', { class: 'msg' }, s?.message ?? ''),
        el('td', { class: 'num' }, fmt(s?.reward)),
        hasIntrinsic ? el('td', { class: 'num' }, fmt(s?.intrinsic)) : null,
      ),
    );
    return el(
      'details',
      { class: 'steps', open: steps.length <= 40 },
      el('summary', {}, `Steps (${steps.length}${steps.length > MAX_STEP_ROWS ? `, first ${MAX_STEP_ROWS} shown` : ''})`),
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'action'), el('th', {}, 'message'), el('th', {}, 'reward'), hasIntrinsic ? el('th', {}, 'intrinsic') : null)),
        el('tbody', {}, ...rows),
      ),
    );
  }

  framePlayer(frames, steps) {
    const canvas = el('canvas', { class: 'frame' });
    const slider = el('input', { type: 'range', min: 0, max: frames.length - 1, value: 0, step: 1 });
    const label = el('span', { class: 'muted frame-label' });
    const play = el('button', { type: 'button', class: 'small' }, 'play');
    const ctx = canvas.getContext('2d');
    let i = 0;
    let timer = null;
    const draw = (k) => {
      i = k;
      const f = frames[k];
      const { width, height } = f;
      const rgb = f.rgb instanceof Uint8Array ? f.rgb : new Uint8Array(f.rgb ?? []);
      const channels = rgb.length === width * height ? 1 : 3;
      if (!width || !height || rgb.length < width * height * channels) {
        label.textContent = `frame ${k + 1}/${frames.length}: bad size ${width}×${height} for ${rgb.length} bytes`;
        return;
      }
      canvas.width = width;
      canvas.height = height;
      const img = ctx.createImageData(width, height);
      for (let p = 0; p < width * height; p++) {
        const r = rgb[p * channels];
        img.data[p * 4] = r;
        img.data[p * 4 + 1] = channels === 3 ? rgb[p * 3 + 1] : r;
        img.data[p * 4 + 2] = channels === 3 ? rgb[p * 3 + 2] : r;
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      slider.value = String(k);
      const s = steps?.[k - 1];
      label.textContent = `frame ${k + 1}/${frames.length}${s ? ` · after action ${JSON.stringify(s.action)} · reward ${fmt(s.reward)}` : ''}`;
      canvas.dataset.frame = String(k);
    };
    const stop = () => {
      if (timer) clearInterval(timer);
      timer = null;
      play.textContent = 'play';
    };
    play.addEventListener('click', () => {
      if (timer) return stop();
      if (i >= frames.length - 1) draw(0);
      play.textContent = 'pause';
      timer = setInterval(() => (i >= frames.length - 1 ? stop() : draw(i + 1)), 150);
    });
    slider.addEventListener('input', () => {
      stop();
      draw(Number(slider.value));
    });
    draw(0);
    this.player = { stop };
    return el('div', { class: 'player' }, canvas, el('div', { class: 'player-controls' }, play, slider, label));
  }
}
