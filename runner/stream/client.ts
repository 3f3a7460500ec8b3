/**
 * One connected ws client and its outgoing queue. The point of this file: a slow or stuck client costs
 * the run a bounded amount of memory and no waiting.
 *
 *   - The hub's publish only appends an already-encoded frame here (O(1)); sending happens later.
 *   - We hand frames to the socket only while its `bufferedAmount` (bytes the kernel has not taken yet)
 *     is under `highWaterBytes`; past that the frame waits in our queue.
 *   - The queue is capped by count and bytes; when full, the OLDEST frames are dropped and counted, and
 *     the client is told how many it lost (a 'dropped' message) before the next frame it gets.
 *   - History replayed on subscribe is not queued: the channel keeps a cursor over the hub's kept
 *     messages and encodes the next one only when the socket has room, so a late client gets the
 *     whole history however large, ahead of anything published after it subscribed.
 * So per client, memory ≤ highWaterBytes + maxQueueBytes + one frame.
 */
import type { WebSocket } from 'ws';
import { PROTOCOL_VERSION, byteLength, encodeServerMessage } from './protocol.ts';
import type { ServerMessage, Topic, WireFormat } from './protocol.ts';

export interface ClientLimits {
  maxQueueMessages: number;
  maxQueueBytes: number;
  highWaterBytes: number;
  /** How often a blocked client's queue is retried. */
  retryMs: number;
}

export class ClientChannel {
  readonly topics = new Set<Topic>();
  private queue: (Buffer | string)[] = [];
  private head = 0;
  private queueBytes = 0;
  private pendingDropNotice = 0;
  /** Pending history frames, encoded on demand; sent before the queue. */
  private replay: (() => Buffer | string)[] = [];
  private replayAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  dropped = 0;
  sent = 0;
  bytesSent = 0;
  rejected = 0;
  /** Token bucket for incoming messages. */
  tokens: number;
  lastRefill = Date.now();
  closed = false;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly format: WireFormat,
    readonly limits: ClientLimits,
    burst: number,
  ) {
    this.tokens = burst;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get queuedBytes(): number {
    return this.queueBytes;
  }

  /** History frames still to send (not counted in the queue: they are references, not copies). */
  get replayPending(): number {
    return this.replay.length - this.replayAt;
  }

  /** Sends these (history) frames before anything queued later; each is produced when there is room. */
  startReplay(frames: (() => Buffer | string)[]): void {
    if (this.closed || frames.length === 0) return;
    this.replay.push(...frames);
    this.schedule();
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
    while (this.queued > 1 && (this.queued > this.limits.maxQueueMessages || this.queueBytes > this.limits.maxQueueBytes)) {
      const old = this.queue[this.head]!;
      this.queue[this.head++] = '';
      this.queueBytes -= byteLength(old);
      this.dropped++;
      this.pendingDropNotice++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.schedule();
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

  pump(): void {
    if (this.closed) return;
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (this.pendingDropNotice > 0 && ws.bufferedAmount < this.limits.highWaterBytes) {
      const notice = encodeServerMessage({ v: PROTOCOL_VERSION, type: 'dropped', count: this.pendingDropNotice, total: this.dropped }, this.format);
      this.pendingDropNotice = 0;
      ws.send(notice, { binary: this.format === 'msgpack' });
    }
    while (ws.bufferedAmount < this.limits.highWaterBytes) {
      let frame: Buffer | string;
      if (this.replayAt < this.replay.length) {
        frame = this.replay[this.replayAt]!();
        this.replay[this.replayAt++] = NOTHING;
      } else if (this.queued > 0) {
        frame = this.queue[this.head]!;
        this.queue[this.head++] = '';
        this.queueBytes -= byteLength(frame);
      } else break;
      ws.send(frame, { binary: typeof frame !== 'string' });
      this.sent++;
      this.bytesSent += byteLength(frame);
    }
    if (this.replayAt >= this.replay.length && this.replay.length > 0) {
      this.replay = [];
      this.replayAt = 0;
    }
    if (this.queued === 0 && this.replayPending === 0) {
      this.queue = [];
      this.head = 0;
      return;
    }
    // The socket is backed up: try again later instead of buffering more in ws/kernel.
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.limits.retryMs);
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
    this.queueBytes = 0;
    this.replay = [];
    this.replayAt = 0;
  }
}

const NOTHING = (): string => '';
