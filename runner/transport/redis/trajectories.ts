/**
 * Trajectories over a Redis Stream with a consumer group (at-least-once, acknowledged, reclaimed,
 * deduplicated, trimmed, with credit-based flow control: ./flow.ts).
 *
 * Entry fields: id (the sender's message id, for diagnostics), a (actor id), i (incarnation), s (seq),
 * v (policy version), n (steps), c (flow-control credit), p (payload bytes). The source hands a message
 * out under `<a>/<i>#<s>` (dedup.ts messageId): unique per actor incarnation, equal for copies.
 *
 * Outages: `receive` returns within its timeout (plus a short grace) even while Redis is unreachable —
 * a read still in flight is kept and its entries returned by the next call, so nothing is lost — and
 * `ack` gives up waiting after a second while the acknowledgement stays queued (retried until it lands),
 * so the learner's loop can stop and checkpoint during an outage.
 */
import type { Redis } from 'ioredis';
import type { TrajectoryMessage, TrajectorySink, TrajectorySource } from '../types.ts';
import { ACK_SCRIPT, dedupField, messageId } from './dedup.ts';
import { CreditLedger, publishFlow, type FlowParams, type FlowStats } from './flow.ts';
import type { RedisKeys } from './keys.ts';
import { GroupReader, Script, type StreamEntry } from './streams.ts';
import { backoffMs } from './connection.ts';

/**
 * Appends only while the stream holds fewer than ARGV[1] entries; returns the entry id or false. With a
 * credit (ARGV[2]) it (re-)registers the credit at the version actually sampled (ARGV[3]) and drops its
 * lease: from now on the learner's acknowledgement releases it.
 *   KEYS: stream, credits, credit leases
 */
const CAPPED_XADD = new Script(`
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[2])
  redis.call('ZADD', KEYS[3], 'inf', ARGV[2])
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
`);
const ACK = new Script(ACK_SCRIPT);

/** How long `receive` may overrun its timeout while Redis does not answer, and `ack`/`depth` may wait. */
const OUTAGE_GRACE_MS = 500;
const ACK_WAIT_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const TIMEOUT = Symbol('timeout');
function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<typeof TIMEOUT>((r) => (timer = setTimeout(() => r(TIMEOUT), ms)))]).finally(() => clearTimeout(timer));
}

/** What the transport lends to sinks and sources. */
export interface TrajectoryContext {
  cmd: Redis;
  keys: RedisKeys;
  maxQueued: number;
  claimIdleMs: number;
  dedupWindow: number;
  flow: FlowParams;
  maxBackoffMs: number;
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
  /** Times `send` found the stream full and waited (the stream's memory bound, maxQueued). */
  waits: number;
  /** Flow control: credits granted, tasks that waited for one and for how long, leases lost. */
  credits: FlowStats;
}

export class RedisTrajectorySink implements TrajectorySink {
  private incarnation: Promise<number> | null = null;
  private seq = 0;
  private sentCount = 0;
  private fullWaits = 0;
  private readonly ledger: CreditLedger;

  constructor(private readonly ctx: TrajectoryContext, readonly actorId: string) {
    if (actorId.length === 0 || actorId.includes('/') || actorId.includes('#')) throw new Error(`actor id must be non-empty and contain no '/' or '#', got ${JSON.stringify(actorId)}`);
    this.ledger = new CreditLedger(ctx.cmd, ctx.keys, ctx.flow, (ms) => ctx.waitForSpace(ms));
  }

  get stats(): SinkStats {
    return { sent: this.sentCount, waits: this.fullWaits, credits: { ...this.ledger.stats } };
  }

  /**
   * Flow control (./flow.ts): waits until a task sampling with weight version `version()` may start,
   * and returns the credit to put in its message (`TrajectoryMessage.credit`). Null once `cancelled()`.
   */
  async acquire(version: () => number, cancelled: () => boolean = () => false): Promise<string | null> {
    const inc = await this.getIncarnation();
    return this.ledger.acquire(dedupField(this.actorId, inc), version, () => cancelled() || this.ctx.isClosed());
  }

  /** Gives back the credits of tasks that will not be sent. */
  close(): Promise<void> {
    return this.ledger.close();
  }

  /** This process's incarnation of the actor id (1 for the first process ever to use it in this namespace). */
  getIncarnation(): Promise<number> {
    this.incarnation ??= this.ctx.cmd.incr(this.ctx.keys.incarnation(this.actorId)).catch((e: unknown) => {
      this.incarnation = null;
      throw e;
    });
    return this.incarnation;
  }

  /**
   * Queues the message; resolves with the id the learner will see it under (`<actor>/<incarnation>#<seq>`).
   * Without `message.credit` it first takes a credit for `message.policyVersion` (waiting as `acquire` does).
   */
  async send(message: TrajectoryMessage): Promise<string> {
    try {
      return await this.sendOnce(message);
    } catch (e) {
      // After a give-up, say why rather than ioredis's bare "Connection is closed."
      throw this.ctx.isClosed() ? this.ctx.closedError() : e;
    }
  }

