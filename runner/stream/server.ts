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
 * Security (access.ts, guard.ts): binds 127.0.0.1 unless told otherwise; a non-loopback host requires a
 * token, which then guards /api and /ws (query `token=` or `Authorization: Bearer`). Without a token,
 * only requests addressed to a loopback name are answered (DNS rebinding) and a browser ws connection
 * must come from a loopback origin. Config messages and files are sent without secrets (secrets.ts).
 *
 * Bounded for any client behaviour (client.ts): per-client and global queue byte budgets, history replay
 * by cursor (no copies) paced by a global replay byte rate, at most maxClients connections of which the
 * longest idle is displaced when a new one needs the slot.
 *
 * This file only puts the parts together, one concern each:
 *   options.ts    the options, their defaults and validation
 *   http.ts       the HTTP side: static files, /protocol.js, /api
 *   admission.ts  which upgrades to /ws are accepted (Host/Origin/token, rate, capacity, idle eviction)
 *   session.ts    one client from welcome to close (subscribe, replay, its messages, heartbeat)
 *   broadcast.ts  hub → encoded frames (once per format) → subscribed clients' queues
 *   registry.ts   the connected clients, the global queue budget, stats
 *   guard.ts      the token and loopback Host/Origin checks per request
 *   rates.ts      the connection and replay token buckets
 */
import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { upgradeHandler } from './admission.ts';
import { broadcast, frameCache, replaySource } from './broadcast.ts';
import { RequestGuard } from './guard.ts';
import { httpHandler } from './http.ts';
import { validateStreamServerOptions, type StreamServerInput } from './options.ts';
import { replayRate } from './rates.ts';
import { ClientRegistry, type StreamServerStats } from './registry.ts';
import { folderCatalog, type RunCatalog } from './runs.ts';
import { openSession } from './session.ts';

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

/** Starts the run's server. Resolves once listening. */
export async function startStreamServer(options: StreamServerInput): Promise<StreamServer> {
  const o = validateStreamServerOptions(options);
  const hub = o.hub;
  const catalog: RunCatalog | undefined = o.runs ?? (o.runsDir !== null ? folderCatalog(o.runsDir) : undefined);
  const clients = new ClientRegistry(o.maxTotalQueueBytes);
  const guard = new RequestGuard(o.token, clients.totals);
  const frameOf = frameCache();
  const unsubscribe = broadcast(hub, clients, frameOf);
  const stats = (): StreamServerStats => clients.stats();

  const server = createServer(httpHandler({ guard, hub, catalog, runName: o.runName ?? null, live: o.live, stats }));
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxMessageBytes, perMessageDeflate: false });
  const session = { options: o, clients, source: replaySource(hub, frameOf), replayBudget: replayRate(o.replayMessagesPerSecond, o.replayBytesPerSecond) };
  server.on('upgrade', upgradeHandler(guard, clients, o, wss, (ws, format, topics) => openSession(session, ws, format, topics)));

  await listen(server, o.host, o.port);
  const port = (server.address() as { port: number }).port;
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${port}/`,
    wsUrl: `ws://${hostPart}:${port}/ws`,
    port,
    host: o.host,
    stats,
    close: () => (closing ??= shutdown(server, wss, clients, unsubscribe)),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(new Error(`startStreamServer: cannot listen on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'port in use' : e.message}`)),
    );
    server.listen(port, host, () => ok());
  });
}

/**
 * Stops publishing to clients, tells each the run ended (1001), and closes the server; clients that have
 * not closed after a second are cut off.
 */
function shutdown(server: Server, wss: WebSocketServer, clients: ClientRegistry, unsubscribe: () => void): Promise<void> {
  return new Promise<void>((done) => {
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
}
