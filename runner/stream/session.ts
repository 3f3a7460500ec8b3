/**
 * One admitted ws client, from welcome to close: its ClientChannel (queue and replay, client.ts), the
 * heartbeat, the client's messages (ping, subscribe with or without history, unsubscribe) under a
 * per-client rate and a bad-message allowance, and the bookkeeping when it ends (close, error, eviction).
 */
import type { WebSocket } from 'ws';
import { ClientChannel, type ClientLimits, type ReplayBudget, type ReplaySource } from './client.ts';
import { PROTOCOL_VERSION, TOPICS, ClientMessageError, parseClientMessage } from './protocol.ts';
import type { ClientMessage, Topic, WelcomeMessage, WireFormat } from './protocol.ts';
import type { ClientRegistry } from './registry.ts';
import type { StreamServerOptions } from './options.ts';

export type SessionOptions = Pick<
  StreamServerOptions,
  'runName' | 'live' | 'maxMessageBytes' | 'maxQueueMessages' | 'maxQueueBytes' | 'highWaterBytes' | 'clientMessagesPerSecond' | 'maxBadMessages' | 'idleMs' | 'heartbeatMs'
>;

/** What every session shares: the registry it joins, where replayed history comes from, the replay pace. */
export interface SessionContext {
  options: SessionOptions;
  clients: ClientRegistry;
  source: ReplaySource;
  replayBudget: ReplayBudget;
}

function channelLimits(o: SessionOptions): ClientLimits {
  return {
    maxQueueMessages: o.maxQueueMessages,
    maxQueueBytes: o.maxQueueBytes,
    highWaterBytes: o.highWaterBytes,
    retryMs: 20,
    replayChunkBytes: { min: 16 * 1024, max: 256 * 1024 },
  };
}

/** Starts a client's session: welcome, the query's topics (with history), then its messages. */
export function openSession(ctx: SessionContext, ws: WebSocket, format: WireFormat, topics: Topic[]): void {
  const { clients, options: o } = ctx;
  clients.totals.connections++;
  const c = new ClientChannel(clients.nextId(), ws, format, channelLimits(o), o.clientMessagesPerSecond * 2, ctx.source, clients.budget, ctx.replayBudget);
  const stopHeartbeat = heartbeat(ws, o.heartbeatMs);
  const finish = (): void => {
    if (!clients.retire(c)) return;
    c.close();
    stopHeartbeat();
  };
  // Evicted: its slot is free at once, not when (if ever) the client answers the close.
  clients.add(c, finish);
  ws.on('close', finish);
  ws.on('error', (e: Error & { code?: string }) => {
    // ws reports oversized frames (WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) and protocol junk (WS_ERR_*)
    // here and closes that socket; a reset connection is just a client gone.
    if (e.code?.startsWith('WS_ERR_')) c.rejected++;
    finish();
  });

  c.sendNow(welcome(o, format, topics));
  subscribe(c, topics, true);

  let bad = 0;
  ws.on('message', (raw, isBinary) => {
    if (onClientMessage(ctx, c, raw as Buffer, isBinary)) return;
    if (++bad > o.maxBadMessages) ws.close(1008, 'too many bad messages');
  });
}

/** Pings every `ms`; a client that has not answered the previous ping is terminated. Returns the stop. */
function heartbeat(ws: WebSocket, ms: number): () => void {
  let alive = true;
  ws.on('pong', () => (alive = true));
  if (ms <= 0) return () => {};
  const beat = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, ms).unref();
  return () => clearInterval(beat);
}

function welcome(o: SessionOptions, format: WireFormat, topics: Topic[]): WelcomeMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'welcome',
    runName: o.runName ?? null,
    live: o.live,
    topics: TOPICS,
    subscribed: topics,
    format,
    serverTime: Date.now(),
    limits: { maxMessageBytes: o.maxMessageBytes, maxQueueMessages: o.maxQueueMessages, maxQueueBytes: o.maxQueueBytes, clientMessagesPerSecond: o.clientMessagesPerSecond, idleMs: o.idleMs },
  };
}

/**
 * One client message, under the client's token bucket (clientMessagesPerSecond, burst 2×). False when
 * it was bad or over the rate: counted as rejected and answered with an 'error' message.
 */
function onClientMessage(ctx: SessionContext, c: ClientChannel, raw: Buffer, isBinary: boolean): boolean {
  const perSecond = ctx.options.clientMessagesPerSecond;
  const now = Date.now();
  c.lastActive = now;
  c.tokens = Math.min(perSecond * 2, c.tokens + ((now - c.lastRefill) / 1000) * perSecond);
  c.lastRefill = now;
  try {
    if (c.tokens < 1) throw new ClientMessageError('rate-limited', `more than ${perSecond} messages per second`);
    c.tokens -= 1;
    answer(c, parseClientMessage(raw, isBinary), now);
    ctx.clients.shedIfOver();
    return true;
  } catch (e) {
    c.rejected++;
    const err = e instanceof ClientMessageError ? e : new ClientMessageError('bad-message', (e as Error).message);
    c.sendControl({ v: PROTOCOL_VERSION, type: 'error', code: err.code, message: err.message });
    return false;
  }
}

function answer(c: ClientChannel, m: ClientMessage, now: number): void {
  if (m.type === 'ping') {
    c.sendControl({ v: PROTOCOL_VERSION, type: 'pong', ...(m.id !== undefined ? { id: m.id } : {}), serverTime: now });
    return;
  }
  if (m.type === 'subscribe') {
    subscribe(c, m.topics, m.history !== false);
  } else {
    for (const t of m.topics) {
      c.topics.delete(t);
      c.cancelReplay(t);
    }
  }
  c.sendControl({ v: PROTOCOL_VERSION, type: 'subscribed', topics: [...c.topics] });
}

/** Adds topics; the newly added ones replay the hub's history (a cursor each: config first, then by time). */
function subscribe(c: ClientChannel, topics: Topic[], history: boolean): void {
  for (const t of topics) {
    if (c.topics.has(t)) continue;
    c.topics.add(t);
    if (history) c.startReplay(t);
  }
}
