/**
 * The Redis transport's config: one typed, validated object. Every role of one run (learner, actors,
 * annotator) must use the same `url` and `namespace`; the other options may differ per process.
 *
 * Unknown keys and bad values throw a RedisConfigError naming the key, the value and what is valid.
 */

export interface RedisTlsOptions {
  /** PEM file of the CA that signed the server's certificate (a self-signed server cert works too). */
  caFile?: string;
  /** PEM client certificate, for servers started with `tls-auth-clients yes`. */
  certFile?: string;
  /** PEM private key of `certFile`. */
  keyFile?: string;
  /** Verify the server's certificate (default true). Turn off only for throwaway test servers. */
  rejectUnauthorized: boolean;
  /** Host name to check the certificate against (SNI); defaults to the URL's host. */
  servername?: string;
}

export interface RedisTransportConfig {
  /**
   * `redis://[[user]:password@]host[:port][/db]` or `rediss://...` for TLS. The default is loopback:
   * nothing here ever listens, and Redis itself should be bound to 127.0.0.1 unless the run spans machines.
   */
  url: string;
  /**
   * Key prefix shared by every process of one run (`<namespace>:traj`, `<namespace>:w:<version>`, ...).
   * Two runs on one Redis must use different namespaces. Letters, digits, '.', '_', '-', ':'.
   */
  namespace: string;
  /** TLS details for `rediss://` URLs (CA, client cert). Ignored for `redis://`. */
  tls: RedisTlsOptions;
  /**
   * Backpressure: the trajectory stream holds at most this many unacknowledged messages; an actor's
   * `send` waits while it is full (checked and appended atomically in one Lua script, so the cap is exact
   * however many actors there are). Like the in-process queue's capacity; IMPALA-style actors may run at
   * most this many messages ahead of the learner.
   */
  maxQueued: number;
  /**
   * A message delivered to a consumer and not acknowledged within this many ms is taken over by another
   * consumer (XAUTOCLAIM, Redis ≥ 6.2). Must exceed the longest time a live learner holds a batch.
   */
  claimIdleMs: number;
  /** Weight versions kept in Redis (older ones are deleted at publish); ≥ 2 so a slow fetch still finds one. */
  weightVersionsKept: number;
  /** Annotation requests allowed to wait in Redis; `request()` drops (and counts) beyond this. */
  annotationBacklog: number;
  /**
   * Dedup memory per actor incarnation: acknowledged sequence numbers above the contiguous high-water mark
   * that are remembered exactly. Beyond this the oldest are folded into the high-water mark.
   */
  dedupWindow: number;
  /** How long the first connection may take (retrying with backoff) before a clear error is thrown. 0 = forever. */
  connectTimeoutMs: number;
  /** Once connected, how long an outage may last (reconnecting with backoff) before calls fail. 0 = forever. */
  reconnectGiveUpMs: number;
  /** Largest delay between reconnect attempts (exponential backoff from 50 ms, with jitter). */
  maxBackoffMs: number;
}

export class RedisConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisConfigError';
  }
}

export const REDIS_TRANSPORT_DEFAULTS: RedisTransportConfig = {
  url: 'redis://127.0.0.1:6379',
  namespace: 'thrive',
  tls: { rejectUnauthorized: true },
  maxQueued: 64,
  claimIdleMs: 30_000,
  weightVersionsKept: 3,
  annotationBacklog: 1024,
  dedupWindow: 4096,
  connectTimeoutMs: 30_000,
  reconnectGiveUpMs: 0,
  maxBackoffMs: 5_000,
};

const KEYS = Object.keys(REDIS_TRANSPORT_DEFAULTS) as (keyof RedisTransportConfig)[];
const TLS_KEYS = ['caFile', 'certFile', 'keyFile', 'rejectUnauthorized', 'servername'] as const;

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(p: Record<string, unknown>, key: keyof RedisTransportConfig, min: number): number {
  const v = p[key];
  if (v === undefined) return REDIS_TRANSPORT_DEFAULTS[key] as number;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RedisConfigError(`redis transport config key '${key}' must be an integer >= ${min}, got ${show(v)}`);
  }
  return v;
}

/** Hides the password of a Redis URL, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** Checks a partial config, fills defaults, returns the full config. */
export function validateRedisTransportConfig(partial: unknown = {}): RedisTransportConfig {
  if (!isPlain(partial)) throw new RedisConfigError(`redis transport config must be an object, got ${show(partial)}`);
  for (const key of Object.keys(partial)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new RedisConfigError(`unknown redis transport config key '${key}'. Valid keys: ${KEYS.join(', ')}`);
    }
  }
  const url = partial.url ?? REDIS_TRANSPORT_DEFAULTS.url;
  if (typeof url !== 'string') throw new RedisConfigError(`redis transport config key 'url' must be a string, got ${show(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisConfigError(`redis transport config key 'url' is not a URL: ${show(redactUrl(url))}. Valid: redis://[:password@]host[:port][/db] or rediss://... (TLS)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisConfigError(`redis transport config key 'url' must start with redis:// or rediss://, got ${show(parsed.protocol + '//')}`);
  }
  if (parsed.pathname && parsed.pathname !== '/' && !/^\/\d+$/.test(parsed.pathname)) {
    throw new RedisConfigError(`redis transport config key 'url' has path ${show(parsed.pathname)}; the only valid path is a database number like /0`);
  }
  const namespace = partial.namespace ?? REDIS_TRANSPORT_DEFAULTS.namespace;
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9._:-]+$/.test(namespace)) {
    throw new RedisConfigError(`redis transport config key 'namespace' must be a non-empty string of letters, digits, '.', '_', '-', ':', got ${show(namespace)}`);
  }
  const tlsIn = partial.tls ?? {};
  if (!isPlain(tlsIn)) throw new RedisConfigError(`redis transport config key 'tls' must be an object, got ${show(tlsIn)}`);
  for (const key of Object.keys(tlsIn)) {
    if (!(TLS_KEYS as readonly string[]).includes(key)) {
      throw new RedisConfigError(`unknown redis transport config key 'tls.${key}'. Valid keys of 'tls': ${TLS_KEYS.join(', ')}`);
    }
  }
  const tls: RedisTlsOptions = { rejectUnauthorized: true };
  for (const key of ['caFile', 'certFile', 'keyFile', 'servername'] as const) {
    const v = tlsIn[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0) throw new RedisConfigError(`redis transport config key 'tls.${key}' must be a non-empty string, got ${show(v)}`);
    tls[key] = v;
  }
  if (tlsIn.rejectUnauthorized !== undefined) {
    if (typeof tlsIn.rejectUnauthorized !== 'boolean') throw new RedisConfigError(`redis transport config key 'tls.rejectUnauthorized' must be true or false, got ${show(tlsIn.rejectUnauthorized)}`);
    tls.rejectUnauthorized = tlsIn.rejectUnauthorized;
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new RedisConfigError(`redis transport config keys 'tls.certFile' and 'tls.keyFile' go together: give both or neither`);
  }
  return {
    url,
    namespace,
    tls,
    maxQueued: int(partial, 'maxQueued', 1),
    claimIdleMs: int(partial, 'claimIdleMs', 10),
    weightVersionsKept: int(partial, 'weightVersionsKept', 2),
    annotationBacklog: int(partial, 'annotationBacklog', 1),
    dedupWindow: int(partial, 'dedupWindow', 16),
    connectTimeoutMs: int(partial, 'connectTimeoutMs', 0),
    reconnectGiveUpMs: int(partial, 'reconnectGiveUpMs', 0),
    maxBackoffMs: int(partial, 'maxBackoffMs', 50),
  };
}
