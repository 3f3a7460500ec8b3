/**
 * One connected ws client and its outgoing queue. The point of this file: whatever a client does (read
 * slowly, never read, subscribe and unsubscribe in a loop, connect and vanish), it costs the run a
 * bounded amount of memory and no waiting.
 *
 *   - The hub's publish only appends an already-encoded frame here (O(1)); sending happens later.
 *   - We hand frames to the socket only while its `bufferedAmount` (bytes the kernel has not taken yet)
 *     is under `highWaterBytes`; past that the frame waits in our queue.
 *   - The queue is capped by count and bytes, per client and (through the server's QueueBudget) over all
 *     clients; when full, the OLDEST frames are dropped and counted, and the client is told how many it
 *     lost (a 'dropped' message) before the next frame it gets.
 *   - History replayed on subscribe is not queued and not copied: per topic the channel keeps a cursor
 *     (next seq, last seq) into the hub's kept messages and encodes the next one only when the socket has
 *     room. At most one cursor per topic, so subscribing again and again costs nothing more; history that
 *     leaves the hub's ring before the cursor reaches it is skipped and counted as dropped.
 *   - Replay starts small and grows turn by turn (slow start), and is paced by the server's ReplayBudget
 *     (messages and bytes per second over all clients), so clients that connect and vanish by the
 *     thousand, or resubscribe in a loop, cost at most that much encoding and socket work.
 * So per client, memory ≤ highWaterBytes + maxQueueBytes + one frame + O(topics).
 */
import type { WebSocket } from 'ws';
import { PROTOCOL_VERSION, byteLength, encodeServerMessage } from './protocol.ts';
import type { ServerMessage, Topic, WireFormat } from './protocol.ts';
import type { HubMessage } from './hub.ts';

export interface ClientLimits {
  maxQueueMessages: number;
  maxQueueBytes: number;
  highWaterBytes: number;
  /** How often a blocked client's queue is retried. */
  retryMs: number;
  /**
   * History bytes replayed per `retryMs`: the first chunk after a (re)subscribe is at most `min`, each
   * next one twice the last, up to `max` (slow start: a client that connects and vanishes at once costs
   * about `min`; one that stays gets max / retryMs bytes per second a few chunks later).
   */
  replayChunkBytes: { min: number; max: number };
}

/** Where replayed history comes from: the hub's kept messages and the server's per-format encoding cache. */
export interface ReplaySource {
  kept(topic: Topic): { first: number; last: number };
  at(topic: Topic, seq: number): HubMessage | undefined;
  frame(msg: HubMessage, format: WireFormat): Buffer | string;
}

/** Bytes queued over all clients; the server sheds the longest queues when `queuedBytes` passes its max. */
export interface QueueBudget {
  queuedBytes: number;
}

/** Replay allowance shared by all clients: `take(n)` is false when this second's messages or bytes are spent. */
export interface ReplayBudget {
  /** Charges one message of `bytes`. */
  take(bytes: number): boolean;
  /** ms until take() can succeed again. */
  waitMs(): number;
}

