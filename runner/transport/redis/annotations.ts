/**
 * Annotation requests and labels through Redis Streams.
 *   requester (whoever holds the reward model) ── requests stream, group 'annotator' ──► annotator process(es)
 *   requester ◄── labels stream, one group per reader ── annotator
 * Requests are at-least-once: an annotator that dies holding requests leaves them pending and another
 * annotator (or its restart) takes them over after claimIdleMs. An annotator writes the labels of a
 * request and acknowledges it in one MULTI, so a finished request is never redone. The annotator
 * deduplicates on `key` (rewards/ does), so a redelivered request costs no second judge call there.
 */
import type { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import type { AnnotationChannel, AnnotationLabel, AnnotationRequest } from '../types.ts';
import type { RedisLog } from './connection.ts';
import { backoffMs } from './connection.ts';
import type { RedisKeys } from './keys.ts';
import { GroupReader, Script } from './streams.ts';

const packr = new Packr({ moreTypes: true });

/** Appends ARGV[2..] as field 'r' while the stream holds fewer than ARGV[1]; returns how many went in. */
const CAPPED_XADD_MANY = new Script(`
local cap, n = tonumber(ARGV[1]), 0
for i = 2, #ARGV do
  if redis.call('XLEN', KEYS[1]) >= cap then return n end
  redis.call('XADD', KEYS[1], '*', 'r', ARGV[i])
  n = n + 1
end
return n
`);

export interface AnnotationContext {
  cmd: Redis;
  keys: RedisKeys;
  backlog: number;
  claimIdleMs: number;
  maxBackoffMs: number;
  log: RedisLog;
  blockingClient(name: string): Promise<Redis>;
  isClosed(): boolean;
  /** The live annotator processes' metrics, combined (presence.ts); {} before the first heartbeat is read. */
  annotators(): Record<string, number>;
}

function decode<T>(buf: Buffer | undefined, what: string, id: string): T {
  if (buf === undefined) throw new Error(`${what} stream entry ${id} has no field 'r': not written by this transport?`);
  return packr.unpack(buf) as T;
}

export interface AnnotationChannelStats {
  requested: number;
  /** Requests dropped because the backlog (local buffer + Redis stream) was full. */
  dropped: number;
  labels: number;
}

/** Requester side: `request()` never blocks; a background loop reads labels into a buffer. */
export class RedisAnnotationChannel implements AnnotationChannel {
  private pending: AnnotationRequest[] = [];
  private flushing: Promise<void> | null = null;
  private labels: AnnotationLabel[] = [];
  private labelIds: string[] = [];
  private readonly reader: GroupReader;
  private readonly loop: Promise<void>;
  private stopped = false;
  readonly stats: AnnotationChannelStats = { requested: 0, dropped: 0, labels: 0 };

  constructor(private readonly ctx: AnnotationContext, readonly readerName: string) {
    this.reader = new GroupReader(ctx.cmd, () => ctx.blockingClient(`labels:${readerName}`), ctx.keys.annLabels, ctx.keys.labelGroup(readerName), readerName, ctx.claimIdleMs);
    this.loop = this.readLabels();
  }

  /**
   * For the learner's annotator panel (runner/annotation.ts reads `metrics()`): the remote annotator
   * processes' own metrics (rewards/' Annotator: captions seen, labelled, cache hits, judge errors, …, from
   * their heartbeats) plus this channel's counts of requests sent, dropped for a full backlog, labels received.
   */
  metrics(): Record<string, number> {
    return { ...this.ctx.annotators(), requestsSent: this.stats.requested, requestsDropped: this.stats.dropped, labelsReceived: this.stats.labels };
  }

  request(items: AnnotationRequest[]): void {
    this.stats.requested += items.length;
    if (this.stopped || this.ctx.isClosed()) {
      this.stats.dropped += items.length;
      return;
    }
    const room = Math.max(0, this.ctx.backlog - this.pending.length);
    this.pending.push(...items.slice(0, room));
    this.stats.dropped += Math.max(0, items.length - room);
    this.flushing ??= this.flush().finally(() => (this.flushing = null));
  }

  private async flush(): Promise<void> {
    await Promise.resolve();
    while (this.pending.length > 0 && !this.ctx.isClosed()) {
      const batch = this.pending.splice(0, 256);
      try {
        const added = Number(await CAPPED_XADD_MANY.run(this.ctx.cmd, [this.ctx.keys.annRequests], [this.ctx.backlog, ...batch.map((r) => packr.pack(r))]));
        this.stats.dropped += batch.length - added;
      } catch (e) {
        this.stats.dropped += batch.length;
        this.ctx.log(`annotation requests: ${batch.length} dropped (${(e as Error).message})`);
      }
    }
  }

  private async readLabels(): Promise<void> {
    let failures = 0;
    let lastError = '';
    while (!this.stopped && !this.ctx.isClosed()) {
      try {
        const entries = await this.reader.read(256, 1000, () => false);
        for (const e of entries) {
          // A malformed entry is acknowledged with the others at the next drain, never handed out.
          this.labelIds.push(e.streamId);
          try {
            this.labels.push(decode<AnnotationLabel>(e.fields.get('r'), 'label', e.streamId));
          } catch (err) {
            this.ctx.log(`${(err as Error).message}; dropped`);
          }
        }
        this.stats.labels += entries.length;
        failures = 0;
        lastError = '';
      } catch (e) {
        if (this.stopped || this.ctx.isClosed()) return;
        // Once per distinct error: an outage is logged by the connection tracker, not per retry.
        if ((e as Error).message !== lastError) this.ctx.log(`label reader '${this.readerName}': ${(e as Error).message}; retrying`);
        lastError = (e as Error).message;
        await new Promise((r) => setTimeout(r, backoffMs(failures++, this.ctx.maxBackoffMs)));
      }
    }
  }

  drainLabels(): AnnotationLabel[] {
    const out = this.labels;
    const ids = this.labelIds;
    this.labels = [];
    this.labelIds = [];
    if (ids.length > 0 && !this.ctx.isClosed()) {
      // Handed over: acknowledge and trim. A failure here only means the labels come again after a restart.
      this.ctx.cmd.multi().xack(this.ctx.keys.annLabels, this.reader.group, ...ids).xdel(this.ctx.keys.annLabels, ...ids).exec()
        .catch((e: Error) => this.ctx.log(`label ack failed: ${e.message}`));
    }
    return out;
  }

  /** Waits until requests made so far are in Redis (or dropped). */
  async flushed(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Flushes requests and stops reading labels (a read in progress ends when the transport closes its connection). */
  async close(): Promise<void> {
    await this.flushed();
    this.stopped = true;
    void this.loop;
  }
}

export interface AnnotationWork {
  /** Stream entry id: pass it to `complete`. */
  entryId: string;
  request: AnnotationRequest;
}

/** Annotator side: take requests, judge them (rewards/), hand back labels and acknowledge in one step. */
export class RedisAnnotationQueue {
  private readonly reader: GroupReader;
  private readonly held = new Set<string>();

  constructor(private readonly ctx: AnnotationContext, readonly consumerId: string) {
    this.reader = new GroupReader(ctx.cmd, () => ctx.blockingClient(`annotator:${consumerId}`), ctx.keys.annRequests, ctx.keys.annGroup, consumerId, ctx.claimIdleMs);
  }

  get reclaimed(): number {
    return this.reader.reclaimed;
  }

  async receive(max: number, timeoutMs: number): Promise<AnnotationWork[]> {
    if (this.ctx.isClosed()) return [];
    try {
      const entries = await this.reader.read(max, timeoutMs, (sid) => this.held.has(sid));
      const out: AnnotationWork[] = [];
      const malformed: string[] = [];
      for (const e of entries) {
        try {
          out.push({ entryId: e.streamId, request: decode<AnnotationRequest>(e.fields.get('r'), 'annotation request', e.streamId) });
          this.held.add(e.streamId);
        } catch (err) {
          this.ctx.log(`${(err as Error).message}; dropped`);
          malformed.push(e.streamId);
        }
      }
      if (malformed.length > 0) await this.complete(malformed, []);
      return out;
    } catch (e) {
      if (this.ctx.isClosed()) return [];
      throw e;
    }
  }

  /** Appends `labels` to the labels stream and acknowledges + trims the requests `entryIds`, atomically. */
  async complete(entryIds: string[], labels: AnnotationLabel[]): Promise<void> {
    const m = this.ctx.cmd.multi();
    for (const l of labels) m.xadd(this.ctx.keys.annLabels, '*', 'r', packr.pack(l));
    if (entryIds.length > 0) m.xack(this.ctx.keys.annRequests, this.ctx.keys.annGroup, ...entryIds).xdel(this.ctx.keys.annRequests, ...entryIds);
    await m.exec();
    for (const id of entryIds) this.held.delete(id);
  }

  /** Requests waiting or being judged. */
  async depth(): Promise<number> {
    return this.ctx.cmd.xlen(this.ctx.keys.annRequests);
  }
}
