/**
 * The stream server's connected clients and the counters of those gone: what `stats()` reports, the
 * global queue budget the clients share, and the order in which they give way (longest queue sheds
 * first; longest idle is displaced first, admission.ts).
 */
import type { ClientChannel, QueueBudget } from './client.ts';

export interface StreamServerStats {
  clients: number;
  connections: number;
  /** Frames handed to sockets, over all clients. */
  sent: number;
  bytesSent: number;
  /** Frames dropped for slow clients (oldest first, or history that left the hub before its replay), over all clients. */
  dropped: number;
  /** Client messages rejected (junk, unknown, rate-limited) plus clients refused or closed for oversize. */
  rejected: number;
  /** Requests refused because they were not addressed to a loopback name (no token): DNS rebinding. */
  refusedHost: number;
  /** Connections refused (429) over maxConnectionsPerSecond. */
  refusedRate: number;
  /** Idle clients displaced to make room for a new one. */
  evicted: number;
  /** Frames currently waiting in per-client queues, and their bytes. */
  queued: number;
  queuedBytes: number;
  /** History messages still to replay to late subscribers (cursors into the hub's history, not copies). */
  replayPending: number;
  /** Replay cursors over all clients (at most one per client and topic). */
  replayCursors: number;
  /** History bytes replayed so far. */
  replayedBytes: number;
}

/** Counters kept by the server itself, plus those folded in from clients that have gone. */
export type ServerTotals = Pick<StreamServerStats, 'connections' | 'sent' | 'bytesSent' | 'dropped' | 'rejected' | 'refusedHost' | 'refusedRate' | 'evicted' | 'replayedBytes'>;

export class ClientRegistry {
  private readonly clients = new Set<ClientChannel>();
  /** How each client's bookkeeping ends (on close, error or eviction): session.ts's finish. */
  private readonly finishers = new Map<ClientChannel, () => void>();
  private lastId = 0;
  readonly totals: ServerTotals = { connections: 0, sent: 0, bytesSent: 0, dropped: 0, rejected: 0, refusedHost: 0, refusedRate: 0, evicted: 0, replayedBytes: 0 };
  /** Bytes queued over all clients (each ClientChannel adds and subtracts its own). */
  readonly budget: QueueBudget = { queuedBytes: 0 };

  constructor(private readonly maxTotalQueueBytes: number) {}

  get size(): number {
    return this.clients.size;
  }

  [Symbol.iterator](): IterableIterator<ClientChannel> {
    return this.clients.values();
  }

  nextId(): number {
    return ++this.lastId;
  }

  add(c: ClientChannel, finish: () => void): void {
    this.clients.add(c);
    this.finishers.set(c, finish);
  }

  /** Removes a client and folds its counters into the totals; false when it was already removed. */
  retire(c: ClientChannel): boolean {
    if (!this.clients.has(c)) return false;
    this.clients.delete(c);
    this.finishers.delete(c);
    addCounters(this.totals, c);
    return true;
  }

  /** Ends a client's bookkeeping now (its finisher), whether or not its socket has closed yet. */
  finish(c: ClientChannel): void {
    this.finishers.get(c)?.();
  }

  /** The client that has neither sent a message nor taken a frame for longest. */
  idlest(): ClientChannel | undefined {
    let idlest: ClientChannel | undefined;
    for (const c of this.clients) if (!idlest || c.lastActive < idlest.lastActive) idlest = c;
    return idlest;
  }

  /** Over the global queue budget: the longest queues lose their oldest frames first. */
  enforceBudget(): void {
    const budget = this.budget;
    while (budget.queuedBytes > this.maxTotalQueueBytes) {
      let worst: ClientChannel | undefined;
      for (const c of this.clients) if (!worst || c.queuedBytes > worst.queuedBytes) worst = c;
      if (!worst || worst.queuedBytes === 0) break;
      worst.shedTo(Math.max(0, worst.queuedBytes - (budget.queuedBytes - this.maxTotalQueueBytes)));
    }
  }

  /** enforceBudget when over it (the check callers make after every publish or client message). */
  shedIfOver(): void {
    if (this.budget.queuedBytes > this.maxTotalQueueBytes) this.enforceBudget();
  }

  stats(): StreamServerStats {
    const s: StreamServerStats = { clients: this.clients.size, ...this.totals, queued: 0, queuedBytes: 0, replayPending: 0, replayCursors: 0 };
    for (const c of this.clients) {
      addCounters(s, c);
      s.queued += c.queued;
      s.queuedBytes += c.queuedBytes;
      s.replayPending += c.replayPending;
      s.replayCursors += c.replayCursors;
    }
    return s;
  }
}

/** Adds a client's running counters (what it has sent, dropped, rejected, replayed) to `t`. */
function addCounters(t: Pick<StreamServerStats, 'sent' | 'bytesSent' | 'dropped' | 'rejected' | 'replayedBytes'>, c: ClientChannel): void {
  t.sent += c.sent;
  t.bytesSent += c.bytesSent;
  t.dropped += c.dropped;
  t.rejected += c.rejected;
  t.replayedBytes += c.replayedBytes;
}
