/**
 * Opening Redis connections that survive outages without a crash loop.
 *
 * - The first connection retries with exponential backoff for `connectTimeoutMs`, then throws an Error
 *   naming the (password-redacted) URL and the last cause. Errors a retry cannot fix (wrong password,
 *   TLS certificate rejected, no such database) fail at once with the reason.
 * - After that, ioredis reconnects with the same backoff and re-sends queued commands (so calls wait
 *   instead of failing). With `reconnectGiveUpMs` > 0 the connection is abandoned after that long and
 *   pending calls reject.
 * - Outages are seen per process, not per connection: every connection of a process reports to one
 *   OutageTracker, which logs one line when the first connection is lost and one when the last is back
 *   (with the duration), counts outages and their seconds, and tells listeners (the learner's events).
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl, type RedisTransportConfig } from './config.ts';

export type RedisLog = (line: string) => void;

export const defaultRedisLog: RedisLog = (line) => console.error(`[thrive:redis] ${line}`);

/** Raised for failures a retry cannot fix. */
const PERMANENT = /WRONGPASS|NOAUTH|invalid password|invalid username|NOPERM|ERR DB index|self[- ]signed|unable to verify|CERT_|certificate|wrong version number|ERR_SSL/i;

function tlsOptions(config: RedisTransportConfig): RedisOptions['tls'] | undefined {
  if (!config.url.startsWith('rediss:')) return undefined;
  const t = config.tls;
  const read = (file: string | null, key: string) => {
    if (file === null) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`config key 'redis.tls.${key}': cannot read ${JSON.stringify(file)} (${(e as Error).message})`);
    }
  };
  return {
    ca: read(t.caFile, 'caFile'),
    cert: read(t.certFile, 'certFile'),
    key: read(t.keyFile, 'keyFile'),
    rejectUnauthorized: t.rejectUnauthorized,
    servername: t.servername ?? undefined,
  };
}