export class ClientChannel {
  readonly topics = new Set<Topic>();
  private queue: (Buffer | string)[] = [];
  private head = 0;
  private queueBytes = 0;
  private pendingDropNotice = 0;
  /** History still to send, per topic: seqs next..end of the hub's kept messages (sent before the queue). */
  private replay = new Map<Topic, { next: number; end: number }>();
  /** This turn's replay allowance in bytes (slow start, see ClientLimits.replayChunkBytes). */
  private replayChunk: number;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  dropped = 0;
  sent = 0;
  bytesSent = 0;
  rejected = 0;
  replayedBytes = 0;
  /** Token bucket for incoming messages. */
  tokens: number;
  lastRefill = Date.now();
  /** Last time the client sent a message or took a frame (the server evicts the longest idle when full). */
  lastActive = Date.now();
  closed = false;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly format: WireFormat,
    readonly limits: ClientLimits,
    burst: number,
    private readonly source: ReplaySource,
    private readonly budget: QueueBudget,
    private readonly replayBudget: ReplayBudget,
  ) {
    this.tokens = burst;
    this.replayChunk = limits.replayChunkBytes.min;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get queuedBytes(): number {
    return this.queueBytes;
  }

  /** History messages still to send (not counted in the queue: they are the hub's, not copies). */
  get replayPending(): number {
    let n = 0;
    for (const r of this.replay.values()) n += Math.max(0, r.end - r.next + 1);
    return n;
  }

  /** Topics with a replay in progress (at most one cursor each). */
  get replayCursors(): number {
    return this.replay.size;
  }

  /** Replays the topic's kept history (up to what is published now) before anything queued later. */
  startReplay(topic: Topic): void {
    if (this.closed) return;
    const { first, last } = this.source.kept(topic);
    if (first > last) return;
    this.replay.set(topic, { next: first, end: last });
    this.replayChunk = this.limits.replayChunkBytes.min;
    this.schedule();
  }

  /** Forgets a topic's pending replay (the client unsubscribed). */
  cancelReplay(topic: Topic): void {
    this.replay.delete(topic);
  }

  /** Sends a message at once, ahead of history and queue (the welcome: the socket is still empty). */
  sendNow(msg: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const frame = encodeServerMessage(msg, this.format);
    this.ws.send(frame, { binary: this.format === 'msgpack' });
    this.sent++;
    this.bytesSent += byteLength(frame);
  }

  /** Encodes and enqueues a control message (error, pong, subscribed…): it follows pending history. */
  sendControl(msg: ServerMessage): void {
    this.enqueue(encodeServerMessage(msg, this.format));
  }

  /** Appends an encoded frame, dropping the oldest queued frames if over the caps. Never blocks. */
  enqueue(frame: Buffer | string): void {
    if (this.closed) return;
    const n = byteLength(frame);
    this.queue.push(frame);
    this.queueBytes += n;
    this.budget.queuedBytes += n;
    while (this.queued > 1 && (this.queued > this.limits.maxQueueMessages || this.queueBytes > this.limits.maxQueueBytes)) this.dropOldest();
    this.compact();
    this.schedule();
  }

  /** Drops oldest queued frames until at most `bytes` are queued (the server's global budget). */
  shedTo(bytes: number): void {
    while (this.queued > 0 && this.queueBytes > bytes) this.dropOldest();
    this.compact();
  }

  private dropOldest(): void {
    const old = this.queue[this.head]!;
    this.queue[this.head++] = '';
    const n = byteLength(old);
    this.queueBytes -= n;
    this.budget.queuedBytes -= n;
    this.dropped++;
    this.pendingDropNotice++;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Flushes on the next turn of the event loop, so a burst of publishes costs the publisher no I/O. */
  private schedule(): void {
    if (this.scheduled || this.timer || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * The next history message to replay: config first, then the oldest over the topics being replayed.
   * Cursors whose messages left the hub's ring jump to the oldest kept one; the gap is counted as dropped.
   */
  private nextReplay(): HubMessage | undefined {
    let best: HubMessage | undefined;
    for (const [topic, r] of this.replay) {
      let msg = this.source.at(topic, r.next);
      if (!msg) {
        const { first } = this.source.kept(topic);
        const skip = Math.min(first, r.end + 1) - r.next;
        if (skip > 0) {
          this.dropped += skip;
          this.pendingDropNotice += skip;
          r.next += skip;
        }
        msg = r.next <= r.end ? this.source.at(topic, r.next) : undefined;
      }
      if (!msg) {
        this.replay.delete(topic);
        continue;
      }
      if (!best || (msg.topic === 'config') > (best.topic === 'config') || (best.topic !== 'config' && msg.time < best.time)) best = msg;
    }
    return best;
  }

  pump(): void {
    if (this.closed) return;
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    // Frames go out in corked batches: one writev per batch instead of one syscall per frame (ws writes
    // each frame as it is sent; a corked socket gathers them until uncork). `_socket` is ws's own field
    // for its net.Socket. While corked, the batch counts in bufferedAmount, so a batch is at most about
    // highWaterBytes; when the kernel takes it at once, the next batch follows in the same turn.
    const sock = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    let replayedNow = 0;
    let stop: 'done' | 'full' | 'budget' | 'chunk' = 'full';
    while (ws.bufferedAmount < this.limits.highWaterBytes) {
      sock?.cork();
      stop = this.batch(() => replayedNow < this.replayChunk, (n) => (replayedNow += n));
      sock?.uncork();
      if (stop !== 'full') break;
    }
    if (stop === 'done') {
      this.queue = [];
      this.head = 0;
      return;
    }
    // The socket is backed up, this turn's replay chunk is sent or this second's replay budget is spent:
    // go on later (instead of buffering more in ws/kernel, or replaying to a client that has gone).
    if (stop === 'chunk') this.replayChunk = Math.min(this.limits.replayChunkBytes.max, this.replayChunk * 2);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, stop === 'budget' ? Math.max(this.limits.retryMs, this.replayBudget.waitMs()) : this.limits.retryMs);
      this.timer.unref();
    }
  }

  /**
   * Hands frames to the socket until its unsent bytes reach highWaterBytes ('full'), nothing is left
   * ('done'), the replay budget is spent ('budget') or this turn's replay chunk is ('chunk'): history
   * first, then the queue.
   */
  private batch(chunkLeft: () => boolean, replayed: (bytes: number) => void): 'done' | 'full' | 'budget' | 'chunk' {
    const ws = this.ws;
    if (this.pendingDropNotice > 0) this.sendDropNotice();
    while (ws.bufferedAmount < this.limits.highWaterBytes) {
      let frame: Buffer | string;
      if (this.replay.size > 0) {
        // A turn replays at most one chunk, then yields: a client that vanished is noticed before the
        // rest of the history is encoded and written for it.
        if (!chunkLeft()) return 'chunk';
        const h = this.nextReplay();
        if (!h) continue; // every cursor ran out of kept messages
        frame = this.source.frame(h, this.format);
        if (!this.replayBudget.take(byteLength(frame))) return 'budget';
        const r = this.replay.get(h.topic)!;
        if (++r.next > r.end) this.replay.delete(h.topic);
        this.replayedBytes += byteLength(frame);
        replayed(byteLength(frame));
      } else if (this.queued > 0) {
        frame = this.queue[this.head]!;
        this.queue[this.head++] = '';
        this.queueBytes -= byteLength(frame);
        this.budget.queuedBytes -= byteLength(frame);
      } else return 'done';
      // Drops counted while replaying (history that left the ring) are announced before what follows.
      if (this.pendingDropNotice > 0) this.sendDropNotice();
      ws.send(frame, { binary: typeof frame !== 'string' });
      this.sent++;
      this.bytesSent += byteLength(frame);
      this.lastActive = Date.now();
    }
    return 'full';
  }

  private sendDropNotice(): void {
    const notice = encodeServerMessage({ v: PROTOCOL_VERSION, type: 'dropped', count: this.pendingDropNotice, total: this.dropped }, this.format);
    this.pendingDropNotice = 0;
    this.ws.send(notice, { binary: this.format === 'msgpack' });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.budget.queuedBytes -= this.queueBytes;
    this.queue = [];
    this.head = 0;
    this.queueBytes = 0;
    this.replay.clear();
  }
}