  private async sendOnce(message: TrajectoryMessage): Promise<string> {
    if (this.ctx.isClosed()) throw this.ctx.closedError();
    const inc = await this.getIncarnation();
    const credit = message.credit ?? (await this.acquire(() => message.policyVersion));
    if (credit === null) throw this.ctx.closedError();
    // The seq is fixed before the first attempt, so a re-sent XADD carries the same identity.
    const seq = this.seq++;
    const payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
    const fields: (string | number | Buffer)[] = [
      'id', message.id, 'a', this.actorId, 'i', inc, 's', seq, 'v', message.policyVersion, 'n', message.steps, 'c', credit, 'p', payload,
    ];
    let waited = false;
    const keys = [this.ctx.keys.traj, this.ctx.keys.credits, this.ctx.keys.creditLeases];
    for (;;) {
      if (this.ctx.isClosed()) throw this.ctx.closedError();
      const added = await CAPPED_XADD.run(this.ctx.cmd, keys, [this.ctx.maxQueued, credit, message.policyVersion, ...fields]);
      if (added) break;
      if (!waited) this.fullWaits++;
      waited = true;
      await this.ctx.waitForSpace(250);
    }
    this.ledger.sent(credit);
    this.sentCount++;
    return messageId(dedupField(this.actorId, inc), seq);
  }
}

interface ParsedEntry {
  streamId: string;
  field: string;
  seq: number;
  credit: string;
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
  const field = dedupField(actorId, num('i'));
  const seq = num('s');
  return {
    streamId: e.streamId,
    field,
    seq,
    credit: e.fields.get('c')?.toString() ?? '',
    message: {
      id: messageId(field, seq),
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
  credit: string;
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
  /** Reads that failed (an outage without resend, an unexpected reply) and were retried. */
  readErrors: number;
  /**
   * Messages never received although a later one of the same actor incarnation was: seqs missing between
   * the first and the last received of each incarnation. Lost with a Redis that restarted without
   * persistence (the entries queued at the time), or still on their way (reordered sends) — 0 otherwise.
   */
  seqGaps: number;
}

export class RedisTrajectorySource implements TrajectorySource {
  private readonly reader: GroupReader;
  /** Message id → the entry handed out under it and not yet acknowledged (a copy is never handed out). */
  private readonly held = new Map<string, Held>();
  private readonly heldStreamIds = new Set<string>();
  private readonly heldIdentities = new Set<string>();
  private readonly counts = { received: 0, acked: 0, duplicates: 0, malformed: 0, readErrors: 0 };
  /** The read (and its filtering) in progress; one at a time, kept across calls when it outlives a timeout. */
  private inflight: Promise<TrajectoryMessage[]> | null = null;
  private readonly acks = new Set<Promise<void>>();
  private lastReadError = '';
  /** Per actor incarnation: lowest and highest seq received and how many distinct ones (for seqGaps). */
  private readonly seqs = new Map<string, { min: number; max: number; n: number }>();

  constructor(private readonly ctx: TrajectoryContext, readonly consumerId: string) {
    this.reader = new GroupReader(ctx.cmd, () => ctx.blockingClient(`learner-read:${consumerId}`), ctx.keys.traj, ctx.keys.trajGroup, consumerId, ctx.claimIdleMs);
    // Every actor's credits follow this learner's maxStaleness and update size (./flow.ts).
    publishFlow(ctx.cmd, ctx.keys, ctx.flow).catch((e: Error) => ctx.log(`flow parameters not published: ${e.message}`));
  }

  get stats(): SourceStats {
    let seqGaps = 0;
    for (const r of this.seqs.values()) seqGaps += r.max - r.min + 1 - r.n;
    return { ...this.counts, reclaimed: this.reader.reclaimed, seqGaps };
  }

  async receive(max: number, timeoutMs: number): Promise<TrajectoryMessage[]> {
    if (!Number.isInteger(max) || max < 1) throw new Error(`receive(max) needs an integer >= 1, got ${max}`);
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      if (this.ctx.isClosed()) return [];
      this.inflight ??= this.readFiltered(max, Math.max(0, deadline - Date.now()));
      const got = await within(this.inflight, Math.max(0, deadline - Date.now()) + OUTAGE_GRACE_MS);
      if (got === TIMEOUT) return []; // Redis is not answering: the read stays in flight for the next call
      this.inflight = null;
      if (got.length > 0 || Date.now() >= deadline) return got;
    }
  }

  private async readFiltered(max: number, timeoutMs: number): Promise<TrajectoryMessage[]> {
    try {
      const entries = await this.reader.read(max, timeoutMs, (sid) => this.heldStreamIds.has(sid));
      this.lastReadError = '';
      return await this.filter(entries);
    } catch (e) {
      if (this.ctx.isClosed()) return [];
      // Outages are logged once by the connection tracker; anything else once per distinct message.
      const message = (e as Error).message;
      this.counts.readErrors++;
      if (message !== this.lastReadError) this.ctx.log(`trajectory read failed: ${message}; retrying`);
      this.lastReadError = message;
      await sleep(Math.min(timeoutMs, backoffMs(Math.min(this.counts.readErrors, 6), this.ctx.maxBackoffMs)));
      return [];
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
      const credits = entries.filter((e) => malformed.includes(e.streamId)).map((e) => e.fields.get('c')?.toString()).filter((c): c is string => !!c);
      const m = this.ctx.cmd.multi().xack(this.ctx.keys.traj, this.ctx.keys.trajGroup, ...malformed).xdel(this.ctx.keys.traj, ...malformed);
      if (credits.length > 0) m.zrem(this.ctx.keys.credits, ...credits).zrem(this.ctx.keys.creditLeases, ...credits);
      await m.exec();
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
      const identity = p.message.id;
      if ((hwm !== null && p.seq <= Number(hwm)) || above !== null) {
        dropSeen.push(p.streamId);
      } else if (this.heldIdentities.has(identity)) {
        // A second copy of a message we hold: drop the copy only; the original stays held until acked.
        dropCopies.push(p.streamId);
      } else {
        this.heldIdentities.add(identity);
        this.heldStreamIds.add(p.streamId);
        // Fresh = neither acknowledged (dedup marks) nor held: this source's first receipt of the seq.
        const r = this.seqs.get(p.field);
        if (!r) this.seqs.set(p.field, { min: p.seq, max: p.seq, n: 1 });
        else {
          r.min = Math.min(r.min, p.seq);
          r.max = Math.max(r.max, p.seq);
          r.n++;
        }
        this.held.set(p.message.id, { streamId: p.streamId, field: p.field, seq: p.seq, credit: p.credit });
        out.push(p.message);
      }
    });
    // A copy's credit is its original's: released when the original is acknowledged (or was already).
    const drop = [...dropSeen, ...dropCopies];
    if (drop.length > 0) {
      this.counts.duplicates += drop.length;
      await this.ctx.cmd.multi().xack(this.ctx.keys.traj, this.ctx.keys.trajGroup, ...drop).xdel(this.ctx.keys.traj, ...drop).exec();
    }
    this.counts.received += out.length;
    return out;
  }

