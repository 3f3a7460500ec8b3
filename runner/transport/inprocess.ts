/**
 * The in-process form of `Transport` (runner/transport/types.ts): a bounded FIFO on the main thread
 * between actor results and the learner feed, and weights in a double-buffered SharedArrayBuffer
 * (shared-weights.ts) that the learner worker writes and actor workers read.
 *
 * Delivery: a received message stays "in flight" until acknowledged; a message received but never
 * acked is NOT redelivered here (one process: if the consumer dies the run dies with it), which is the
 * degenerate case of the contract's at-least-once.
 */
import type {
  Transport, TrajectoryMessage, TrajectorySink, TrajectorySource, WeightPublisher, WeightSubscriber,
} from './types.ts';
import { SharedWeights, type SharedWeightsHandle } from './shared-weights.ts';

export class TransportClosedError extends Error {
  constructor() {
    super('transport closed');
    this.name = 'TransportClosedError';
  }
}

/** A bounded queue with async backpressure on both ends. Capacity counts queued + unacked messages. */
export class BoundedQueue<T extends { id: string }> {
  private readonly items: T[] = [];
  private readonly inFlight = new Map<string, T>();
  private readonly spaceWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly itemWaiters: Array<() => void> = [];
  private closed = false;
  /** Largest depth ever reached (for the memory-stays-flat claim). */
  highWater = 0;
  /** Total time producers spent blocked on a full queue, ms. */
  blockedMs = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`queue capacity must be >= 1, got ${capacity}`);
  }

  get depth(): number {
    return this.items.length + this.inFlight.size;
  }

  async push(item: T): Promise<void> {
    const t0 = Date.now();
    while (this.depth >= this.capacity) {
      if (this.closed) throw new TransportClosedError();
      await new Promise<void>((resolve, reject) => this.spaceWaiters.push({ resolve, reject }));
    }
    if (this.closed) throw new TransportClosedError();
    this.blockedMs += Date.now() - t0;
    this.items.push(item);
    this.highWater = Math.max(this.highWater, this.depth);
    this.itemWaiters.splice(0).forEach((w) => w());
  }

  async take(max: number, timeoutMs: number): Promise<T[]> {
    if (this.items.length === 0 && !this.closed && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          const i = this.itemWaiters.indexOf(done);
          if (i >= 0) this.itemWaiters.splice(i, 1);
          resolve();
        }, timeoutMs);
        const done = () => { clearTimeout(timer); resolve(); };
        this.itemWaiters.push(done);
      });
    }
    const out = this.items.splice(0, Math.max(0, max));
    for (const m of out) this.inFlight.set(m.id, m);
    return out;
  }

  ack(ids: string[]): void {
    for (const id of ids) this.inFlight.delete(id);
    this.wakeProducers();
  }

  private wakeProducers(): void {
    while (this.spaceWaiters.length > 0 && this.depth < this.capacity) this.spaceWaiters.shift()!.resolve();
  }

  close(): void {
    this.closed = true;
    this.spaceWaiters.splice(0).forEach((w) => w.reject(new TransportClosedError()));
    this.itemWaiters.splice(0).forEach((w) => w());
  }
}

export interface InProcessTransportOptions {
  /** Rollout queue capacity in messages. */
  queueCapacity: number;
  /** Bytes per weight slot (the encoded weights must fit); or attach a buffer later with attachWeights. */
  weightCapacity?: number;
}

export class InProcessTransport implements Transport {
  readonly kind = 'inprocess' as const;
  readonly queue: BoundedQueue<TrajectoryMessage>;
  private shared: SharedWeights | null = null;

  constructor(opts: InProcessTransportOptions) {
    this.queue = new BoundedQueue(opts.queueCapacity);
    if (opts.weightCapacity) this.shared = SharedWeights.create(opts.weightCapacity);
  }

  /** Adopts a weight buffer allocated elsewhere (the learner thread sizes it to its weights). */
  attachWeights(handle: SharedWeightsHandle): void {
    this.shared = SharedWeights.attach(handle);
  }

  get weights(): SharedWeights {
    if (!this.shared) throw new Error('InProcessTransport: no weight buffer yet (attachWeights or weightCapacity)');
    return this.shared;
  }

  /** What a worker thread needs to publish or subscribe to the weights. */
  get weightsHandle(): SharedWeightsHandle {
    return this.weights.handle;
  }

  trajectorySink(_actorId: string): TrajectorySink {
    return { send: (m) => this.queue.push(m) };
  }

  trajectorySource(_consumerId: string): TrajectorySource {
    return {
      receive: (max, timeoutMs) => this.queue.take(max, timeoutMs),
      ack: async (ids) => this.queue.ack(ids),
      depth: async () => this.queue.depth,
    };
  }

  weightPublisher(): WeightPublisher {
    return sharedWeightPublisher(this.weights.handle);
  }

  weightSubscriber(): WeightSubscriber {
    return sharedWeightSubscriber(this.weights.handle);
  }

  async close(): Promise<void> {
    this.queue.close();
  }
}

/** Publisher over a shared-weights handle: usable in any thread (the learner worker uses it). */
export function sharedWeightPublisher(handle: SharedWeightsHandle): WeightPublisher {
  const w = SharedWeights.attach(handle);
  return { publish: async (version, bytes) => w.publish(version, bytes) };
}

/** Subscriber over a shared-weights handle, with an exact-version read for the lockstep pipeline. */
export function sharedWeightSubscriber(handle: SharedWeightsHandle): WeightSubscriber & { fetchExact(version: number): Uint8Array | null } {
  const w = SharedWeights.attach(handle);
  return {
    latestVersion: () => w.latestVersion(),
    fetch: async (have) => w.readLatest(have),
    fetchExact: (version) => w.read(version),
    close: async () => {},
  };
}
