// @ts-check
// Sample episodes: a list of recent ones and a detail view — reward and its components, the text
// completion, a tool-call transcript, the per-step table, and game frames replayed frame by frame with
// the step just taken highlighted in the table. Actions show by name when the episode carries
// `actionNames` (the env's names for its discrete actions), else by number.
import { el, fmt } from './util.js';

/**
 * @typedef {import('./model.js').EpisodeData} EpisodeData
 * @typedef {import('./model.js').EpisodeStep} EpisodeStep
 * @typedef {import('./model.js').EpisodeFrame} EpisodeFrame
 * @typedef {{ key: string, run: string, data: EpisodeData }} Episode
 */

const MAX_KEPT = 50;
const MAX_STEP_ROWS = 300;

/**
 * An action as shown: its name when the episode names its actions, else as given.
 * @param {unknown} action
 * @param {string[] | undefined} names
 */
export function actionLabel(action, names) {
  if (typeof action === 'number' && names && typeof names[action] === 'string') return names[action];
  if (action !== null && typeof action === 'object') return JSON.stringify(action);
  return String(action ?? '');
}

export class EpisodeView {
  /**
   * @param {HTMLElement} listRoot
   * @param {HTMLElement} detailRoot
   */
  constructor(listRoot, detailRoot) {
    this.listRoot = listRoot;
    this.detailRoot = detailRoot;
    /** @type {Episode[]} newest first; key is unique across runs ("live#12") */
    this.episodes = [];
    /** @type {string | null} */
    this.selected = null;
    /** @type {{ stop(): void } | null} */
    this.player = null;
  }

  /**
   * @param {string} key
   * @param {EpisodeData} data
   * @param {string} runLabel
   */
  add(key, data, runLabel) {
    if (this.episodes.some((e) => e.key === key)) return;
    this.episodes.unshift({ key, data, run: runLabel });
    if (this.episodes.length > MAX_KEPT) this.episodes.length = MAX_KEPT;
    // Follow the newest episode unless the user picked an older one.
    if (this.selected === null || this.selected === this.episodes[1]?.key) this.select(key);
    else this.renderList();
  }

  /** @param {string} key */
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

  /** @param {Episode} ep */
  renderDetail(ep) {
    this.player?.stop();
    this.player = null;
    const d = ep.data;
    const steps = Array.isArray(d.steps) ? d.steps : [];
    /** @type {Node[]} */
    const parts = [];
    parts.push(
      el(
        'div',
        { class: 'ep-head' },
        el('strong', {}, d.envId ?? 'episode'),
        d.family ? el('span', { class: 'tag' }, d.family) : null,
        el('span', { class: `badge ${d.success ? 'ok' : 'fail'}` }, d.success ? 'success' : 'no success'),
        el('span', {}, `reward ${fmt(d.reward)}`),
        el('span', { class: 'muted' }, `${ep.run} · seed ${d.seed ?? '—'} · learner step ${fmt(d.step)} · ${steps.length} steps`),
      ),
    );
    if (d.rewardComponents && typeof d.rewardComponents === 'object') parts.push(this.components(d.rewardComponents));
    const table = steps.length > 0 ? this.stepsTable(steps, d.actionNames) : null;
    if (Array.isArray(d.frames) && d.frames.length > 0) parts.push(this.framePlayer(d.frames, steps, d.actionNames, table));
    else if (typeof d.frames === 'number' && d.frames > 0) parts.push(el('p', { class: 'muted' }, `${d.frames} frames were shown live; runs on disk keep episodes without frames.`));
    if (typeof d.completion === 'string') parts.push(el('h3', {}, 'Completion'), el('pre', { class: 'completion' }, d.completion));
    if (d.transcript !== undefined && d.transcript !== null) parts.push(el('h3', {}, 'Transcript'), this.transcript(d.transcript));
    if (table) parts.push(table);
    this.detailRoot.replaceChildren(...parts);
    this.detailRoot.dataset.episode = ep.key;
  }