  /**
   * Acknowledges (idempotent). Waits at most ~1 s: during an outage the acknowledgement stays queued and
   * is retried until it lands (or the transport closes), and the entries stay held meanwhile.
   */
  async ack(ids: string[]): Promise<void> {
    const entries: Held[] = [];
    for (const id of ids) {
      const h = this.held.get(id);
      if (!h) continue; // unknown or already acknowledged: acking is idempotent
      this.held.delete(id);
      entries.push(h);
    }
    if (entries.length === 0) return;
    const done = this.ackUntilDone(entries);
    this.acks.add(done);
    void done.finally(() => this.acks.delete(done));
    await within(done, ACK_WAIT_MS);
  }

  private async ackUntilDone(entries: Held[]): Promise<void> {
    const keys = [this.ctx.keys.traj, this.ctx.keys.dedupHwm, this.ctx.keys.credits, this.ctx.keys.creditLeases, ...entries.map((h) => this.ctx.keys.dedupAbove(h.field))];
    const args: (string | number)[] = [this.ctx.keys.trajGroup, this.ctx.dedupWindow, this.ctx.keys.trajAcked];
    for (const h of entries) args.push(h.streamId, h.field, h.seq, h.credit);
    for (let attempt = 0; ; attempt++) {
      try {
        await ACK.run(this.ctx.cmd, keys, args);
        break;
      } catch (e) {
        if (this.ctx.isClosed()) return;
        if (attempt === 0) this.ctx.log(`acknowledgement of ${entries.length} message(s) failed (${(e as Error).message}); retrying`);
        await sleep(backoffMs(attempt, this.ctx.maxBackoffMs));
      }
    }
    for (const h of entries) {
      this.heldStreamIds.delete(h.streamId);
      this.heldIdentities.delete(messageId(h.field, h.seq));
    }
    this.counts.acked += entries.length;
  }

  /** Waits (up to `ms`) for acknowledgements still queued: the transport's close calls it. */
  async flush(ms: number): Promise<void> {
    await within(Promise.all([...this.acks]), ms);
  }

  /** Unacknowledged messages in the stream (delivered-and-pending plus not yet delivered); NaN while Redis does not answer. */
  async depth(): Promise<number> {
    const n = await within(this.ctx.cmd.xlen(this.ctx.keys.traj), ACK_WAIT_MS);
    return n === TIMEOUT ? NaN : n;
  }
}
