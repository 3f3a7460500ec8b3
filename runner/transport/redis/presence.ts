/**
 * Which processes of a run are alive, and what they report: each actor and annotator process writes a
 * heartbeat (a small JSON record: role, id, pid, host, threads, and for an annotator its metrics) every
 * `ttlMs / 4`; a record whose heartbeat is older than `ttlMs` (Redis's clock) is gone. The learner reads
 * them once a second for its metrics (live actor processes and threads) and its annotator panel (the
 * remote annotator's metrics), so a dashboard of a multi-process run shows what runs elsewhere.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.ts';
import { Script } from './streams.ts';

export type PresenceRole = 'actor' | 'annotator';

export interface PresenceRecord {
  role: PresenceRole;
  id: string;
  pid: number;
  host: string;
  /** Unix ms when the process announced itself first. */
  since: number;
  /** Actor worker threads (actors). */
  threads?: number;
  /** Numeric metrics (the annotator's: rewards/' Annotator metrics plus its service's counts). */
  metrics?: Record<string, number>;
}

/** KEYS: live hash, expiry zset. ARGV: member, JSON, ttl ms. Drops records whose heartbeat expired. */
const BEAT = new Script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do redis.call('HDEL', KEYS[1], m) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
`);

/** KEYS: live hash, expiry zset. Returns the JSON of every record whose heartbeat has not expired. */
const READ = new Script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
if #alive == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(alive))
`);

/** Keeps one process's record fresh until `stop()`; a beat is skipped while the previous one is in flight. */
export function announce(
  cmd: Redis,
  keys: RedisKeys,
  ttlMs: number,
  record: { role: PresenceRole; id: string; threads?: number },
  metrics?: () => Record<string, unknown>,
): { stop(): Promise<void> } {
  const member = `${record.role}:${record.id}`;
  const base = { ...record, pid: process.pid, host: hostname(), since: Date.now() };
  let busy = false;
  const beat = async () => {
    if (busy) return;
    busy = true;
    try {
      const m: Record<string, number> = {};
      for (const [k, v] of Object.entries(metrics?.() ?? {})) if (typeof v === 'number' && Number.isFinite(v)) m[k] = v;
      await BEAT.run(cmd, [keys.live, keys.liveExpiry], [member, JSON.stringify(metrics ? { ...base, metrics: m } : base), ttlMs]);
    } catch {
      // An outage: the record expires unless the next beat lands in time, which is what it should say.
    } finally {
      busy = false;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), Math.max(50, Math.floor(ttlMs / 4)));
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await cmd.multi().hdel(keys.live, member).zrem(keys.liveExpiry, member).exec();
    },
  };
}

/** Every live record (heartbeat within ttlMs). */
export async function readPresence(cmd: Redis, keys: RedisKeys): Promise<PresenceRecord[]> {
  const raw = (await READ.run(cmd, [keys.live, keys.liveExpiry], [])) as (string | null)[];
  const out: PresenceRecord[] = [];
  for (const j of raw) {
    if (j === null) continue;
    try {
      out.push(JSON.parse(j) as PresenceRecord);
    } catch {
      // Not written by this transport: ignored.
    }
  }
  return out;
}

/**
 * The annotator metrics of the live annotator processes, combined: counts and gauges summed, ratios
 * (`…Rate`) averaged; plus `annotatorProcesses`.
 */
export function combineAnnotatorMetrics(records: PresenceRecord[]): Record<string, number> {
  const ann = records.filter((r) => r.role === 'annotator' && r.metrics);
  const out: Record<string, number> = { annotatorProcesses: records.filter((r) => r.role === 'annotator').length };
  for (const r of ann) for (const [k, v] of Object.entries(r.metrics!)) out[k] = (out[k] ?? 0) + v;
  for (const k of Object.keys(out)) if (k.endsWith('Rate') && ann.length > 0) out[k] /= ann.length;
  return out;
}
