// @ts-check
// The page's side of the stream protocol (runner/stream/messages.ts, docs/dashboard.md): msgpack frames,
// decoded by msgpackr's decoder served from node_modules. The protocol's version and topics come from
// ./protocol.js, which the server generates from its own source: the page never restates them.
// Reconnects with backoff; the server replays its recent history on every (re)subscribe, and seq
// numbers let us skip what we already have. Pings the server now and then so a quiet run does not make
// this page look idle (a full server displaces idle clients first).
import { unpack } from './vendor/msgpackr/unpack.js';
import { CLOSE_CODES, PROTOCOL_VERSION } from './protocol.js';

/**
 * @typedef {import('./protocol.js').ServerMessage} ServerMessage
 * @typedef {import('./protocol.js').DataMessage} DataMessage
 * @typedef {import('./protocol.js').Topic} Topic
 * @typedef {'connecting' | 'open' | 'disconnected' | 'ended' | 'error'} StreamState
 * @typedef {{
 *   token?: string,
 *   topics: Topic[],
 *   onData: (m: DataMessage) => void,
 *   onStatus: (state: StreamState, info?: string) => void,
 *   onControl?: (m: ServerMessage) => void,
 *   onNewRun?: () => void,
 * }} StreamOptions
 *   onNewRun: the address now serves a different run (its seqs restart); default reloads the page.
 */

export { PROTOCOL_VERSION };

export class StreamClient {
  /**
   * @param {string} url ws://host:port/ws (query added here)
   * @param {StreamOptions} opts
   */
  constructor(url, opts) {
    this.url = url;
    this.opts = opts;
    /** @type {Partial<Record<Topic, number>>} */
    this.lastSeq = {};
    this.received = 0;
    this.dropped = 0;
    this.backoff = 500;
    this.stopped = false;
    this.ended = false;
    /** @type {string | null | undefined} */
    this.runName = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.keepAlive = undefined;
    /** @type {WebSocket | undefined} */
    this.ws = undefined;
    this.connect();
  }

  connect() {
    const q = new URLSearchParams({ format: 'msgpack', topics: this.opts.topics.join(',') });
    if (this.opts.token) q.set('token', this.opts.token);
    const ws = new WebSocket(`${this.url}?${q}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.opts.onStatus('connecting');
    ws.onopen = () => {
      this.backoff = 500;
    };
    ws.onmessage = (ev) => {
      /** @type {unknown} */
      let m;
      try {
        m = typeof ev.data === 'string' ? JSON.parse(ev.data) : unpack(new Uint8Array(ev.data));
      } catch (e) {
        console.warn('undecodable frame', e);
        return;
      }
      this.handle(m);
    };
    ws.onclose = (ev) => {
      clearInterval(this.keepAlive);
      if (this.stopped) return;
      if (ev.code === 1001 || this.ended) {
        this.opts.onStatus('ended', ev.reason || 'run ended');
        return;
      }
      const why = ev.code === CLOSE_CODES.idleEvicted ? 'displaced while idle; ' : '';
      this.opts.onStatus('disconnected', `${why}reconnecting in ${(this.backoff / 1000).toFixed(1)} s`);
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10_000);
    };
  }

  /** @param {unknown} raw */
  handle(raw) {
    if (!raw || typeof raw !== 'object') return;
    const m = /** @type {ServerMessage} */ (raw);
    if (m.v !== PROTOCOL_VERSION) {
      this.stopped = true;
      this.ws?.close();
      this.opts.onStatus('error', `server speaks protocol v${m.v}, this page v${PROTOCOL_VERSION}`);
      return;
    }
    switch (m.type) {
      case 'welcome':
        // Same address, different run (a new run reused the port): its seqs restart, start afresh.
        if (this.runName !== undefined && m.runName !== this.runName) {
          this.lastSeq = {};
          if (this.opts.onNewRun) this.opts.onNewRun();
          else return location.reload();
        }
        this.runName = m.runName;
        this.startKeepAlive(m.limits.idleMs);
        this.opts.onStatus('open', m.runName ?? '');
        this.opts.onControl?.(m);
        break;
      case 'data': {
        // After a reconnect the history replay repeats what we have: keep only newer seqs.
        if ((this.lastSeq[m.topic] ?? 0) >= m.seq) return;
        this.lastSeq[m.topic] = m.seq;
        this.received++;
        const d = /** @type {{ kind?: unknown } | null} */ (m.data);
        if (m.topic === 'event' && d?.kind === 'end') this.ended = true;
        this.opts.onData(m);
        break;
      }
      case 'dropped':
        this.dropped += m.count;
        this.opts.onControl?.(m);
        break;
      default:
        this.opts.onControl?.(m);
    }
  }

  /**
   * A ping every third of the server's idle limit: this page is in use even when the run is quiet.
   * @param {number} idleMs
   */
  startKeepAlive(idleMs) {
    clearInterval(this.keepAlive);
    if (!(idleMs > 0)) return;
    let id = 0;
    this.keepAlive = setInterval(() => {
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'ping', id: ++id }));
    }, Math.max(1000, idleMs / 3));
  }

  close() {
    this.stopped = true;
    clearInterval(this.keepAlive);
    this.ws?.close();
  }
}
