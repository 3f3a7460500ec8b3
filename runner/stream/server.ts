/**
 * One HTTP server per run: the dashboard page and its assets (all from this package, no CDN), read-only
 * endpoints for runs on disk, and the ws endpoint /ws that streams the hub's topics.
 *
 *   GET /                          the dashboard (runner/dashboard/index.html)
 *   GET /<asset>                   files of runner/dashboard/ (.html .js .css .svg .png .ico)
 *   GET /protocol.js               the protocol's constants (messages.ts) as an ES module, for the page
 *   GET /vendor/uplot.esm.js       uPlot from node_modules (and /vendor/uplot.min.css)
 *   GET /vendor/msgpackr/unpack.js msgpackr's decoder, an ES module
 *   GET /api/info                  { v, runName, live, topics, hub stats, server stats }   (token if set)
 *   GET /api/runs                  the runs on disk, newest first                            (token if set)
 *   GET /api/runs/<name>/<file>    file ∈ RUN_FILES (config without secrets)               (token if set)
 *   GET /ws  (upgrade)             the stream; query: format=msgpack|json, topics=a,b|*, token
 *
 * Security (access.ts): binds 127.0.0.1 unless told otherwise; a non-loopback host requires a token,
 * which then guards /api and /ws (query `token=` or `Authorization: Bearer`). Without a token, only
 * requests addressed to a loopback name are answered (DNS rebinding) and a browser ws connection must
 * come from a loopback origin. Config messages and files are sent without secrets (secrets.ts).
 *
 * Bounded for any client behaviour (client.ts): per-client and global queue byte budgets, history replay
 * by cursor (no copies) paced by a global replay byte rate, at most maxClients connections of which the
 * longest idle is displaced when a new one needs the slot.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { ClientChannel, type ReplayBudget, type ReplaySource } from './client.ts';
import type { HubMessage, MetricsHub } from './hub.ts';
import * as messages from './messages.ts';
import { CLOSE_CODES, PROTOCOL_VERSION, TOPICS, WIRE_FORMATS, ClientMessageError, encodeServerMessage, parseClientMessage, parseTopicList, toWire } from './protocol.ts';
import type { Topic, WireFormat } from './protocol.ts';
import { RUN_FILES, folderCatalog, listRuns, openRunFile, type RunCatalog } from './runs.ts';
import { accessProblem, isLoopback, loopbackHost, loopbackOrigin } from './access.ts';
import { redactSecrets } from './secrets.ts';
import { ConfigError, defaults, parse, type Infer, type Input, type Schema } from '../../core/schema.ts';

const MiB = 1024 * 1024;

/** The stream server's options (all but the hub and a run catalog), declared once with their defaults and docs. */
export const STREAM_SERVER_OPTIONS = {
  host: { type: 'string', default: '127.0.0.1', nonEmpty: true, doc: 'Interface to bind: 127.0.0.1 = this machine only. Anything else requires `token`.' },
  port: { type: 'int', default: 0, min: 0, max: 65535, doc: 'TCP port; 0 picks a free one (read it back from the result).' },
  token: { type: 'string', default: null, nullable: true, doc: 'Shared secret for /api and /ws (at least MIN_TOKEN_LENGTH = 16 printable characters, access.ts). Required when `host` is not loopback.' },
  runsDir: { type: 'string', default: null, nullable: true, doc: 'Directory of past runs (runs/) served read-only for overlays. null: no runs listed (unless `runs` is given).' },
  runName: { type: 'string', default: null, nullable: true, doc: 'Shown by the dashboard and sent in the welcome message.' },
  live: { type: 'boolean', default: true, doc: 'false: there is no live run, only runs on disk (`npm run view`); the page then shows those.' },
  maxMessageBytes: { type: 'int', default: 16 * 1024, min: 64, max: 16 * MiB, doc: 'Largest client → server frame accepted; larger closes that client with 1009.' },
  maxQueueMessages: { type: 'int', default: 8192, min: 1, max: 10_000_000, doc: 'Per-client outgoing queue cap in messages; the oldest are dropped (and counted) past it.' },
  maxQueueBytes: { type: 'int', default: 8 * MiB, min: 1024, max: 4096 * MiB, doc: 'Per-client outgoing queue cap in bytes; the oldest are dropped (and counted) past it.' },
  maxTotalQueueBytes: { type: 'int', default: 64 * MiB, min: 1024, max: 64 * 1024 * MiB, doc: 'Cap on the bytes queued over all clients; past it the longest queues lose their oldest frames (counted) first.' },
  highWaterBytes: { type: 'int', default: MiB, min: 1024, max: 1024 * MiB, doc: 'Stop handing frames to a socket whose unsent bytes exceed this (the rest waits in our queue).' },
  replayMessagesPerSecond: { type: 'int', default: 10_000, min: 10, max: 10_000_000, doc: 'History messages replayed to (re)subscribing clients per second, over all of them (burst: one second). With replayBytesPerSecond, bounds what connection churn and resubscribing cost the run.' },
  replayBytesPerSecond: { type: 'int', default: 16 * MiB, min: 1024, max: 64 * 1024 * MiB, doc: 'History bytes replayed per second, over all clients (burst: one second).' },
  maxConnectionsPerSecond: { type: 'int', default: 20, min: 1, max: 100_000, doc: 'New ws connections accepted per second (token bucket, burst 2×); beyond, HTTP 429 before any upgrade work. Bounds what connection churn costs.' },
  maxClients: { type: 'int', default: 32, min: 1, max: 100_000, doc: 'Concurrent ws clients. When full, a new client displaces the longest-idle one (idle ≥ idleMs), else is refused with HTTP 503.' },
  idleMs: { type: 'int', default: 10_000, min: 0, max: 3_600_000, doc: 'A client that neither sent a message nor took a frame for this long may be displaced when the server is full (close 4001). 0: never.' },
  clientMessagesPerSecond: { type: 'int', default: 20, min: 1, max: 100_000, doc: "Client messages per second allowed (token bucket, burst 2×); beyond, a 'rate-limited' error." },
  maxBadMessages: { type: 'int', default: 10, min: 0, max: 1_000_000, doc: 'Bad or rate-limited client messages tolerated before the server closes that client (1008).' },
  heartbeatMs: { type: 'int', default: 30_000, min: 0, max: 3_600_000, doc: 'Ping interval; a client that has not answered the previous ping is terminated. 0 disables.' },
} as const satisfies Schema;

