/**
 * MetricsHub: the in-process pub/sub between a run's producers (the experiment loop, the annotator) and
 * its consumers (the ws server, the metrics.jsonl writer, tests). Publishing is synchronous and cheap:
 * the hub appends to a bounded ring per topic and calls listeners; it never waits on a consumer. Slow
 * network clients are handled by the server's per-client queues, not here.
 *
 * Topics and shapes (the contract with runner/):
 *   'metrics'   one flat record per learner update / log interval: { step, time, envSteps, ...numbers }
 *   'episode'   a sample episode: { step, envId, family, seed, reward, rewardComponents?, success,
 *               steps: [{ action, message, reward, intrinsic? }], frames?: [{ rgb: Uint8Array, height,
 *               width }], completion?, transcript? }
 *   'annotator' annotator stats, e.g. { labels, backlog, judgeErrors, ... }
 *   'event'     { kind: 'start' | 'checkpoint' | 'fault' | 'end' | ..., message, ... }
 *   'config'    the resolved experiment config (hyperparameter table)
 *
 * Published objects are kept by reference (history) and encoded lazily: treat them as immutable once
 * published.
 */
import { TOPICS, isTopic } from './protocol.ts';
import type { Topic } from './protocol.ts';
import { defaults, parse, type IntSpec, type Schema } from '../../core/schema.ts';

const MAX_HISTORY = 1_000_000;
const HISTORY: Record<Topic, { count: number; why: string }> = {
  metrics: { count: 5000, why: 'one record per update: a late client sees the last 5000 updates' },
  episode: { count: 16, why: 'episodes can carry frames, so few' },
  annotator: { count: 100, why: 'annotator stats' },
  event: { count: 500, why: 'start, checkpoints, faults, end' },
  config: { count: 1, why: 'the resolved config' },
};

/**
 * The hub's options. `history`: how many recent messages per topic the hub keeps, so a client that connects
 * late still gets the recent past (its charts start filled). Memory is bounded by these counts times
 * message size. 0 keeps nothing for that topic.
 */
export const HUB_OPTIONS = {
  history: {
    type: 'object', doc: 'Recent messages kept per topic.',
    schema: Object.fromEntries(TOPICS.map((t) => [t, { type: 'int', default: HISTORY[t].count, min: 0, max: MAX_HISTORY, doc: `Messages of topic '${t}' kept (${HISTORY[t].why}).` }])) as Record<Topic, IntSpec>,
  },
} as const satisfies Schema;

export interface HubConfig {
  history: Record<Topic, number>;
}

export const DEFAULT_HUB_CONFIG: HubConfig = defaults(HUB_OPTIONS);

/** Validates a partial hub config and fills defaults; throws naming the bad key or value. */
export function validateHubConfig(partial: Partial<{ history: Partial<Record<Topic, number>> }> = {}): HubConfig {
  return parse(HUB_OPTIONS, partial, 'hub');
}

/** One publication as the hub stores and delivers it. */
export interface HubMessage {
  topic: Topic;
  /** Per topic, 1, 2, 3, …: a consumer seeing a gap knows it missed messages. */
  seq: number;
  /** ms since epoch at publish. */
  time: number;
  data: object;
}

export type HubListener = (msg: HubMessage) => void;

/** Fixed-capacity ring buffer: O(1) push, oldest overwritten. */
class Ring<T> {
  private buf: (T | undefined)[];
  private start = 0;
  private len = 0;
  constructor(readonly capacity: number) {
    this.buf = new Array(capacity);
  }
  push(x: T): void {
    if (this.capacity === 0) return;
    if (this.len < this.capacity) {
      this.buf[(this.start + this.len) % this.capacity] = x;
      this.len++;
    } else {
      this.buf[this.start] = x;
      this.start = (this.start + 1) % this.capacity;
    }
  }
  /** The i-th kept element, oldest first (0 ≤ i < size). */
  at(i: number): T | undefined {
    return i >= 0 && i < this.len ? this.buf[(this.start + i) % this.capacity] : undefined;
  }
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.len; i++) out.push(this.buf[(this.start + i) % this.capacity] as T);
    return out;
  }
  get size(): number {
    return this.len;
  }
}

