/**
 * Weight broadcast through Redis: each version's bytes are stored once under a versioned key, and only
 * the version number goes out on a pub/sub channel (a multi-MB blob through pub/sub would be copied into
 * every subscriber's output buffer and dropped for slow readers). Actors fetch the newest when told.
 */
import type { Redis } from 'ioredis';
import type { WeightPublisher, WeightSubscriber } from '../types.ts';
import type { RedisKeys } from './keys.ts';
import { Script } from './streams.ts';

/**
 * Stores a version if it is newer than the latest, drops versions beyond the retention count, announces.
 *   KEYS: latest, versions zset, blob key     ARGV: version, bytes, keep, channel, blob key prefix
 * Returns the previous latest when the version is not newer (nothing stored), else -1 - (versions dropped).
 */
const PUBLISH = new Script(`
local v = tonumber(ARGV[1])
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= v then return tonumber(cur) end
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], v, ARGV[1])
local dropped = 0
while redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[3]) do
  local old = redis.call('ZPOPMIN', KEYS[2])[1]
  redis.call('DEL', ARGV[5] .. old)
  dropped = dropped + 1
end
redis.call('PUBLISH', ARGV[4], ARGV[1])
return -1 - dropped
`);

export class RedisWeightPublisher implements WeightPublisher {
  private last = -1;
  constructor(private readonly cmd: Redis, private readonly keys: RedisKeys, private readonly keep: number) {}

  /** The newest version stored in Redis by any learner of this namespace (-1 if none): resume numbering above it. */
  async latestPublished(): Promise<number> {
    const v = await this.cmd.get(this.keys.weightLatest);
    return v === null ? -1 : Number(v);
  }

  async publish(version: number, bytes: Uint8Array): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 0) throw new Error(`weight version must be an integer >= 0, got ${version}`);
    if (version <= this.last) throw new Error(`weight version ${version} is not newer than the last published (${this.last}); versions must strictly increase`);
    const blob = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const r = Number(await PUBLISH.run(this.cmd, [this.keys.weightLatest, this.keys.weightVersions, this.keys.weight(version)], [version, blob, this.keep, this.keys.weightAnnounce, this.keys.weightPrefix]));
    if (r >= 0) {
      throw new Error(`weight version ${version} is not newer than version ${r} already published in this namespace; a learner resuming from a checkpoint must continue above it (see RedisWeightPublisher.latestPublished())`);
    }
    this.last = version;
  }
}

/** Subscribes to announcements on a shared subscriber connection (see transport.ts). */
export interface AnnounceBus {
  subscribe(channel: string, onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
}

export class RedisWeightSubscriber implements WeightSubscriber {
  private latest = -1;
  private unsubscribe: Promise<() => Promise<void>>;
  private readonly listeners = new Set<(version: number) => void>();
  private closed = false;

  constructor(private readonly cmd: Redis, private readonly keys: RedisKeys, bus: AnnounceBus) {
    this.unsubscribe = bus.subscribe(keys.weightAnnounce, (m) => this.saw(Number(m)), () => void this.refresh());
    // Subscribe first, then read the latest: a publish in between is seen by one or the other. If the
    // subscription cannot be made, fetch() still works (it reads the latest itself); ready() reports why.
    this.unsubscribe.then(() => this.refresh(), () => undefined);
  }

  /** Resolves once subscribed and the stored latest version is known. */
  async ready(): Promise<void> {
    await this.unsubscribe;
    await this.refresh();
  }

  private saw(version: number): void {
    if (!Number.isFinite(version) || version <= this.latest) return;
    this.latest = version;
    for (const l of this.listeners) l(version);
  }

  private async refresh(): Promise<void> {
    if (this.closed) return;
    try {
      const v = await this.cmd.get(this.keys.weightLatest);
      if (v !== null) this.saw(Number(v));
    } catch {
      // Outage: the next announcement or reconnect refreshes.
    }
  }

  latestVersion(): number {
    return this.latest;
  }

  /** Calls `fn` with each newer version as it is announced (push, for actors that want to react at once). */
  onVersion(fn: (version: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The newest weights if newer than `have`. Calls made while one is in flight share it (a poller that
   * asks every 50 ms during an outage queues one read, not one per tick).
   */
  fetch(have: number): Promise<{ version: number; bytes: Uint8Array } | null> {
    const cur = this.fetching;
    if (cur && cur.have === have) return cur.p;
    const p = this.fetchOnce(have).finally(() => {
      if (this.fetching?.p === p) this.fetching = null;
    });
    this.fetching = { have, p };
    return p;
  }

  private fetching: { have: number; p: Promise<{ version: number; bytes: Uint8Array } | null> } | null = null;

  private async fetchOnce(have: number): Promise<{ version: number; bytes: Uint8Array } | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const v = await this.cmd.get(this.keys.weightLatest);
      if (v === null || Number(v) <= have) return null;
      const version = Number(v);
      this.saw(version);
      const blob = await this.cmd.getBuffer(this.keys.weight(version));
      // Null only if a newer publish dropped this version between the two reads: read the latest again.
      // Own ArrayBuffer (not a view into ioredis's reply buffer), so callers may transfer it to a thread.
      if (blob !== null) return { version, bytes: new Uint8Array(blob) };
    }
    throw new Error(`weights: the latest version kept changing faster than it could be fetched (raise weightVersionsKept)`);
  }

  /**
   * The bytes of exactly `version` (for a lockstep pipeline that samples with version j − 1), or null when it
   * was never published or is older than the `weightVersionsKept` newest.
   */
  async fetchExact(version: number): Promise<Uint8Array | null> {
    const blob = await this.cmd.getBuffer(this.keys.weight(version));
    return blob === null ? null : new Uint8Array(blob);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const off = await this.unsubscribe.catch(() => null);
    await off?.();
  }
}
