/**
 * The Redis form of `Transport` (runner/transport/types.ts): one object per process, whatever its role.
 * Connections, a fixed handful whatever the run's length: one for commands (shared by everything), one in
 * subscriber mode (weight announcements and "space freed" notices, opened on first use), and one per
 * blocking reader, opened on its first blocking read and reused for every read after (XREADGROUP BLOCK
 * would stall every other command queued behind it on a shared connection).
 */
import type { Redis } from 'ioredis';
import type { Transport, TransportNotice } from '../types.ts';
import { RedisAnnotationChannel, RedisAnnotationQueue, type AnnotationContext } from './annotations.ts';
import { redactUrl, validateRedisTransportConfig, type RedisTransportConfig } from './config.ts';
import { defaultRedisLog, openClient, OutageTracker, type OpenedClient, type RedisLog } from './connection.ts';
import { outstandingCredits } from './flow.ts';
import { redisKeys, type RedisKeys } from './keys.ts';
import { announce, combineAnnotatorMetrics, readPresence, type PresenceRecord, type PresenceRole } from './presence.ts';
import { RedisTrajectorySink, RedisTrajectorySource, type TrajectoryContext } from './trajectories.ts';
import { RedisWeightPublisher, RedisWeightSubscriber, type AnnounceBus } from './weights.ts';

export interface RedisTransportOptions {
  /** Where outage and drop notices go (default: stderr with a `[thrive:redis]` prefix). */
  log?: RedisLog;
  /** Names this process's connections in CLIENT LIST (e.g. 'learner', 'actor-3'). */
  name?: string;
  /**
   * The outage tracker to report to. Give every transport of one process the same one (the role commands
   * do), so an outage is logged and counted once per process; default: a new one.
   */
  outages?: OutageTracker;
}

export class RedisTransport implements Transport {
  readonly kind = 'redis' as const;
  readonly keys: RedisKeys;
  private closed = false;
  private sub: Promise<OpenedClient> | null = null;
  private readonly channels = new Map<string, { onMessage: Set<(m: string) => void>; onReconnect: Set<() => void> }>();
  /** Blocking-reader connections by name: opened once, reused for every read. */
  private readonly blockers = new Map<string, Promise<OpenedClient>>();
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly spaceWaiters = new Set<() => void>();
  private spaceSubscribed: Promise<unknown> | null = null;
  private readonly sources: RedisTrajectorySource[] = [];
  private readonly sinks: RedisTrajectorySink[] = [];
  private readonly channelsOut: RedisAnnotationChannel[] = [];
  /** The learner's view of the run's other processes (refreshed once a second once watched). */
  private live: PresenceRecord[] = [];
  private liveTimer: NodeJS.Timeout | null = null;
  private credits = NaN;

  private constructor(
    readonly config: RedisTransportConfig,
    private readonly main: OpenedClient,
    private readonly log: RedisLog,
    private readonly name: string,
    readonly outages: OutageTracker,
  ) {
    this.keys = redisKeys(config.namespace);
  }

