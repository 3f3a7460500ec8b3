/**
 * The stream server's options, declared once with their defaults and docs (core/schema.ts), and their
 * validation: bad values, and a host/token pair that would expose the stream (access.ts), throw naming
 * the key and what is valid.
 */
import type { MetricsHub } from './hub.ts';
import type { RunCatalog } from './runs.ts';
import { accessProblem } from './access.ts';
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
