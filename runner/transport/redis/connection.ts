/**
 * Opening Redis connections that survive outages without a crash loop.
 *
 * - The first connection retries with exponential backoff for `connectTimeoutMs`, then throws an Error
 *   naming the (password-redacted) URL and the last cause. Errors a retry cannot fix (wrong password,
 *   TLS certificate rejected, no such database) fail at once with the reason.
 * - After that, ioredis reconnects with the same backoff and re-sends queued commands (so calls wait
 *   instead of failing); one line is logged when an outage starts and one when it ends. With
 *   `reconnectGiveUpMs` > 0 the connection is abandoned after that long and pending calls reject.
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
}

/**
 * Opens a connection named `thrive:<name>` (visible in CLIENT LIST) and waits until it answers PING.
 */
export async function openClient(config: RedisTransportConfig, name: string, log: RedisLog): Promise<OpenedClient> {
  const where = redactUrl(config.url);
  let outageSince = 0;
  let lastError: Error | undefined;
  let fatal: Error | undefined;
  let ready = false;
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
    const first = lastError === undefined || outageSince === 0;
    lastError = err;
    if (!ready && PERMANENT.test(err.message)) permanent?.(err);
    if (ready && first) log(`connection '${name}' to ${where} failed: ${err.message}; reconnecting with backoff (up to ${config.maxBackoffMs} ms between attempts)`);
  });
  client.on('ready', () => {
    if (ready && outageSince > 0) log(`connection '${name}' to ${where} is back after ${((Date.now() - outageSince) / 1000).toFixed(1)} s`);
    outageSince = 0;
    lastError = undefined;
  });
  client.on('reconnecting', () => {
    if (outageSince === 0) outageSince = Date.now();
  });

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
        : 'is redis-server running there, and is the host/port right?';
    throw new Error(`cannot connect to Redis at ${where}: ${cause} (${hint})`);
  }
  ready = true;
  return { client, fatal: () => fatal };
}
