/**
 * Who gets a stream connection (the HTTP upgrade to /ws), checked before any ws work: loopback Host and
 * Origin or the token (guard.ts), a valid format and topic list, then the connection rate (HTTP 429)
 * and capacity — when maxClients are connected, the longest-idle client (idle ≥ idleMs) is displaced
 * with close 4001, else the newcomer gets HTTP 503.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { CLOSE_CODES, WIRE_FORMATS, parseTopicList } from './protocol.ts';
import type { Topic, WireFormat } from './protocol.ts';
import { HOST_REFUSAL, ORIGIN_REFUSAL, type RequestGuard } from './guard.ts';
import { connectionRate } from './rates.ts';
import type { ClientRegistry } from './registry.ts';

export interface AdmissionLimits {
  maxConnectionsPerSecond: number;
  maxClients: number;
  idleMs: number;
}

/** What a client asked for in the /ws query, or why it is refused (HTTP status and reason). */
type StreamRequest = { format: WireFormat; topics: Topic[] } | { status: number; reason: string };

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The listener for the HTTP server's 'upgrade' event; an admitted connection goes to `onConnection`. */
export function upgradeHandler(
  guard: RequestGuard,
  clients: ClientRegistry,
  limits: AdmissionLimits,
  wss: WebSocketServer,
  onConnection: (ws: WebSocket, format: WireFormat, topics: Topic[]) => void,
): UpgradeListener {
  const connectBudget = connectionRate(limits.maxConnectionsPerSecond);
  const refuse = (socket: Duplex, status: number, reason: string): void => {
    clients.totals.rejected++;
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
  };
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const r = streamRequest(req, guard);
    if ('status' in r) return refuse(socket, r.status, r.reason);
    if (!connectBudget()) return clients.totals.refusedRate++, refuse(socket, 429, `more than ${limits.maxConnectionsPerSecond} new connections per second; retry in a second`);
    if (clients.size >= limits.maxClients && !evictIdle(clients, limits.idleMs)) {
      return refuse(socket, 503, `too many clients (max ${limits.maxClients}, none idle for ${limits.idleMs} ms); retry later`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, r.format, r.topics));
  };
}

/** Host, path, token, Origin, then the query's format and topics, in that order. */
function streamRequest(req: IncomingMessage, guard: RequestGuard): StreamRequest {
  if (!guard.addressedHere(req)) return { status: 403, reason: HOST_REFUSAL };
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/ws') return { status: 404, reason: 'the stream endpoint is /ws' };
  if (!guard.authorized(req, url)) return { status: 401, reason: 'missing or wrong token' };
  if (!guard.originAllowed(req)) return { status: 403, reason: ORIGIN_REFUSAL };
  const format = (url.searchParams.get('format') ?? 'msgpack') as WireFormat;
  if (!WIRE_FORMATS.includes(format)) return { status: 400, reason: `format must be one of ${WIRE_FORMATS.join(', ')}` };
  try {
    return { format, topics: parseTopicList(url.searchParams.get('topics') ?? '') };
  } catch (e) {
    return { status: 400, reason: (e as Error).message };
  }
}

/** Frees a slot for a new client: the longest-idle client, when it has been idle for idleMs. */
function evictIdle(clients: ClientRegistry, idleMs: number): boolean {
  if (idleMs === 0) return false;
  const idlest = clients.idlest();
  if (!idlest || Date.now() - idlest.lastActive < idleMs) return false;
  clients.totals.evicted++;
  const ws = idlest.ws;
  clients.finish(idlest);
  ws.close(CLOSE_CODES.idleEvicted, 'idle while the server was full');
  // An idle client may never read our close frame: do not wait for its answer.
  setTimeout(() => ws.terminate(), 1000).unref();
  return true;
}