interface Programmatic {
  /** The run's hub; the server subscribes to all its topics. Required (an empty one when not `live`). */
  hub: MetricsHub;
  /** Runs on disk to serve, instead of every run under `runsDir` (scripts/view.ts: the dirs it was given). */
  runs?: RunCatalog;
}

export type StreamServerOptions = Infer<typeof STREAM_SERVER_OPTIONS> & Programmatic;

/** What callers pass: the hub, and any options (undefined = the default). */
export type StreamServerInput = Input<typeof STREAM_SERVER_OPTIONS> & Programmatic;

export const DEFAULT_STREAM_SERVER_OPTIONS: Readonly<Omit<StreamServerOptions, 'hub' | 'runs'>> = Object.freeze(defaults(STREAM_SERVER_OPTIONS));

export { isLoopback };

/** Validates server options and fills defaults; throws naming the bad key/value and what is valid. */
export function validateStreamServerOptions(partial: StreamServerInput): StreamServerOptions {
  if (typeof partial !== 'object' || partial === null) throw new ConfigError('startStreamServer: options must be an object');
  const { hub, runs, ...rest } = partial;
  if (!hub || typeof (hub as MetricsHub).subscribe !== 'function') throw new ConfigError('startStreamServer: "hub" must be a MetricsHub');
  if (runs !== undefined && (typeof runs?.names !== 'function' || typeof runs?.dir !== 'function')) throw new ConfigError('startStreamServer: "runs" must be a RunCatalog (runs.ts: folderCatalog, listCatalog)');
  const o: StreamServerOptions = { ...parse(STREAM_SERVER_OPTIONS, rest, 'server'), hub, ...(runs ? { runs } : {}) };
  if (runs && o.runsDir !== null) throw new ConfigError('startStreamServer: give "runsDir" or "runs", not both');
  const problem = accessProblem(o.host, o.token);
  if (problem) throw new ConfigError(`startStreamServer: ${problem.message}`);
  return o;
}

