/**
 * The Redis transport's config: one typed, validated object. Every role of one run (learner, actors,
 * annotator) must use the same `url` and `namespace`; the other options may differ per process.
 *
 * Every option is declared once (core/schema.ts) with its default and doc. Unknown keys and bad values
 * throw a ConfigError naming the key (`redis.maxQueued`), the value and what is valid; a URL is shown
 * with its password hidden.
 */
import { ConfigError, defaults, joinKey, parse, show, type Infer, type Schema } from '../../../core/schema.ts';

export const REDIS_TLS_OPTIONS = {
  caFile: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: "PEM file of the CA that signed the server's certificate (a self-signed server cert works too)." },
  certFile: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'PEM client certificate, for servers started with `tls-auth-clients yes`; goes with keyFile.' },
  keyFile: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'PEM private key of `certFile`.' },
  rejectUnauthorized: { type: 'boolean', default: true, doc: "Verify the server's certificate. Turn off only for throwaway test servers." },
  servername: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: "Host name to check the certificate against (SNI); null = the URL's host." },
} as const satisfies Schema;

export const REDIS_TRANSPORT_OPTIONS = {
  url: {
    type: 'string', default: 'redis://127.0.0.1:6379',
    doc: '`redis://[[user]:password@]host[:port][/db]` or `rediss://...` for TLS. The default is loopback: nothing here ever listens, and Redis itself should be bound to 127.0.0.1 unless the run spans machines.',
  },
  namespace: {
    type: 'string', default: 'thrive', pattern: { re: /^[A-Za-z0-9._:-]+$/, what: "letters, digits, '.', '_', '-', ':'" },
    doc: 'Key prefix shared by every process of one run (`<namespace>:traj`, `<namespace>:w:<version>`, ...). Two runs on one Redis must use different namespaces.',
  },
  tls: { type: 'object', schema: REDIS_TLS_OPTIONS, doc: 'TLS details for `rediss://` URLs (CA, client cert). Ignored for `redis://`.' },
  maxQueued: {
    type: 'int', default: 64, min: 1,
    doc: "Memory bound: the trajectory stream holds at most this many unacknowledged messages; an actor's `send` waits while it is full (checked and appended atomically in one Lua script, so the cap is exact however many actors there are). Policy lag is bounded by the credits (`maxStaleness`), which are usually the tighter limit.",
  },
  maxStaleness: {
    type: 'int', default: null, nullable: true, min: 0,
    doc: 'Flow control: an actor takes a credit before it samples a task, granted only while every outstanding task can still be trained within this policy lag (runner/transport/redis/flow.ts), so lag stays within it by construction. The role commands set it from actors.maxStaleness; the learner writes its value to Redis and every actor uses that. null = no lag bound (credits are only counted).',
  },
  tasksPerUpdate: { type: 'int', default: 1, min: 1, doc: 'Actor messages one learner update consumes (groupsPerUpdate / actors.groupsPerTask), for the credit bound. The role commands set it from the experiment.' },
  leaseMs: { type: 'int', default: 5_000, min: 100, doc: "Lease of an actor's unsent credits and of a process's heartbeat (renewed every leaseMs / 4): an actor that dies holding credits frees them after this long, and is no longer counted live." },
  claimIdleMs: { type: 'int', default: 30_000, min: 10, doc: 'A message delivered to a consumer and not acknowledged within this many ms is taken over by another consumer (XAUTOCLAIM, Redis ≥ 6.2). Must exceed the longest time a live learner holds a batch.' },
  weightVersionsKept: { type: 'int', default: 3, min: 2, doc: 'Weight versions kept in Redis (older ones are deleted at publish); ≥ 2 so a slow fetch still finds one.' },
  annotationBacklog: { type: 'int', default: 1024, min: 1, doc: 'Annotation requests allowed to wait in Redis; `request()` drops (and counts) beyond this.' },
  dedupWindow: { type: 'int', default: 4096, min: 16, doc: 'Dedup memory per actor incarnation: acknowledged sequence numbers above the contiguous high-water mark that are remembered exactly. Beyond this the oldest are folded into the high-water mark.' },
  connectTimeoutMs: { type: 'int', default: 30_000, min: 0, doc: 'How long the first connection may take (retrying with backoff) before a clear error is thrown. 0 = forever.' },
  reconnectGiveUpMs: { type: 'int', default: 0, min: 0, doc: 'Once connected, how long an outage may last (reconnecting with backoff) before calls fail. 0 = forever.' },
  maxBackoffMs: { type: 'int', default: 5_000, min: 50, doc: 'Largest delay between reconnect attempts (exponential backoff from 50 ms, with jitter).' },
} as const satisfies Schema;

export type RedisTlsOptions = Infer<typeof REDIS_TLS_OPTIONS>;
export type RedisTransportConfig = Infer<typeof REDIS_TRANSPORT_OPTIONS>;

export const REDIS_TRANSPORT_DEFAULTS: Readonly<RedisTransportConfig> = Object.freeze(defaults(REDIS_TRANSPORT_OPTIONS));

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

/** Parse + the URL and TLS rules. `path` names the section in errors. */
export function validateRedisTransportConfig(partial: unknown = {}, path = 'redis'): RedisTransportConfig {
  // The URL may hold a password: never show it, even when it is the wrong type of value.
  let c: RedisTransportConfig;
  try {
    c = parse(REDIS_TRANSPORT_OPTIONS, partial, path);
  } catch (err) {
    const url = (partial as { url?: unknown } | null)?.url;
    if (typeof url === 'string' && err instanceof ConfigError) throw new ConfigError(err.message.split(url).join(redactUrl(url)));
    throw err;
  }
  const key = (k: string) => `config key '${joinKey(path, k)}'`;
  let parsed: URL;
  try {
    parsed = new URL(c.url);
  } catch {
    throw new ConfigError(`${key('url')} is not a URL: ${show(redactUrl(c.url))}. Valid: redis://[:password@]host[:port][/db] or rediss://... (TLS)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(`${key('url')} must start with redis:// or rediss://, got ${show(parsed.protocol + '//')}`);
  }
  if (parsed.pathname && parsed.pathname !== '/' && !/^\/\d+$/.test(parsed.pathname)) {
    throw new ConfigError(`${key('url')} has path ${show(parsed.pathname)}; the only valid path is a database number like /0`);
  }
  if ((c.tls.certFile === null) !== (c.tls.keyFile === null)) {
    throw new ConfigError(`config keys '${joinKey(path, 'tls.certFile')}' and '${joinKey(path, 'tls.keyFile')}' go together: give both or neither`);
  }
  return c;
}
