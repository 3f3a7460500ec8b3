/**
 * A Node client of the stream (used by scripts/tail.ts, the tests and the benchmark): opens /ws,
 * decodes frames, and lets the caller listen or wait for a message.
 */
import WebSocket from 'ws';
import { decodeServerMessage } from './protocol.ts';
import type { ServerMessage, Topic, WireFormat } from './protocol.ts';

export interface ConnectStreamOptions {
  format?: WireFormat;
  /** Subscribed on connect (with history replay). */
  topics?: readonly Topic[] | '*';
  token?: string;
  headers?: Record<string, string>;
  /** Keep every decoded message in `messages` (tests). Default false. */
  record?: boolean;
  /**
   * Ping every third of the server's idle limit (welcome.limits.idleMs), so a quiet run does not make this
   * client look idle: a full server displaces idle clients first. Default false (tests, benchmarks).
   */
  keepAlive?: boolean;
}

export interface StreamConnection {
  ws: WebSocket;
  /** Every decoded message so far, when `record` was set; else empty. */
  messages: ServerMessage[];
  /** Adds a listener; the first one also gets the messages that arrived before it (e.g. the welcome). */
  onMessage(fn: (m: ServerMessage) => void): void;
  /** Resolves with the first message (already received, when recording, or future) matching `pred`. */
  waitFor(pred: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Connects; rejects with an Error carrying `status` when the server refuses the upgrade (401, 403, …). */
export function connectStream(url: string, opts: ConnectStreamOptions = {}): Promise<StreamConnection> {
  const u = new URL(url);
  if (opts.format) u.searchParams.set('format', opts.format);
  if (opts.topics) u.searchParams.set('topics', opts.topics === '*' ? '*' : opts.topics.join(','));
  if (opts.token) u.searchParams.set('token', opts.token);
  return new Promise((ok, fail) => {
    const ws = new WebSocket(u, { headers: opts.headers ?? {}, perMessageDeflate: false });
    const messages: ServerMessage[] = [];
    const listeners: ((m: ServerMessage) => void)[] = [];
    // Frames can arrive in the same read as the upgrade response, before the caller has had a chance
    // to call onMessage: keep them until the first listener comes.
    let early: ServerMessage[] | null = [];
    const waiters: { pred: (m: ServerMessage) => boolean; ok: (m: ServerMessage) => void }[] = [];
    let keepAlive: NodeJS.Timeout | undefined;
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => {
      clearInterval(keepAlive);
      done({ code, reason: reason.toString() });
    }));
    ws.on('message', (raw, isBinary) => {
      let m: ServerMessage;
      try {
        m = decodeServerMessage(raw as Buffer, isBinary);
      } catch {
        return;
      }
      if (opts.record) messages.push(m);
      if (opts.keepAlive && m.type === 'welcome' && m.limits.idleMs > 0 && !keepAlive) {
        keepAlive = setInterval(() => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'ping' })), Math.max(1000, m.limits.idleMs / 3));
        keepAlive.unref();
      }
      if (early) early.push(m);
      for (const fn of listeners) fn(m);
      for (const w of [...waiters]) {
        if (w.pred(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.ok(m);
        }
      }
    });
    ws.once('open', () =>
      ok({
        ws,
        messages,
        closed,
        onMessage: (fn) => {
          listeners.push(fn);
          if (early) {
            const backlog = early;
            early = null;
            for (const m of backlog) fn(m);
          }
        },
        close: () => ws.close(),
        waitFor(pred, timeoutMs = 5000) {
          const found = messages.find(pred) ?? early?.find(pred);
          if (found) return Promise.resolve(found);
          return new Promise((res, rej) => {
            const t = setTimeout(() => {
              waiters.splice(waiters.findIndex((w) => w.pred === pred), 1);
              rej(new Error(`timed out after ${timeoutMs} ms waiting for a message; last received: ${JSON.stringify(messages.slice(-2)).slice(0, 300)}`));
            }, timeoutMs);
            waiters.push({ pred, ok: (m) => (clearTimeout(t), res(m)) });
          });
        },
      }),
    );
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => fail(Object.assign(new Error(`server refused the stream: HTTP ${res.statusCode} ${body}`.trim()), { status: res.statusCode })));
    });
    ws.once('error', (e) => fail(e));
  });
}