export interface StreamServerStats {
  clients: number;
  connections: number;
  /** Frames handed to sockets, over all clients. */
  sent: number;
  bytesSent: number;
  /** Frames dropped for slow clients (oldest first, or history that left the hub before its replay), over all clients. */
  dropped: number;
  /** Client messages rejected (junk, unknown, rate-limited) plus clients refused or closed for oversize. */
  rejected: number;
  /** Requests refused because they were not addressed to a loopback name (no token): DNS rebinding. */
  refusedHost: number;
  /** Connections refused (429) over maxConnectionsPerSecond. */
  refusedRate: number;
  /** Idle clients displaced to make room for a new one. */
  evicted: number;
  /** Frames currently waiting in per-client queues, and their bytes. */
  queued: number;
  queuedBytes: number;
  /** History messages still to replay to late subscribers (cursors into the hub's history, not copies). */
  replayPending: number;
  /** Replay cursors over all clients (at most one per client and topic). */
  replayCursors: number;
  /** History bytes replayed so far. */
  replayedBytes: number;
}

export interface StreamServer {
  /** The dashboard page, e.g. http://127.0.0.1:41234/ (append ?token=… when a token is set). */
  url: string;
  /** The stream endpoint, e.g. ws://127.0.0.1:41234/ws. */
  wsUrl: string;
  port: number;
  host: string;
  stats(): StreamServerStats;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));
const UPLOT_DIST = dirname(require.resolve('uplot'));
const MSGPACKR_DIR = resolve(dirname(require.resolve('msgpackr')), '..');
const VENDOR: Record<string, string> = {
  'uplot.esm.js': join(UPLOT_DIST, 'uPlot.esm.js'),
  'uplot.min.css': join(UPLOT_DIST, 'uPlot.min.css'),
  'msgpackr/unpack.js': join(MSGPACKR_DIR, 'unpack.js'),
};
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};
const CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'";

