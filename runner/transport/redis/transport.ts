/**
 * The Redis form of `Transport` (runner/transport/types.ts): one object per process, whatever its role.
 * Connections: one for commands (shared by everything), one in subscriber mode (weight announcements and
 * "space freed" notices, opened on first use), and one per blocking reader (XREADGROUP BLOCK would stall
 * every other command queued behind it on a shared connection).
 */
import type { Redis } from 'ioredis';
import type { Transport } from '../types.ts';
import { RedisAnnotationChannel, RedisAnnotationQueue, type AnnotationContext } from './annotations.ts';
import { validateRedisTransportConfig, type RedisTransportConfig } from './config.ts';
import { defaultRedisLog, openClient, type OpenedClient, type RedisLog } from './connection.ts';
import { redisKeys, type RedisKeys } from './keys.ts';
import { RedisTrajectorySink, RedisTrajectorySource, type TrajectoryContext } from './trajectories.ts';
import { RedisWeightPublisher, RedisWeightSubscriber, type AnnounceBus } from './weights.ts';

export interface RedisTransportOptions {
  /** Where outage and drop notices go (default: stderr with a `[thrive:redis]` prefix). */
  log?: RedisLog;
  /** Names this process's connections in CLIENT LIST (e.g. 'learner', 'actor-3'). */
  name?: string;
}