/** Exponential backoff from 50 ms, capped, with jitter so many actors do not reconnect in lockstep. */
export function backoffMs(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 50 * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

export interface OpenedClient {
  client: Redis;
  /** Set once the connection was abandoned (give-up time passed); calls then fail with it. */
  fatal(): Error | undefined;
  /** Closes the connection on purpose (not counted as an outage). `quit` waits for replies to queued calls, unless Redis is unreachable. */
  close(mode?: 'quit' | 'disconnect'): Promise<void>;
}

export interface OutageNotice {
  kind: 'redis-outage' | 'redis-back';
  message: string;
  /** Seconds the outage lasted ('redis-back'). */
  seconds?: number;
}

/**
 * One process's view of Redis being reachable. An outage starts when the first of the process's ready
 * connections closes unexpectedly and ends when every such connection is ready again: one log line each.
 */
export class OutageTracker {
  private readonly down = new Set<string>();
  private since = 0;
  private count = 0;
  private seconds = 0;
  private readonly listeners = new Set<(n: OutageNotice) => void>();
  /** Connections currently open (for the connection-count metric). */
  open = 0;

  constructor(private readonly log: RedisLog, private readonly where: string, private readonly maxBackoffMs: number) {}

  lost(conn: string, cause: string): void {
    if (this.down.has(conn)) return;
    this.down.add(conn);
    if (this.since !== 0) return;
    this.since = Date.now();
    this.count++;
    this.emit({
      kind: 'redis-outage',
      message: `Redis at ${this.where} unreachable (${cause}); reconnecting with backoff (up to ${this.maxBackoffMs} ms between attempts), calls wait meanwhile`,
    });
  }

  back(conn: string): void {
    if (!this.down.delete(conn) || this.down.size > 0 || this.since === 0) return;
    const s = (Date.now() - this.since) / 1000;
    this.seconds += s;
    this.since = 0;
    this.emit({ kind: 'redis-back', message: `Redis at ${this.where} is back after ${s.toFixed(1)} s`, seconds: s });
  }

  /** A connection closed on purpose or abandoned: it no longer keeps an outage open. */
  forget(conn: string): void {
    if (this.down.has(conn)) this.back(conn);
  }

  get reachable(): boolean {
    return this.since === 0;
  }

  /** Outages so far and their total seconds (the one going on included). */
  stats(): { redisOutages: number; redisOutageSeconds: number; redisConnections: number } {
    const ongoing = this.since === 0 ? 0 : (Date.now() - this.since) / 1000;
    return { redisOutages: this.count, redisOutageSeconds: this.seconds + ongoing, redisConnections: this.open };
  }

  onNotice(fn: (n: OutageNotice) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(n: OutageNotice): void {
    this.log(n.message);
    for (const fn of this.listeners) fn(n);
  }
}

/**
 * Opens a connection named `thrive:<name>` (visible in CLIENT LIST) and waits until it answers PING.
 * Its outages are reported to `tracker` (one per process: see connectRoleTransports).
 */
export async function openClient(config: RedisTransportConfig, name: string, log: RedisLog, tracker: OutageTracker): Promise<OpenedClient> {
  const where = redactUrl(config.url);
  let outageSince = 0;
  let lastError: Error | undefined;
  let fatal: Error | undefined;
  let ready = false;
  let closing = false;
  let permanent: ((e: Error) => void) | undefined;

  const client = new Redis(config.url, {
    connectionName: `thrive:${name}`,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    lazyConnect: false,
    tls: tlsOptions(config),
    retryStrategy(times) {
      if (outageSince === 0) outageSince = Date.now();
      const limit = ready ? config.reconnectGiveUpMs : config.connectTimeoutMs;
      if (limit > 0 && Date.now() - outageSince > limit) {
        fatal = new Error(`Redis at ${where} unreachable for more than ${limit} ms (${lastError?.message ?? 'no answer'}); giving up on connection '${name}'`);
        if (ready) log(fatal.message);
        return null;
      }
      return backoffMs(times, config.maxBackoffMs);
    },
  });

  client.on('error', (err: Error) => {
    lastError = err;
    if (!ready && PERMANENT.test(err.message)) permanent?.(err);
  });
  client.on('ready', () => {
    tracker.back(name);
    outageSince = 0;
    lastError = undefined;
  });
  client.on('close', () => {
    if (ready && !closing && fatal === undefined) tracker.lost(name, lastError?.message ?? 'connection closed');
  });
  client.on('reconnecting', () => {
    if (outageSince === 0) outageSince = Date.now();
  });
  client.once('end', () => {
    tracker.open--;
    tracker.forget(name);
  });
  tracker.open++;

  try {
    await new Promise<void>((resolve, reject) => {
      permanent = reject;
      client.ping().then(() => resolve(), reject);
      client.once('end', () => reject(fatal ?? new Error(`connection to ${where} closed`)));
    });
  } catch (e) {
    client.disconnect();
    const cause = (lastError ?? (e as Error)).message;
    const hint = /WRONGPASS|NOAUTH|password/i.test(cause)
      ? 'check the password in the URL (redis://:PASSWORD@host:port)'
      : /certificate|CERT_|self[- ]signed|SSL|TLS/i.test(cause)
        ? 'check tls.caFile (the CA of the server certificate) and that the URL uses rediss:// only for a TLS port'
        : /max number of clients/i.test(cause)
          ? "Redis is at its connection limit (maxclients): see CLIENT LIST for who holds the connections; each thrive process needs at most a handful"
          : 'is redis-server running there, and is the host/port right?';
    throw new Error(`cannot connect to Redis at ${where}: ${cause} (${hint})`);
  }
  ready = true;
  const close = async (mode: 'quit' | 'disconnect' = 'disconnect') => {
    closing = true;
    tracker.forget(name);
    // QUIT waits behind queued calls, which wait for Redis: during an outage, cut the connection instead.
    if (mode === 'quit' && client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  };
  return { client, fatal: () => fatal, close };
}