/** `/protocol.js`: every value messages.ts exports, as an ES module (so the page never restates them). */
export function protocolModule(): string {
  const lines = ['// Generated by the stream server from runner/stream/messages.ts: the protocol the server speaks.'];
  for (const [k, v] of Object.entries(messages)) lines.push(`export const ${k} = Object.freeze(${JSON.stringify(v)});`);
  return lines.join('\n') + '\n';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Two token buckets, messages and bytes per second, each with a one-second burst. A message is allowed
 * while both have tokens left, and may take the byte bucket into debt (a frame larger than a second's
 * bytes still goes, and the debt is waited out).
 */
function replayRate(messagesPerSecond: number, bytesPerSecond: number): ReplayBudget {
  let messages = messagesPerSecond;
  let bytes = bytesPerSecond;
  let at = Date.now();
  const refill = () => {
    const now = Date.now();
    const dt = (now - at) / 1000;
    messages = Math.min(messagesPerSecond, messages + dt * messagesPerSecond);
    bytes = Math.min(bytesPerSecond, bytes + dt * bytesPerSecond);
    at = now;
  };
  return {
    take(n) {
      refill();
      if (messages < 1 || bytes <= 0) return false;
      messages -= 1;
      bytes -= n;
      return true;
    },
    waitMs() {
      refill();
      const m = messages >= 1 ? 0 : ((1 - messages) / messagesPerSecond) * 1000;
      const b = bytes > 0 ? 0 : (-bytes / bytesPerSecond) * 1000;
      return Math.ceil(Math.max(m, b)) + 1;
    },
  };
}

/** Starts the run's server. Resolves once listening. */
export async function startStreamServer(options: StreamServerInput): Promise<StreamServer> {
  const o = validateStreamServerOptions(options);
  const hub = o.hub;
  const catalog: RunCatalog | undefined = o.runs ?? (o.runsDir !== null ? folderCatalog(o.runsDir) : undefined);
  const tokenDigest = o.token === null ? undefined : digest(o.token);
  const clients = new Set<ClientChannel>();
  /** How each client's bookkeeping ends (on close, error or eviction). */
  const finishers = new Map<ClientChannel, () => void>();
  let nextId = 1;
  const totals = { connections: 0, sent: 0, bytesSent: 0, dropped: 0, rejected: 0, refusedHost: 0, refusedRate: 0, evicted: 0, replayedBytes: 0 };
  const budget = { queuedBytes: 0 };
  const replayBudget = replayRate(o.replayMessagesPerSecond, o.replayBytesPerSecond);
  const encoded = new WeakMap<HubMessage, Partial<Record<WireFormat, Buffer | string>>>();

  /** A hub message's frame in one format, encoded once (per format) however many clients get it. */
  function frameOf(msg: HubMessage, format: WireFormat): Buffer | string {
    let e = encoded.get(msg);
    if (!e) encoded.set(msg, (e = {}));
    let f = e[format];
    if (f === undefined) {
      // A config can carry a token; whatever the publisher did, it does not go over the stream.
      const data = msg.topic === 'config' ? redactSecrets(msg.data) : msg.data;
      f = encodeServerMessage({ v: PROTOCOL_VERSION, type: 'data', topic: msg.topic, seq: msg.seq, time: msg.time, data: toWire(data) }, format);
      e[format] = f;
    }
    return f;
  }
  const source: ReplaySource = { kept: (t) => hub.kept(t), at: (t, seq) => hub.at(t, seq), frame: frameOf };

  function authorized(req: IncomingMessage, url: URL): boolean {
    if (!tokenDigest) return true;
    const h = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (h?.startsWith('Bearer ') ? h.slice(7) : undefined);
    return given !== undefined && timingSafeEqual(digest(given), tokenDigest);
  }

  /** Without a token, only requests addressed to a loopback name (access.ts: DNS rebinding). */
  function addressedHere(req: IncomingMessage): boolean {
    if (tokenDigest || loopbackHost(req.headers.host)) return true;
    totals.refusedHost++;
    return false;
  }
  const HOST_REFUSAL = 'without a token this server answers only requests to 127.0.0.1, localhost or [::1] (the Host header); start the run with a token to reach it by another name';

  /** Over the global queue budget: the longest queues lose their oldest frames first. */
  function enforceBudget(): void {
    while (budget.queuedBytes > o.maxTotalQueueBytes) {
      let worst: ClientChannel | undefined;
      for (const c of clients) if (!worst || c.queuedBytes > worst.queuedBytes) worst = c;
      if (!worst || worst.queuedBytes === 0) break;
      worst.shedTo(Math.max(0, worst.queuedBytes - (budget.queuedBytes - o.maxTotalQueueBytes)));
    }
  }

  const unsubscribe = hub.subscribe('*', (msg) => {
    for (const c of clients) if (c.topics.has(msg.topic)) c.enqueue(frameOf(msg, c.format));
    if (budget.queuedBytes > o.maxTotalQueueBytes) enforceBudget();
  });

  // -------------------------------------------------------------------------------------------------
  // HTTP

  function send(res: ServerResponse, status: number, body: string | object, type = 'application/json'): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(text);
  }

  async function sendFile(res: ServerResponse, path: string, type: string, head: boolean): Promise<void> {
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile()) return send(res, 404, { error: 'not found' });
    res.writeHead(200, { 'content-type': type, 'content-length': s.size, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'content-security-policy': CSP });
    if (head) return void res.end();
    createReadStream(path).on('error', () => res.destroy()).pipe(res);
  }

  const protocolJs = protocolModule();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!addressedHere(req)) return send(res, 403, { error: HOST_REFUSAL });
    const url = new URL(req.url ?? '/', 'http://x');
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, { error: `method ${req.method} not allowed; this server is read-only (GET)` });
    let p: string;
    try {
      p = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, { error: 'malformed percent-encoding in the path' });
    }
    if (p.startsWith('/api/')) {
      if (!authorized(req, url)) return send(res, 401, { error: 'missing or wrong token (query ?token= or Authorization: Bearer)' });
      if (p === '/api/info') {
        return send(res, 200, { v: PROTOCOL_VERSION, runName: o.runName ?? null, live: o.live, topics: TOPICS, hub: hub.stats(), server: stats(), runsDir: catalog !== undefined });
      }
      if (p === '/api/runs') return send(res, 200, catalog ? await listRuns(catalog) : []);
      const m = /^\/api\/runs\/([^/]+)\/([^/]+)$/.exec(p);
      if (m) {
        if (!catalog) return send(res, 404, { error: 'this server has no runs directory' });
        if (!(m[2]! in RUN_FILES)) return send(res, 404, { error: `unknown run file "${m[2]}"; valid: ${Object.keys(RUN_FILES).join(', ')}` });
        try {
          const f = await openRunFile(catalog, m[1]!, m[2]!);
          res.writeHead(200, { 'content-type': f.type, 'content-length': f.size, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
          if (head) return void res.end();
          f.stream.on('error', () => res.destroy());
          return void f.stream.pipe(res);
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          return send(res, err.code === 'ENOENT' ? 404 : 400, { error: err.code === 'ENOENT' ? `run ${m[1]} has no ${m[2]}` : err.message });
        }
      }
      return send(res, 404, { error: `unknown endpoint ${p}; valid: /api/info, /api/runs, /api/runs/<name>/<${Object.keys(RUN_FILES).join('|')}>` });
    }
    if (p === '/protocol.js') {
      res.writeHead(200, { 'content-type': MIME['.js']!, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'content-security-policy': CSP });
      return void res.end(head ? undefined : protocolJs);
    }
    if (p.startsWith('/vendor/')) {
      const v = VENDOR[p.slice('/vendor/'.length)];
      if (!v) return send(res, 404, { error: 'not found' });
      return sendFile(res, v, MIME[extname(v)] ?? 'application/octet-stream', head);
    }
    const rel = p === '/' ? 'index.html' : p.slice(1);
    const type = MIME[extname(rel)];
    const full = resolve(DASHBOARD_DIR, rel);
    if (!type || !full.startsWith(DASHBOARD_DIR.endsWith(sep) ? DASHBOARD_DIR : DASHBOARD_DIR + sep)) return send(res, 404, { error: 'not found' });
    return sendFile(res, full, type, head);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, { error: (e as Error).message });
      else res.destroy();
    });
  });

  // -------------------------------------------------------------------------------------------------
  // WebSocket

  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxMessageBytes, perMessageDeflate: false });

  function refuse(socket: Duplex, status: number, reason: string): void {
    totals.rejected++;
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
  }

  /** New connections: a token bucket of maxConnectionsPerSecond, burst 2×. */
  let connectTokens = 2 * o.maxConnectionsPerSecond;
  let connectAt = Date.now();
  function connectBudget(): boolean {
    const now = Date.now();
    connectTokens = Math.min(2 * o.maxConnectionsPerSecond, connectTokens + ((now - connectAt) / 1000) * o.maxConnectionsPerSecond);
    connectAt = now;
    if (connectTokens < 1) return false;
    connectTokens -= 1;
    return true;
  }

  /** Frees a slot for a new client: the longest-idle client, when it has been idle for idleMs. */
  function evictIdle(): boolean {
    if (o.idleMs === 0) return false;
    let idlest: ClientChannel | undefined;
    for (const c of clients) if (!idlest || c.lastActive < idlest.lastActive) idlest = c;
    if (!idlest || Date.now() - idlest.lastActive < o.idleMs) return false;
    totals.evicted++;
    const ws = idlest.ws;
    finishers.get(idlest)?.();
    ws.close(CLOSE_CODES.idleEvicted, 'idle while the server was full');
    // An idle client may never read our close frame: do not wait for its answer.
    setTimeout(() => ws.terminate(), 1000).unref();
    return true;
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!addressedHere(req)) return refuse(socket, 403, HOST_REFUSAL);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/ws') return refuse(socket, 404, 'the stream endpoint is /ws');
    if (!authorized(req, url)) return refuse(socket, 401, 'missing or wrong token');
    if (!tokenDigest && !loopbackOrigin(req.headers.origin)) {
      return refuse(socket, 403, 'without a token, browser stream connections are accepted only from pages on 127.0.0.1, localhost or [::1]');
    }
    const format = (url.searchParams.get('format') ?? 'msgpack') as WireFormat;
    if (!WIRE_FORMATS.includes(format)) return refuse(socket, 400, `format must be one of ${WIRE_FORMATS.join(', ')}`);
    let topics: Topic[];
    try {
      topics = parseTopicList(url.searchParams.get('topics') ?? '');
    } catch (e) {
      return refuse(socket, 400, (e as Error).message);
    }
    if (!connectBudget()) return totals.refusedRate++, refuse(socket, 429, `more than ${o.maxConnectionsPerSecond} new connections per second; retry in a second`);
    if (clients.size >= o.maxClients && !evictIdle()) {
      return refuse(socket, 503, `too many clients (max ${o.maxClients}, none idle for ${o.idleMs} ms); retry later`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, format, topics));
  });

  function onConnection(ws: WebSocket, format: WireFormat, topics: Topic[]): void {
    totals.connections++;
    const c = new ClientChannel(nextId++, ws, format, {
      maxQueueMessages: o.maxQueueMessages,
      maxQueueBytes: o.maxQueueBytes,
      highWaterBytes: o.highWaterBytes,
      retryMs: 20,
      replayChunkBytes: { min: 16 * 1024, max: 256 * 1024 },
    }, o.clientMessagesPerSecond * 2, source, budget, replayBudget);
    clients.add(c);
    let bad = 0;
    let alive = true;
    ws.on('pong', () => (alive = true));
    const beat = o.heartbeatMs > 0
      ? setInterval(() => {
          if (!alive) return ws.terminate();
          alive = false;
          ws.ping();
        }, o.heartbeatMs).unref()
      : undefined;

    const finish = (): void => {
      if (!clients.has(c)) return;
      clients.delete(c);
      finishers.delete(c);
      totals.sent += c.sent;
      totals.bytesSent += c.bytesSent;
      totals.dropped += c.dropped;
      totals.rejected += c.rejected;
      totals.replayedBytes += c.replayedBytes;
      c.close();
      if (beat) clearInterval(beat);
    };
    // Evicted: its slot is free at once, not when (if ever) the client answers the close.
    finishers.set(c, finish);
    ws.on('close', finish);
    ws.on('error', (e: Error & { code?: string }) => {
      // ws reports oversized frames (WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) and protocol junk (WS_ERR_*)
      // here and closes that socket; a reset connection is just a client gone.
      if (e.code?.startsWith('WS_ERR_')) c.rejected++;
      finish();
    });

    c.sendNow({
      v: PROTOCOL_VERSION,
      type: 'welcome',
      runName: o.runName ?? null,
      live: o.live,
      topics: TOPICS,
      subscribed: topics,
      format,
      serverTime: Date.now(),
      limits: { maxMessageBytes: o.maxMessageBytes, maxQueueMessages: o.maxQueueMessages, maxQueueBytes: o.maxQueueBytes, clientMessagesPerSecond: o.clientMessagesPerSecond, idleMs: o.idleMs },
    });
    subscribe(c, topics, true);

    ws.on('message', (raw, isBinary) => {
      const now = Date.now();
      c.lastActive = now;
      c.tokens = Math.min(o.clientMessagesPerSecond * 2, c.tokens + ((now - c.lastRefill) / 1000) * o.clientMessagesPerSecond);
      c.lastRefill = now;
      try {
        if (c.tokens < 1) throw new ClientMessageError('rate-limited', `more than ${o.clientMessagesPerSecond} messages per second`);
        c.tokens -= 1;
        const m = parseClientMessage(raw as Buffer, isBinary);
        if (m.type === 'ping') {
          c.sendControl({ v: PROTOCOL_VERSION, type: 'pong', ...(m.id !== undefined ? { id: m.id } : {}), serverTime: now });
        } else if (m.type === 'subscribe') {
          subscribe(c, m.topics, m.history !== false);
          c.sendControl({ v: PROTOCOL_VERSION, type: 'subscribed', topics: [...c.topics] });
        } else {
          for (const t of m.topics) {
            c.topics.delete(t);
            c.cancelReplay(t);
          }
          c.sendControl({ v: PROTOCOL_VERSION, type: 'subscribed', topics: [...c.topics] });
        }
        if (budget.queuedBytes > o.maxTotalQueueBytes) enforceBudget();
      } catch (e) {
        c.rejected++;
        bad++;
        const err = e instanceof ClientMessageError ? e : new ClientMessageError('bad-message', (e as Error).message);
        c.sendControl({ v: PROTOCOL_VERSION, type: 'error', code: err.code, message: err.message });
        if (bad > o.maxBadMessages) ws.close(1008, 'too many bad messages');
      }
    });
  }

  /** Adds topics; the newly added ones replay the hub's history (a cursor each: config first, then by time). */
  function subscribe(c: ClientChannel, topics: Topic[], history: boolean): void {
    for (const t of topics) {
      if (c.topics.has(t)) continue;
      c.topics.add(t);
      if (history) c.startReplay(t);
    }
  }

  function stats(): StreamServerStats {
    const s: StreamServerStats = { clients: clients.size, ...totals, queued: 0, queuedBytes: 0, replayPending: 0, replayCursors: 0 };
    for (const c of clients) {
      s.sent += c.sent;
      s.bytesSent += c.bytesSent;
      s.dropped += c.dropped;
      s.rejected += c.rejected;
      s.replayedBytes += c.replayedBytes;
      s.queued += c.queued;
      s.queuedBytes += c.queuedBytes;
      s.replayPending += c.replayPending;
      s.replayCursors += c.replayCursors;
    }
    return s;
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(new Error(`startStreamServer: cannot listen on ${o.host}:${o.port}: ${e.code === 'EADDRINUSE' ? 'port in use' : e.message}`)),
    );
    server.listen(o.port, o.host, () => ok());
  });
  const port = (server.address() as { port: number }).port;
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${hostPart}:${port}/`,
    wsUrl: `ws://${hostPart}:${port}/ws`,
    port,
    host: o.host,
    stats,
    close(): Promise<void> {
      closing ??= new Promise<void>((done) => {
        unsubscribe();
        for (const c of clients) {
          c.close();
          c.ws.close(1001, 'run ended');
        }
        const t = setTimeout(() => {
          for (const c of clients) c.ws.terminate();
          server.closeAllConnections();
        }, 1000).unref();
        wss.close();
        server.close(() => {
          clearTimeout(t);
          done();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