export class RedisTransport implements Transport {
  readonly kind = 'redis' as const;
  readonly keys: RedisKeys;
  private closed = false;
  private sub: Promise<OpenedClient> | null = null;
  private readonly channels = new Map<string, { onMessage: Set<(m: string) => void>; onReconnect: Set<() => void> }>();
  private readonly extra: Promise<OpenedClient>[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly spaceWaiters = new Set<() => void>();
  private spaceSubscribed: Promise<unknown> | null = null;

  private constructor(
    readonly config: RedisTransportConfig,
    private readonly main: OpenedClient,
    private readonly log: RedisLog,
    private readonly name: string,
  ) {
    this.keys = redisKeys(config.namespace);
  }

  /** Validates the config, connects (retrying with backoff up to connectTimeoutMs) and checks the server. */
  static async connect(partial: unknown, options: RedisTransportOptions = {}): Promise<RedisTransport> {
    const config = validateRedisTransportConfig(partial);
    const log = options.log ?? defaultRedisLog;
    const name = options.name ?? `pid${process.pid}`;
    const main = await openClient(config, `${name}:cmd`, log);
    const info = await main.client.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (version && (Number(version[1]) < 6 || (Number(version[1]) === 6 && Number(version[2]) < 2))) {
      main.client.disconnect();
      throw new Error(`Redis ${version[1]}.${version[2]} is too old: the transport needs XAUTOCLAIM (Redis >= 6.2)`);
    }
    return new RedisTransport(config, main, log, name);
  }

  get cmd(): Redis {
    return this.main.client;
  }

  private closedError(): Error {
    return this.main.fatal() ?? new Error('the Redis transport is closed');
  }

  private isClosed(): boolean {
    return this.closed || this.main.fatal() !== undefined;
  }

  private async blockingClient(name: string): Promise<Redis> {
    if (this.closed) throw this.closedError();
    const opened = openClient(this.config, `${this.name}:${name}`, this.log);
    this.extra.push(opened);
    return (await opened).client;
  }

  private async subscriber(): Promise<Redis> {
    if (!this.sub) {
      this.sub = openClient(this.config, `${this.name}:sub`, this.log);
      const { client } = await this.sub;
      client.on('message', (channel: string, message: string) => {
        for (const fn of this.channels.get(channel)?.onMessage ?? []) fn(message);
      });
      let first = true;
      client.on('ready', () => {
        // ioredis re-subscribes on reconnect; announcements sent during the outage were missed.
        if (first) return void (first = false);
        for (const c of this.channels.values()) for (const fn of c.onReconnect) fn();
      });
    }
    return (await this.sub).client;
  }

  private readonly bus: AnnounceBus = {
    subscribe: async (channel, onMessage, onReconnect) => {
      const client = await this.subscriber();
      let c = this.channels.get(channel);
      if (!c) {
        this.channels.set(channel, (c = { onMessage: new Set(), onReconnect: new Set() }));
        await client.subscribe(channel);
      }
      c.onMessage.add(onMessage);
      c.onReconnect.add(onReconnect);
      return async () => {
        c.onMessage.delete(onMessage);
        c.onReconnect.delete(onReconnect);
      };
    },
  };

  private waitForSpace(ms: number): Promise<void> {
    this.spaceSubscribed ??= this.bus.subscribe(this.keys.trajAcked, () => {
      const waiters = [...this.spaceWaiters];
      this.spaceWaiters.clear();
      for (const w of waiters) w();
    }, () => undefined).catch(() => (this.spaceSubscribed = null));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.spaceWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.spaceWaiters.add(done);
    });
  }

  private trajectoryContext(): TrajectoryContext {
    return {
      cmd: this.cmd,
      keys: this.keys,
      maxQueued: this.config.maxQueued,
      claimIdleMs: this.config.claimIdleMs,
      dedupWindow: this.config.dedupWindow,
      waitForSpace: (ms) => this.waitForSpace(ms),
      blockingClient: (n) => this.blockingClient(n),
      isClosed: () => this.isClosed(),
      closedError: () => this.closedError(),
      log: this.log,
    };
  }

  private annotationContext(): AnnotationContext {
    return {
      cmd: this.cmd,
      keys: this.keys,
      backlog: this.config.annotationBacklog,
      claimIdleMs: this.config.claimIdleMs,
      maxBackoffMs: this.config.maxBackoffMs,
      log: this.log,
      blockingClient: (n) => this.blockingClient(n),
      isClosed: () => this.isClosed(),
    };
  }

  trajectorySink(actorId: string): RedisTrajectorySink {
    return new RedisTrajectorySink(this.trajectoryContext(), actorId);
  }

  /** `consumerId` should be stable across restarts of the same learner: its pending messages then come back at once. */
  trajectorySource(consumerId: string): RedisTrajectorySource {
    return new RedisTrajectorySource(this.trajectoryContext(), consumerId);
  }

  weightPublisher(): RedisWeightPublisher {
    return new RedisWeightPublisher(this.cmd, this.keys, this.config.weightVersionsKept);
  }

  weightSubscriber(): RedisWeightSubscriber {
    const s = new RedisWeightSubscriber(this.cmd, this.keys, this.bus);
    this.closers.push(() => s.close());
    return s;
  }

  /** Requester side of annotation (the process holding the reward model). One reader name per run. */
  annotationChannel(readerName = 'learner'): RedisAnnotationChannel {
    const c = new RedisAnnotationChannel(this.annotationContext(), readerName);
    this.closers.push(() => c.close());
    return c;
  }

  /** Annotator side: requests in, labels out. */
  annotationQueue(consumerId: string): RedisAnnotationQueue {
    return new RedisAnnotationQueue(this.annotationContext(), consumerId);
  }

  /**
   * Deletes this namespace's keys (a fresh run). Actor incarnation counters are kept: an actor process that
   * is still running keeps its incarnation, and a restart must not reuse it. Returns how many keys went.
   */
  async purge(): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, found] = await this.cmd.scan(cursor, 'MATCH', `${this.config.namespace}:*`, 'COUNT', 500);
      cursor = next;
      const doomed = found.filter((k) => !/:actor:.*:incarnation$/.test(k));
      if (doomed.length > 0) n += await this.cmd.unlink(...doomed);
    } while (cursor !== '0');
    return n;
  }

  /** The run's state as the learner role last set it ('running', 'completed', ...), or null. */
  runState(): Promise<string | null> {
    return this.cmd.get(this.keys.runState);
  }

  setRunState(state: string): Promise<unknown> {
    return this.cmd.set(this.keys.runState, state);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Flushing waits for Redis; during an outage give up after 2 s rather than hang the shutdown.
    const grace = (p: Promise<void>) => Promise.race([p.catch(() => undefined), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    for (const c of this.closers.splice(0)) await grace(c());
    this.closed = true;
    for (const w of [...this.spaceWaiters]) w();
    // Blocking readers are cut, not awaited: their pending XREADGROUP rejects and the reader returns [].
    for (const p of this.extra) void p.then((o) => o.client.disconnect(), () => undefined);
    if (this.sub) await this.sub.then((o) => o.client.disconnect(), () => undefined);
    await this.main.client.quit().catch(() => this.main.client.disconnect());
  }
}

/** Connects a Redis transport; see RedisTransportConfig for the options. */
export function createRedisTransport(partial: unknown, options?: RedisTransportOptions): Promise<RedisTransport> {
  return RedisTransport.connect(partial, options);
}
