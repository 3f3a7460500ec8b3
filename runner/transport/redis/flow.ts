/**
 * Flow control for the trajectory stream: credits that keep every rollout's policy lag within
 * `maxStaleness` by construction, so backpressure — not the learner's stale filter — bounds lag.
 *
 * An actor takes a credit before it samples a task and gives it up only when the learner acknowledges
 * the message the task produced. Outstanding credits (sampling, queued, being trained) live in a sorted
 * set scored by the weight version each task samples with (`h`). A new credit is granted only if, for the
 * oldest outstanding version h_min (the new task's own version included),
 *
 *     outstanding after the grant  ≤  (S − (V − h_min)) · U + 1
 *
 * where V is the learner's newest published version, S = actors.maxStaleness and U the actor messages one
 * update consumes (groupsPerUpdate / actors.groupsPerTask). Why this bounds lag: the learner publishes one
 * version per update of U messages, holds fewer than U messages' worth of leftovers between updates, and
 * makes at most one update per batch. In the worst case every other outstanding message is trained before
 * message X, so X is checked at a version at most V + ⌊(U − 1 + outstanding − 1) / U⌋ ≤ h_X + S; each
 * update then raises V by one and removes U messages ahead of X, so the bound holds until X is trained,
 * however slow X's actor is (later grants are refused while X would be pushed past its bound). A
 * straggler thus makes the others wait instead of going stale. The check runs in one Lua script, so it
 * is exact however many actor processes there are.
 *
 * Credits of an actor that dies before sending expire: each unsent credit carries a lease (`leaseMs`)
 * that its actor renews; a sent credit has no lease (the learner's acknowledgement releases it, and a
 * learner restart finds the message again) — unless its entry vanished (deleted by hand, trimmed): such
 * orphans are cleared whenever the stream is empty, which a stall caused by them soon makes it. The learner's S and U are written to `NS:flow` so every actor
 * uses the learner's values.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.ts';
import { Script } from './streams.ts';

/** Milliseconds from Redis's own clock (all processes share it; no clock skew between machines). */
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: credits (zset by version), leases (zset by expiry ms), latest version, flow hash, trajectory stream
 * ARGV: credit id, version h, lease ms, fallback maxStaleness (-1 = none), fallback tasks per update
 * Returns {granted 0/1, outstanding, credits expired or orphaned now}.
 * A sent credit (lease +inf) belongs to an entry of the stream until the learner's ack releases it, so
 * with the stream empty every sent credit left is an orphan (its entry was deleted by hand or lost) and goes.
 */
const ACQUIRE = new Script(`${NOW_MS}
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('XLEN', KEYS[5]) == 0 then
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '+inf', '+inf')) do expired[#expired + 1] = m end
end
for _, m in ipairs(expired) do
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
end
local S = tonumber(redis.call('HGET', KEYS[4], 'maxStaleness') or ARGV[4])
local U = tonumber(redis.call('HGET', KEYS[4], 'tasksPerUpdate') or ARGV[5])
local h = tonumber(ARGV[2])
local out = redis.call('ZCARD', KEYS[1])
if S >= 0 then
  local V = tonumber(redis.call('GET', KEYS[3]) or ARGV[2])
  local hmin = h
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #oldest > 0 and tonumber(oldest[2]) < hmin then hmin = tonumber(oldest[2]) end
  if out + 1 > (S - (V - hmin)) * U + 1 then return {0, out, #expired} end
end
redis.call('ZADD', KEYS[1], h, ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return {1, out + 1, #expired}
`);

/**
 * KEYS: leases. ARGV: lease ms, credit ids. Extends the leases of unsent credits (a sent one has lease
 * +inf and is left alone); returns the ids that had no lease any more (expired).
 */
const RENEW = new Script(`${NOW_MS}
local lost = {}
for i = 2, #ARGV do
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if not s then lost[#lost + 1] = ARGV[i]
  elseif s ~= 'inf' then redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
end
return lost
`);

