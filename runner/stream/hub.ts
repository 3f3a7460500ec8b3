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

export interface HubConfig {
  /**
   * How many recent messages per topic the hub keeps, so a client that connects late still gets the
   * recent past (its charts start filled). Memory is bounded by these counts times message size;
   * episodes can carry frames, so keep that one small. 0 keeps nothing for that topic.
   */
  history: Record<Topic, number>;
}

export const DEFAULT_HUB_CONFIG: HubConfig = {
  history: { metrics: 5000, episode: 16, annotator: 100, event: 500, config: 1 },
};

const MAX_HISTORY = 1_000_000;

/** Validates a partial hub config and fills defaults; throws naming the bad key or value. */
export function validateHubConfig(partial: Partial<{ history: Partial<Record<Topic, number>> }> = {}): HubConfig {
  if (typeof partial !== 'object' || partial === null) throw new Error('hub config must be an object');
  for (const k of Object.keys(partial)) {
    if (k !== 'history') throw new Error(`unknown hub config key "${k}"; valid: history`);
  }
  const history = { ...DEFAULT_HUB_CONFIG.history };
  const h = partial.history ?? {};
  if (typeof h !== 'object' || h === null) throw new Error('hub config "history" must be an object of topic → count');
  for (const [k, v] of Object.entries(h)) {
    if (!isTopic(k)) throw new Error(`unknown topic "${k}" in hub config history; valid: ${TOPICS.join(', ')}`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_HISTORY) {
      throw new Error(`hub config history.${k} = ${JSON.stringify(v)} is invalid; use an integer from 0 to ${MAX_HISTORY}`);
    }
    history[k] = v;
  }
  return { history };
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
    const h = this.history(topic);
    return h[h.length - 1];
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