export interface HubStats {
  published: Record<Topic, number>;
  /** Listener calls that threw (the fault is contained: other listeners and the publisher go on). */
  listenerFaults: number;
  listeners: number;
}

export class MetricsHub {
  readonly config: HubConfig;
  private rings: Record<Topic, Ring<HubMessage>>;
  private seqs: Record<Topic, number>;
  private listeners = new Map<HubListener, ReadonlySet<Topic>>();
  private faults = 0;
  private lastFault: Error | undefined;
  private closed = false;

  constructor(config: Partial<{ history: Partial<Record<Topic, number>> }> = {}) {
    this.config = validateHubConfig(config);
    this.rings = Object.fromEntries(TOPICS.map((t) => [t, new Ring<HubMessage>(this.config.history[t])])) as Record<Topic, Ring<HubMessage>>;
    this.seqs = Object.fromEntries(TOPICS.map((t) => [t, 0])) as Record<Topic, number>;
  }

  /**
   * Publishes `data` on `topic`; returns the message's seq. Throws on an unknown topic, a non-object, or
   * a 'metrics' record without a numeric `step` (those are programming errors in the producer).
   * A listener that throws is counted (stats().listenerFaults) and does not reach the publisher.
   */
  publish(topic: Topic, data: object): number {
    if (!isTopic(topic)) throw new Error(`unknown topic ${JSON.stringify(topic)}; valid: ${TOPICS.join(', ')}`);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new Error(`MetricsHub.publish('${topic}', …): data must be a plain object, got ${Array.isArray(data) ? 'an array' : String(data)}`);
    }
    if (topic === 'metrics' && typeof (data as { step?: unknown }).step !== 'number') {
      throw new Error(`MetricsHub.publish('metrics', …): a metrics record needs a numeric "step", got ${JSON.stringify((data as { step?: unknown }).step)}`);
    }
    if (this.closed) return this.seqs[topic];
    const msg: HubMessage = { topic, seq: ++this.seqs[topic], time: Date.now(), data };
    this.rings[topic].push(msg);
    for (const [fn, topics] of this.listeners) {
      if (!topics.has(topic)) continue;
      try {
        fn(msg);
      } catch (e) {
        this.faults++;
        this.lastFault = e as Error;
      }
    }
    return msg.seq;
  }

  /** Calls `listener` for every later publication on `topics` ('*' = all). Returns an unsubscribe function. */
  subscribe(topics: readonly Topic[] | '*', listener: HubListener): () => void {
    const set = new Set<Topic>(topics === '*' ? TOPICS : topics);
    for (const t of set) if (!isTopic(t)) throw new Error(`unknown topic ${JSON.stringify(t)}; valid: ${TOPICS.join(', ')}`);
    this.listeners.set(listener, set);
    return () => void this.listeners.delete(listener);
  }

  /** The kept recent messages of a topic, oldest first. */
  history(topic: Topic): HubMessage[] {
    if (!isTopic(topic)) throw new Error(`unknown topic ${JSON.stringify(topic)}; valid: ${TOPICS.join(', ')}`);
    return this.rings[topic].toArray();
  }

  /** The latest message of a topic, if any is kept. */
  latest(topic: Topic): HubMessage | undefined {
    return this.seqs[topic] > 0 ? this.at(topic, this.seqs[topic]) : undefined;
  }

  /**
   * The seqs of the topic's kept messages: `first..last` (first > last when none is kept). A replay
   * cursor walks this range with at(), so a late subscriber costs no copy of the history.
   */
  kept(topic: Topic): { first: number; last: number } {
    const last = this.seqs[topic];
    return { first: last - this.rings[topic].size + 1, last };
  }

  /** The kept message of `topic` with this seq, or undefined when it was never published or has left the history. */
  at(topic: Topic, seq: number): HubMessage | undefined {
    const { first } = this.kept(topic);
    return this.rings[topic].at(seq - first);
  }

  stats(): HubStats & { lastFault?: string } {
    return {
      published: { ...this.seqs },
      listenerFaults: this.faults,
      listeners: this.listeners.size,
      ...(this.lastFault ? { lastFault: this.lastFault.message } : {}),
    };
  }

  /** Stops delivering: later publishes are dropped silently (a run's teardown may still log). */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }
}
