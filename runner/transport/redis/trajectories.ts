/**
 * Trajectories over a Redis Stream with a consumer group (at-least-once, acknowledged, reclaimed,
 * deduplicated, trimmed, with backpressure).
 *
 * Entry fields: id (the runner's message id), a (actor id), i (incarnation), s (seq), v (policy version),
 * n (steps), p (payload bytes).
 */
import type { Redis } from 'ioredis';
import type { TrajectoryMessage, TrajectorySink, TrajectorySource } from '../types.ts';
import { ACK_SCRIPT, dedupField } from './dedup.ts';
import type { RedisKeys } from './keys.ts';
import { GroupReader, Script, type StreamEntry } from './streams.ts';

/** Appends only while the stream holds fewer than ARGV[1] entries; returns the entry id or false. */
const CAPPED_XADD = new Script(`
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
`);
const ACK = new Script(ACK_SCRIPT);

/** What the transport lends to sinks and sources. */
export interface TrajectoryContext {
  cmd: Redis;
  keys: RedisKeys;
  maxQueued: number;
  claimIdleMs: number;
  dedupWindow: number;
  /** Resolves at the next acked-channel message or after `ms`, whichever is first. */
  waitForSpace(ms: number): Promise<void>;
  /** A dedicated connection for blocking reads. */
  blockingClient(name: string): Promise<Redis>;
  isClosed(): boolean;
  closedError(): Error;
  log(line: string): void;
}

export interface SinkStats {
  sent: number;
  /** Times `send` found the stream full and waited (backpressure). */
  waits: number;
}

export class RedisTrajectorySink implements TrajectorySink {
  private incarnation: Promise<number> | null = null;
  private seq = 0;
  readonly stats: SinkStats = { sent: 0, waits: 0 };

  constructor(private readonly ctx: TrajectoryContext, readonly actorId: string) {
    if (actorId.length === 0 || actorId.includes('/')) throw new Error(`actor id must be non-empty and contain no '/', got ${JSON.stringify(actorId)}`);
  }

  /** This process's incarnation of the actor id (1 for the first process ever to use it in this namespace). */
  getIncarnation(): Promise<number> {
    this.incarnation ??= this.ctx.cmd.incr(this.ctx.keys.incarnation(this.actorId)).catch((e: unknown) => {
      this.incarnation = null;
      throw e;
    });
    return this.incarnation;
  }

  async send(message: TrajectoryMessage): Promise<void> {
    try {
      await this.sendOnce(message);
    } catch (e) {
      // After a give-up, say why rather than ioredis's bare "Connection is closed."
      throw this.ctx.isClosed() ? this.ctx.closedError() : e;
    }
  }

  private async sendOnce(message: TrajectoryMessage): Promise<void> {
    if (this.ctx.isClosed()) throw this.ctx.closedError();
    const inc = await this.getIncarnation();
    // The seq is fixed before the first attempt, so a re-sent XADD carries the same identity.
    const seq = this.seq++;
    const payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
    const fields: (string | number | Buffer)[] = [
      'id', message.id, 'a', this.actorId, 'i', inc, 's', seq, 'v', message.policyVersion, 'n', message.steps, 'p', payload,
    ];
    let waited = false;
    for (;;) {
      if (this.ctx.isClosed()) throw this.ctx.closedError();
      const added = await CAPPED_XADD.run(this.ctx.cmd, [this.ctx.keys.traj], [this.ctx.maxQueued, ...fields]);
      if (added) break;
      if (!waited) this.stats.waits++;
      waited = true;
      await this.ctx.waitForSpace(250);
    }
    this.stats.sent++;
  }
}

interface ParsedEntry {
  streamId: string;
  field: string;
  seq: number;
  message: TrajectoryMessage;
}

function parseEntry(e: StreamEntry): ParsedEntry {
  const f = (k: string) => {
    const v = e.fields.get(k);
    if (v === undefined) throw new Error(`trajectory stream entry ${e.streamId} has no field '${k}': not written by this transport?`);
    return v;
  };
  const num = (k: string) => {
    const n = Number(f(k).toString());
    if (!Number.isFinite(n)) throw new Error(`trajectory stream entry ${e.streamId}: field '${k}' is not a number`);
    return n;
  };
  const actorId = f('a').toString();
  return {
    streamId: e.streamId,
    field: dedupField(actorId, num('i')),
    seq: num('s'),
    message: {
      id: f('id').toString(),
      actorId,
      policyVersion: num('v'),
      steps: num('n'),
      // A copy that owns its ArrayBuffer: reply Buffers share one, and the runner transfers payloads to its learner thread.
      payload: new Uint8Array(f('p')),
    },
  };
}

interface Held {
  streamId: string;
  field: string;
  seq: number;
}

export interface SourceStats {
  received: number;
  acked: number;
  /** Redelivered or re-sent messages recognised by (actor, incarnation, seq) and acknowledged unseen. */
  duplicates: number;
  /** Entries taken over from consumers that left them pending longer than claimIdleMs. */
  reclaimed: number;
  /** Entries not written by this transport (missing or bad fields): logged, acknowledged, dropped. */
  malformed: number;
}