  /** Validates the config, connects (retrying with backoff up to connectTimeoutMs) and checks the server. */
  static async connect(partial: unknown, options: RedisTransportOptions = {}): Promise<RedisTransport> {
    const config = validateRedisTransportConfig(partial);
    const log = options.log ?? defaultRedisLog;
    const name = options.name ?? `pid${process.pid}`;
    const outages = options.outages ?? new OutageTracker(log, redactUrl(config.url), config.maxBackoffMs);
    const main = await openClient(config, `${name}:cmd`, log, outages);
    const info = await main.client.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    if (version && (Number(version[1]) < 6 || (Number(version[1]) === 6 && Number(version[2]) < 2))) {
      await main.close();
      throw new Error(`Redis ${version[1]}.${version[2]} is too old: the transport needs XAUTOCLAIM (Redis >= 6.2)`);
    }
    return new RedisTransport(config, main, log, name, outages);
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

  /** The blocking reader `name`'s own connection: opened on first use, then the same one every time. */
  private async blockingClient(name: string): Promise<Redis> {
    if (this.closed) throw this.closedError();
    let opened = this.blockers.get(name);
    if (opened) {
      // Reopen only if the last attempt failed or the connection was abandoned (reconnectGiveUpMs).
      const o = await opened.catch(() => null);
      if (o && o.fatal() === undefined) return o.client;
      this.blockers.delete(name);
    }
    opened = openClient(this.config, `${this.name}:${name}`, this.log, this.outages);
    this.blockers.set(name, opened);
    return (await opened).client;
  }

  private async subscriber(): Promise<Redis> {
    if (!this.sub) {
      this.sub = openClient(this.config, `${this.name}:sub`, this.log, this.outages);
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
      flow: { maxStaleness: this.config.maxStaleness, tasksPerUpdate: this.config.tasksPerUpdate, leaseMs: this.config.leaseMs },
      maxBackoffMs: this.config.maxBackoffMs,
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
      annotators: () => combineAnnotatorMetrics(this.live),
    };
  }

  trajectorySink(actorId: string): RedisTrajectorySink {
    const s = new RedisTrajectorySink(this.trajectoryContext(), actorId);
    this.sinks.push(s);
    return s;
  }

  /** `consumerId` should be stable across restarts of the same learner: its pending messages then come back at once. */
  trajectorySource(consumerId: string): RedisTrajectorySource {
    const s = new RedisTrajectorySource(this.trajectoryContext(), consumerId);
    this.sources.push(s);
    this.watchPresence();
    return s;
  }

  /**
   * Keeps this process's heartbeat record in Redis until the transport closes: the learner counts live
   * actor processes and threads from them, and shows a remote annotator's `metrics()` on its dashboard.
   */
  announce(role: PresenceRole, id: string, info: { threads?: number } = {}, metrics?: () => Record<string, unknown>): void {
    const a = announce(this.cmd, this.keys, this.config.leaseMs, { role, id, ...info }, metrics);
    this.closers.push(() => a.stop());
  }

  /** The learner side: reads the heartbeats and the outstanding credits once a second (for metrics()). */
  private watchPresence(): void {
    if (this.liveTimer) return;
    let busy = false;
    const poll = async () => {
      if (busy || this.isClosed()) return;
      busy = true;
      try {
        this.live = await readPresence(this.cmd, this.keys);
        this.credits = await outstandingCredits(this.cmd, this.keys);
      } catch {
        // An outage: keep the last view.
      } finally {
        busy = false;
      }
    };
    void poll();
    this.liveTimer = setInterval(() => void poll(), 1000);
    this.liveTimer.unref();
  }

  /** See Transport.metrics: this process's outages and connections, the sources' counts, the live processes. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = { ...this.outages.stats() };
    if (this.sources.length > 0) {
      const sum = (k: 'duplicates' | 'reclaimed' | 'malformed' | 'readErrors' | 'seqGaps') => this.sources.reduce((a, s) => a + s.stats[k], 0);
      out.redisDuplicates = sum('duplicates');
      out.redisSeqGaps = sum('seqGaps');
      out.redisReclaimed = sum('reclaimed');
      out.redisMalformed = sum('malformed');
      out.redisReadErrors = sum('readErrors');
      const actors = this.live.filter((r) => r.role === 'actor');
      out.liveActors = actors.length;
      out.liveActorThreads = actors.reduce((a, r) => a + (r.threads ?? 0), 0);
      out.liveAnnotators = this.live.filter((r) => r.role === 'annotator').length;
      out.creditsOutstanding = this.credits;
    }
    if (this.sinks.length > 0) {
      const st = this.sinks.map((s) => s.stats);
      out.creditWaits = st.reduce((a, s) => a + s.credits.waits, 0);
      out.creditWaitMs = st.reduce((a, s) => a + s.credits.waitMs, 0);
      out.creditLeasesLost = st.reduce((a, s) => a + s.credits.leasesLost, 0);
    }
    return out;
  }

  onNotice(fn: (n: TransportNotice) => void): () => void {
    return this.outages.onNotice((n) => fn({ ...n }));
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
    this.channelsOut.push(c);
    this.watchPresence();
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
    if (this.liveTimer) clearInterval(this.liveTimer);
    // Flushing waits for Redis; during an outage give up after 2 s rather than hang the shutdown.
    const grace = (p: Promise<void>) => Promise.race([p.catch(() => undefined), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    for (const s of this.sources) await s.flush(2000);
    for (const s of this.sinks) await grace(s.close());
    for (const c of this.closers.splice(0)) await grace(c());
    this.closed = true;
    for (const w of [...this.spaceWaiters]) w();
    // Blocking readers are cut, not awaited: their pending XREADGROUP rejects and the reader returns [].
    for (const p of this.blockers.values()) void p.then((o) => o.close(), () => undefined);
    if (this.sub) await this.sub.then((o) => o.close(), () => undefined);
    await this.main.close('quit');
  }
}

/** Connects a Redis transport; see RedisTransportConfig for the options. */
export function createRedisTransport(partial: unknown, options?: RedisTransportOptions): Promise<RedisTransport> {
  return RedisTransport.connect(partial, options);
}