export interface FlowParams {
  /** actors.maxStaleness; null = no version bound (credits only counted). */
  maxStaleness: number | null;
  /** Actor messages per learner update (groupsPerUpdate / actors.groupsPerTask). */
  tasksPerUpdate: number;
  leaseMs: number;
}

export interface FlowStats {
  /** Credits granted. */
  granted: number;
  /** Times a task had to wait for a credit (once per task). */
  waits: number;
  /** Milliseconds tasks spent waiting for credits. */
  waitMs: number;
  /** Unsent credits whose lease ran out (seen at the next renewal): their tasks were held too long. */
  leasesLost: number;
  /** Credits this actor's requests cleared away: expired leases (dead actors) and orphans (entries gone). */
  freed: number;
}

/** One actor incarnation's credits. */
export class CreditLedger {
  private readonly unsent = new Set<string>();
  private n = 0;
  private timer: NodeJS.Timeout | null = null;
  private renewing = false;
  readonly stats: FlowStats = { granted: 0, waits: 0, waitMs: 0, leasesLost: 0, freed: 0 };

  constructor(
    private readonly cmd: Redis,
    private readonly keys: RedisKeys,
    private readonly params: FlowParams,
    private readonly waitForSpace: (ms: number) => Promise<void>,
  ) {}

  /**
   * Waits for a credit for a task that samples with version `version()` (re-read on every try: newer
   * weights may arrive meanwhile). Resolves with the credit id, or null once `cancelled()` holds.
   */
  async acquire(owner: string, version: () => number, cancelled: () => boolean): Promise<string | null> {
    const id = `${owner}:c${this.n++}`;
    let since = 0;
    for (;;) {
      if (cancelled()) return null;
      const [granted, , freed] = (await ACQUIRE.run(this.cmd, [this.keys.credits, this.keys.creditLeases, this.keys.weightLatest, this.keys.flow, this.keys.traj], [
        id, version(), this.params.leaseMs, this.params.maxStaleness ?? -1, this.params.tasksPerUpdate,
      ])) as [number, number, number];
      this.stats.freed += freed;
      if (granted === 1) break;
      if (since === 0) {
        since = Date.now();
        this.stats.waits++;
      }
      await this.waitForSpace(250);
    }
    if (since > 0) this.stats.waitMs += Date.now() - since;
    this.stats.granted++;
    this.unsent.add(id);
    this.timer ??= setInterval(() => void this.renew(), Math.max(50, Math.floor(this.params.leaseMs / 4)));
    this.timer.unref();
    return id;
  }

  /** The credit went into the stream with its message (the send script dropped its lease). */
  sent(id: string): void {
    this.unsent.delete(id);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.unsent.size === 0) return;
    this.renewing = true;
    try {
      // A lost credit is re-registered when its message is sent (see the send script), so it is only counted here.
      const lost = (await RENEW.run(this.cmd, [this.keys.creditLeases], [this.params.leaseMs, ...this.unsent])) as Buffer[] | string[];
      for (const id of lost) this.unsent.delete(String(id));
      this.stats.leasesLost += lost.length;
    } catch {
      // An outage: the leases run on Redis's clock, which waits with it; the next tick retries.
    } finally {
      this.renewing = false;
    }
  }

  /** Gives back the credits of tasks that will never be sent (the actor is stopping). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const ids = [...this.unsent];
    this.unsent.clear();
    if (ids.length > 0) await this.cmd.multi().zrem(this.keys.credits, ...ids).zrem(this.keys.creditLeases, ...ids).exec();
  }
}

/** The learner side: publishes its S and U so every actor's credits follow the learner's config. */
export async function publishFlow(cmd: Redis, keys: RedisKeys, params: FlowParams): Promise<void> {
  if (params.maxStaleness === null) await cmd.del(keys.flow);
  else await cmd.hset(keys.flow, 'maxStaleness', params.maxStaleness, 'tasksPerUpdate', params.tasksPerUpdate);
}

/** Outstanding credits (sampling, queued or being trained), for the learner's metrics. */
export function outstandingCredits(cmd: Redis, keys: RedisKeys): Promise<number> {
  return cmd.zcard(keys.credits);
}
