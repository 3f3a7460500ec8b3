/**
 * The transport: how trajectories travel from actors to the learner, how weights travel back, and how
 * annotation requests reach the annotator. One interface, two forms:
 *   - in-process (default): a bounded in-memory queue on the main thread, weights in a double-buffered
 *     SharedArrayBuffer that actor threads read without a copy per actor;
 *   - Redis: Streams with consumer groups for trajectories and annotation requests, weights stored once
 *     per version under a versioned key and announced on a channel (see docs/distributed.md).
 * The runner codes against these types only, so the two forms are interchangeable.
 *
 * Delivery is at-least-once: a received message that is not acknowledged is delivered again (to another
 * consumer if its first consumer died). Receivers deduplicate by `id`.
 */

/** One unit of rollout data: a batch of complete trajectories from one actor, msgpackr-encoded. */
export interface TrajectoryMessage {
  /** Globally unique, stable across redelivery (e.g. `${actorId}:${seq}`). */
  id: string;
  actorId: string;
  /** The weight version the actor sampled with (policy lag = learner version − this). */
  policyVersion: number;
  /** Number of env steps (games) or tokens (text) inside, for throughput accounting without decoding. */
  steps: number;
  payload: Uint8Array;
  /** The flow-control credit its task was sampled under (`TrajectorySink.acquire`), if the sink has any. */
  credit?: string;
}

/** Actor side. */
export interface TrajectorySink {
  /**
   * Resolves once the message is queued. Waits while the queue is at capacity (backpressure: actors
   * never run far ahead of the learner). Rejects only when the transport is closed.
   */
  send(message: TrajectoryMessage): Promise<unknown>;
  /**
   * Flow control, for sinks that have it (Redis: credits that keep policy lag within actors.maxStaleness,
   * see runner/transport/redis/flow.ts). An actor calls it before sampling a task with weight version
   * `version()` and puts the result in the message's `credit`; null = stop (cancelled or closed).
   */
  acquire?(version: () => number, cancelled: () => boolean): Promise<string | null>;
}

/** Learner side. */
export interface TrajectorySource {
  /** Up to `max` messages; waits up to `timeoutMs` for the first one, then returns what there is (maybe []). */
  receive(max: number, timeoutMs: number): Promise<TrajectoryMessage[]>;
  /** Marks messages as processed; they are never delivered again and their storage may be trimmed. */
  ack(ids: string[]): Promise<void>;
  /** Messages queued and not yet acknowledged. */
  depth(): Promise<number>;
}

/** Learner side of the weight broadcast. */
export interface WeightPublisher {
  /** Stores `bytes` (safetensors) as `version` (strictly increasing) and announces it. */
  publish(version: number, bytes: Uint8Array): Promise<void>;
  /**
   * The newest version ever published through this transport's store by any learner (-1 if none), when the
   * transport outlives a learner process (Redis). A resumed learner continues above it.
   */
  latestPublished?(): Promise<number>;
}

/** Actor side of the weight broadcast. */
export interface WeightSubscriber {
  /** The newest version announced so far (cheap, never blocks); -1 before the first publish. */
  latestVersion(): number;
  /** The newest weights if newer than `have`, else null. */
  fetch(have: number): Promise<{ version: number; bytes: Uint8Array } | null>;
  close(): Promise<void>;
}

export type { AnnotationChannel, AnnotationLabel, AnnotationRequest } from '../../core/types.ts';

/** Something about the transport worth an event in the run's log (Redis: an outage started or ended). */
export interface TransportNotice {
  kind: string;
  message: string;
  [extra: string]: unknown;
}

export interface Transport {
  readonly kind: 'inprocess' | 'redis';
  trajectorySink(actorId: string): TrajectorySink;
  trajectorySource(consumerId: string): TrajectorySource;
  weightPublisher(): WeightPublisher;
  weightSubscriber(): WeightSubscriber;
  /**
   * Numbers about the transport for the learner's metrics records and summary (Redis: outages and their
   * seconds, open connections, duplicates, live actor processes and threads, outstanding credits, …). Cheap:
   * cached values, never a round trip.
   */
  metrics?(): Record<string, number>;
  /** Calls `fn` with each notice (the learner writes them to its events). Returns the unsubscribe. */
  onNotice?(fn: (n: TransportNotice) => void): () => void;
  close(): Promise<void>;
}