export class RedisTrajectorySource implements TrajectorySource {
  private readonly reader: GroupReader;
  /** Message id → entries handed out and not yet acknowledged (FIFO if an id repeats). */
  private readonly held = new Map<string, Held[]>();
  private readonly heldStreamIds = new Set<string>();
  private readonly heldIdentities = new Set<string>();
  private readonly counts = { received: 0, acked: 0, duplicates: 0, malformed: 0 };

  constructor(private readonly ctx: TrajectoryContext, readonly consumerId: string) {
    this.reader = new GroupReader(ctx.cmd, () => ctx.blockingClient(`learner-read:${consumerId}`), ctx.keys.traj, ctx.keys.trajGroup, consumerId, ctx.claimIdleMs);
  }

  get stats(): SourceStats {
    return { ...this.counts, reclaimed: this.reader.reclaimed };
  }

  async receive(max: number, timeoutMs: number): Promise<TrajectoryMessage[]> {
    if (!Number.isInteger(max) || max < 1) throw new Error(`receive(max) needs an integer >= 1, got ${max}`);
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      if (this.ctx.isClosed()) return [];
      let entries: StreamEntry[];
      try {
        entries = await this.reader.read(max, deadline - Date.now(), (sid) => this.heldStreamIds.has(sid));
      } catch (e) {
        if (this.ctx.isClosed()) return [];
        throw e;
      }
      const fresh = await this.filter(entries);
      if (fresh.length > 0 || Date.now() >= deadline) return fresh;
    }
  }

  /** Drops entries already acknowledged (per the dedup marks in Redis) or already held under another entry id. */
  private async filter(entries: StreamEntry[]): Promise<TrajectoryMessage[]> {
    if (entries.length === 0) return [];
    const malformed: string[] = [];
    const parsed = entries.flatMap((e) => {
      try {
        return [parseEntry(e)];
      } catch (err) {
        // Contained: acknowledged and counted, or it would come back after every claimIdleMs forever.
        malformed.push(e.streamId);
        this.ctx.log(`${(err as Error).message}; dropped`);
        return [];
      }
    });
    if (malformed.length > 0) {
      this.counts.malformed += malformed.length;
      await this.ctx.cmd.multi().xack(this.ctx.keys.traj, this.ctx.keys.trajGroup, ...malformed).xdel(this.ctx.keys.traj, ...malformed).exec();
    }
    if (parsed.length === 0) return [];
    const pipe = this.ctx.cmd.pipeline();
    for (const p of parsed) {
      pipe.hget(this.ctx.keys.dedupHwm, p.field);
      pipe.zscore(this.ctx.keys.dedupAbove(p.field), p.seq);
    }
    const answers = (await pipe.exec()) ?? [];
    const out: TrajectoryMessage[] = [];
    const dropSeen: string[] = [];
    const dropCopies: string[] = [];
    parsed.forEach((p, k) => {
      const [e1, hwm] = answers[2 * k] ?? [];
      const [e2, above] = answers[2 * k + 1] ?? [];
      if (e1 || e2) throw e1 ?? e2;
      const identity = `${p.field}#${p.seq}`;
      if ((hwm !== null && p.seq <= Number(hwm)) || above !== null) {
        dropSeen.push(p.streamId);
      } else if (this.heldIdentities.has(identity)) {
        // A second copy of a message we hold: drop the copy only; the original stays held until acked.
        dropCopies.push(p.streamId);
      } else {
        this.heldIdentities.add(identity);
        this.heldStreamIds.add(p.streamId);
        const list = this.held.get(p.message.id) ?? [];
        list.push({ streamId: p.streamId, field: p.field, seq: p.seq });
        this.held.set(p.message.id, list);
        out.push(p.message);
      }
    });
    const drop = [...dropSeen, ...dropCopies];
    if (drop.length > 0) {
      this.counts.duplicates += drop.length;
      await this.ctx.cmd.multi().xack(this.ctx.keys.traj, this.ctx.keys.trajGroup, ...drop).xdel(this.ctx.keys.traj, ...drop).exec();
    }
    this.counts.received += out.length;
    return out;
  }

  async ack(ids: string[]): Promise<void> {
    const entries: Held[] = [];
    for (const id of ids) {
      const list = this.held.get(id);
      const h = list?.shift();
      if (!h) continue; // unknown or already acknowledged: acking is idempotent
      if (list!.length === 0) this.held.delete(id);
      entries.push(h);
    }
    if (entries.length === 0) return;
    const keys = [this.ctx.keys.traj, this.ctx.keys.dedupHwm, ...entries.map((h) => this.ctx.keys.dedupAbove(h.field))];
    const args: (string | number)[] = [this.ctx.keys.trajGroup, this.ctx.dedupWindow, this.ctx.keys.trajAcked];
    for (const h of entries) args.push(h.streamId, h.field, h.seq);
    await ACK.run(this.ctx.cmd, keys, args);
    for (const h of entries) {
      this.heldStreamIds.delete(h.streamId);
      this.heldIdentities.delete(`${h.field}#${h.seq}`);
    }
    this.counts.acked += entries.length;
  }

  /** Unacknowledged messages in the stream (delivered-and-pending plus not yet delivered). */
  async depth(): Promise<number> {
    return this.ctx.cmd.xlen(this.ctx.keys.traj);
  }
}
