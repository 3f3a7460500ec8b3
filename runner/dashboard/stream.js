// The page's side of the stream protocol (runner/stream/protocol.ts, docs/dashboard.md): msgpack frames,
// decoded by msgpackr's decoder served from node_modules. Reconnects with backoff; the server replays
// its recent history on every (re)subscribe, and seq numbers let us skip what we already have.
import { unpack } from '/vendor/msgpackr/unpack.js';

export const PROTOCOL_VERSION = 1;

export class StreamClient {
  /**
   * @param {string} url ws://host:port/ws (query added here)
   * @param {{ token?: string, topics: string[], onData: (m) => void, onStatus: (state, info) => void, onControl?: (m) => void, onNewRun?: () => void }} opts
   *   onNewRun: the address now serves a different run (its seqs restart); default reloads the page.
   */
  constructor(url, opts) {
    this.url = url;
    this.opts = opts;
    this.lastSeq = {};
    this.received = 0;
    this.dropped = 0;
    this.backoff = 500;
    this.stopped = false;
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
      if (this.stopped) return;
      if (ev.code === 1001 || this.ended) {
        this.opts.onStatus('ended', ev.reason || 'run ended');
        return;
      }
      this.opts.onStatus('disconnected', `reconnecting in ${(this.backoff / 1000).toFixed(1)} s`);
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10_000);
    };
  }

  handle(m) {
    if (!m || typeof m !== 'object') return;
    if (m.v !== PROTOCOL_VERSION) {
      this.stopped = true;
      this.ws.close();
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
        this.opts.onStatus('open', m.runName ?? '');
        this.opts.onControl?.(m);
        break;
      case 'data': {
        // After a reconnect the history replay repeats what we have: keep only newer seqs.
        if ((this.lastSeq[m.topic] ?? 0) >= m.seq) return;
        this.lastSeq[m.topic] = m.seq;
        this.received++;
        if (m.topic === 'event' && m.data?.kind === 'end') this.ended = true;
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

  close() {
    this.stopped = true;
    this.ws?.close();
  }
}