  /** @param {Record<string, unknown>} rc */
  components(rc) {
    const entries = /** @type {[string, number][]} */ (Object.entries(rc).filter(([, v]) => typeof v === 'number'));
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

  /** @param {unknown} t */
  transcript(t) {
    if (typeof t === 'string') return el('pre', { class: 'transcript' }, t);
    if (!Array.isArray(t)) return el('pre', { class: 'transcript' }, JSON.stringify(t, null, 2));
    const str = (/** @type {unknown} */ x) => (typeof x === 'string' ? x : JSON.stringify(x));
    return el(
      'div',
      { class: 'transcript' },
      ...t.map((/** @type {unknown} */ raw) => {
        if (typeof raw !== 'object' || raw === null) return el('div', { class: 'turn' }, String(raw));
        const turn = /** @type {Record<string, unknown>} */ (raw);
        const role = String(turn.role ?? (turn.tool || turn.name ? 'tool' : 'turn'));
        const call = turn.tool ?? turn.name;
        const args = turn.args ?? turn.arguments ?? turn.input;
        const result = turn.result ?? turn.output;
        return el(
          'div',
          { class: `turn role-${role.replace(/[^a-z]/gi, '')}` },
          el('div', { class: 'role' }, role, call ? el('code', {}, ` ${String(call)}(${args === undefined ? '' : str(args)})`) : null),
          turn.content !== undefined ? el('div', { class: 'content' }, str(turn.content)) : null,
          result !== undefined ? el('div', { class: 'result' }, '→ ', str(result)) : null,
          turn.error ? el('div', { class: 'error' }, String(turn.error)) : null,
        );
      }),
    );
  }

  /**
   * @param {EpisodeStep[]} steps
   * @param {string[] | undefined} names
   */
  stepsTable(steps, names) {
    const hasIntrinsic = steps.some((s) => typeof s?.intrinsic === 'number');
    const rows = steps.slice(0, MAX_STEP_ROWS).map((s, i) =>
      el(
        'tr',
        { dataset: { step: String(i) } },
        el('td', { class: 'num' }, i),
        el('td', { class: 'action', title: typeof s?.action === 'number' ? `action ${s.action}` : undefined }, actionLabel(s?.action, names)),
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
        'div',
        { class: 'steps-scroll' },
        el(
          'table',
          {},
          el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'action'), el('th', {}, 'message'), el('th', {}, 'reward'), hasIntrinsic ? el('th', {}, 'intrinsic') : null)),
          el('tbody', {}, ...rows),
        ),
      ),
    );
  }

  /**
   * Frame k shows the state after step k − 1 (frame 0: the start); that step's row is highlighted.
   * @param {EpisodeFrame[]} frames
   * @param {EpisodeStep[]} steps
   * @param {string[] | undefined} names
   * @param {HTMLElement | null} table the steps table, to highlight in
   */
  framePlayer(frames, steps, names, table) {
    const canvas = el('canvas', { class: 'frame' });
    const slider = el('input', { type: 'range', min: 0, max: frames.length - 1, value: 0, step: 1 });
    const label = el('span', { class: 'muted frame-label' });
    const play = el('button', { type: 'button', class: 'small' }, 'play');
    const ctx = canvas.getContext('2d');
    let i = 0;
    /** @type {ReturnType<typeof setInterval> | null} */
    let timer = null;
    const highlight = (/** @type {number} */ row) => {
      if (!table) return;
      table.querySelector('tr.current')?.classList.remove('current');
      const tr = table.querySelector(`tr[data-step="${row}"]`);
      if (!tr) return;
      tr.classList.add('current');
      // Keep the row in view inside the table's own scroll box, without scrolling the page.
      const box = tr.closest('.steps-scroll');
      if (box instanceof HTMLElement && tr instanceof HTMLElement) {
        const top = tr.offsetTop - box.clientHeight / 2;
        box.scrollTop = Math.max(0, top);
      }
    };
    const draw = (/** @type {number} */ k) => {
      i = k;
      const f = frames[k];
      if (!f || !ctx) return;
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
        const r = rgb[p * channels] ?? 0;
        img.data[p * 4] = r;
        img.data[p * 4 + 1] = channels === 3 ? rgb[p * 3 + 1] ?? 0 : r;
        img.data[p * 4 + 2] = channels === 3 ? rgb[p * 3 + 2] ?? 0 : r;
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      slider.value = String(k);
      const s = k > 0 ? steps[k - 1] : undefined;
      label.textContent = `frame ${k + 1}/${frames.length}${s ? ` · after step ${k - 1}: ${actionLabel(s.action, names)} · reward ${fmt(s.reward)}` : ' · start'}`;
      canvas.dataset.frame = String(k);
      highlight(k - 1);
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
