/**
 * The annotator (ONI's annotation process, in-process form): captions and frames of rollouts come in
 * through `request()`, labels go out through `drainLabels()`. It implements the runner's
 * `AnnotationChannel`, and knows nothing of where requests come from, so the same core can sit behind
 * Redis Streams in its own process.
 *
 *  - never blocks: request() only hashes into maps and a bounded backlog; the judge runs on the event loop
 *  - deduplicates by content hash (`AnnotationRequest.key`, see captionKey/frameKey)
 *  - bounded backlog, newest wins: when full, the oldest pending item is dropped (counted) — ONI labels
 *    the newest messages first (LIFO), and so does `pump()`
 *  - batches: `batchSize` items per judge call, `inFlight` calls at once
 *  - caches labels on disk across runs (LabelCache, keyed by judge id)
 *  - judge faults are results, counted by kind: fewer labels, never a crash, a stall or a lost rollout.
 *    An item whose judging failed for a transient reason (TRANSIENT_JUDGE_ERRORS) is retried with
 *    exponential backoff up to `retry.limit` times, then given up and forgotten (a later request of it
 *    is tried again); other failures are forgotten at once. A circuit breaker pauses judge calls while
 *    the judge keeps failing and probes it with one item (rewards/retry.ts), so an outage neither loses
 *    the labels nor floods the main thread with error replies.
 *  - budget: at most `maxCaptions` distinct items are ever sent to the judge; later ones are counted,
 *    not sent
 *  - timing: a label delivered after the first drainLabels() that followed its request is late (counted)
 *  - bounded memory over any run length: the keys remembered for dedup are an LRU (`maxSeenKeys`), the
 *    label cache keeps `cacheMaxEntries` (LRU), and undrained labels are capped (`maxUndrainedLabels`,
 *    oldest dropped and counted). Forgetting only costs work: a forgotten key is looked up in the cache
 *    or judged again.
 *
 * Sync mode: with `sync: 'auto'` and a sync-capable judge (the rubric with zero latency), request()
 * labels on the spot, so a run with zero judge latency is reproducible.
 */
import { validateAnnotatorConfig, type AnnotatorConfig } from './config.ts';
import { LabelCache } from './cache.ts';
import { LruMap } from './lru.ts';
import { CircuitBreaker, retryDelayMs, type RetryConfig } from './retry.ts';
import { JUDGE_ERROR_KINDS, TRANSIENT_JUDGE_ERRORS, type AnnotationLabel, type AnnotationRequest, type Judge, type JudgeErrorKind,
  type JudgeResult, type PairResult } from './types.ts';
import type { AnnotationChannel } from '../runner/transport/types.ts';

/** Flat numeric copies of `judgeErrors` (judgeError_timeout, judgeError_http_429, …) for number-only metric sinks. */
export type FlatJudgeErrors = { [K in JudgeErrorKind as `judgeError_${K}`]: number };

export interface AnnotatorMetrics extends FlatJudgeErrors {
  /** Items passed to request(), duplicates included. */
  captionsSeen: number;
  /**
   * Requests of a key not remembered at the time: the distinct keys seen, exactly while fewer than
   * `maxSeenKeys` keys have been seen; beyond that, a key forgotten (LRU) and requested again counts again.
   */
  captionsUnique: number;
  /** Keys remembered for dedup now (<= maxSeenKeys). */
  seenKeys: number;
  /** Keys forgotten (least recently requested first) to stay within maxSeenKeys. */
  seenKeysEvicted: number;
  /** Labels produced by the judge (not counting cache hits). */
  captionsLabelled: number;
  /** Labels handed out by drainLabels so far (judge + cache). */
  labelsDelivered: number;
  /** Labels waiting for drainLabels (<= maxUndrainedLabels). */
  labelsPending: number;
  /** Labels dropped, oldest first, because more than maxUndrainedLabels waited undrained. */
  labelsDropped: number;
  /** Judge labels per second over the last 10 s. */
  labelsPerSec: number;
  backlogDepth: number;
  /** Items dropped because the backlog was full (oldest first). */
  backlogDropped: number;
  inFlight: number;
  cacheHits: number;
  /** cacheHits / distinct keys looked up. */
  cacheHitRate: number;
  cacheSize: number;
  /** Labels evicted from the cache (least recently used first) to stay within cacheMaxEntries. */
  cacheEvicted: number;
  judgeCalls: number;
  /** Items the judge gave no label for, by reason. */
  judgeErrors: Record<JudgeErrorKind, number>;
  judgeErrorsTotal: number;
  /**
   * Distinct items sent to the judge (first sends; retries not counted; refused by the judge's own budget
   * not counted): what `maxCaptions` bounds.
   */
  captionsSent: number;
  /** Distinct items not sent because the budget (`maxCaptions`, or the judge's own, error 'budget') was spent. */
  captionsNotSent: number;
  /** Labels delivered after the first drainLabels() that followed their request (asynchronous judges). */
  labelsLate: number;
  /** Mean ms from request to delivery of the judge's labels (cache hits excluded); NaN before any. */
  labelLatencyMs: number;
  /** Retries scheduled after transient failures, so far. */
  retries: number;
  /** Items waiting for their retry now. */
  retriesPending: number;
  /** Items given up after `retry.limit` retries (forgotten: a later request tries again). */
  captionsGivenUp: number;
  /** 1 while the circuit breaker is open or probing (the judge is down), else 0. */
  judgeDown: number;
  /** Seconds since the current judge outage began (breaker first opened); 0 when the judge is up. */
  judgeOutageSeconds: number;
  /** Outages so far (times the breaker opened from closed). */
  judgeOutages: number;
  /** Transient failures in a row since the judge last answered. */
  judgeConsecutiveFailures: number;
  /** Judges that make requests (LLM): HTTP requests so far (retries included), retries, requests left (NaN = unlimited). */
  judgeAttempts: number;
  judgeRetries: number;
  judgeBudgetLeft: number;
}

/** An annotator config as written: every key optional, `retry` partial too. */
export type AnnotatorInput = Partial<Omit<AnnotatorConfig, 'retry'>> & { retry?: Partial<RetryConfig> };

/** Key of a pairwise verdict: order-sensitive, since `preferred` refers to the order. */
export const pairKey = (a: string, b: string) => `${a}|${b}`;

export class Annotator implements AnnotationChannel {
  readonly config: AnnotatorConfig;
  private readonly cache: LabelCache;
  /** Pending items, oldest first; `head` skips dropped ones without shifting the array. */
  private backlog: AnnotationRequest[] = [];
  private head = 0;
  /**
   * Keys seen, least recently requested first. `true`: pending, in flight or labelled, so a request of it
   * is a duplicate; `false`: seen, but dropped or failed, so it may be requested again.
   */
  private readonly seen: LruMap<string, boolean>;
  /** Labels waiting for drainLabels, oldest first; `outHead` skips dropped ones. */
  private outbox: AnnotationLabel[] = [];
  /** The item keys of pair labels (by outbox index); a scalar label's item key is its own key. */
  private outPairKeys = new Map<number, readonly [string, string]>();
  private outBase = 0;
  private outHead = 0;
  private inFlight = 0;
  private closed = false;
  private pumping = false;
  private idleWaiters: Array<() => void> = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly rateWindow: Array<[number, number]> = [];
  private readonly m = {
    seen: 0, unique: 0, labelled: 0, delivered: 0, dropped: 0, labelsDropped: 0, cacheHits: 0, lookups: 0, calls: 0,
    errors: Object.fromEntries(JUDGE_ERROR_KINDS.map((k) => [k, 0])) as Record<JudgeErrorKind, number>,
    sent: 0, notSent: 0, late: 0, latencySum: 0, latencyN: 0, retries: 0, givenUp: 0,
  };
  /** Items waiting for a retry, with when it is due; bounded by `backlog` (the oldest are given up). */
  private waiting: Array<{ item: AnnotationRequest; due: number }> = [];
  /** Retries made so far per item key (present while the item is pending, in flight or waiting). */
  private readonly attempts = new Map<string, number>();
  /** When (drain count, ms) each item going to the judge was requested; removed when it leaves. */
  private readonly requestedAt = new Map<string, { drain: number; at: number }>();
  private drains = 0;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private readonly breaker: CircuitBreaker;

  constructor(readonly judge: Judge, config: AnnotatorInput = {}) {
    this.config = validateAnnotatorConfig(config);
    this.breaker = new CircuitBreaker(this.config.retry);
    // A judge whose answers depend on history (the shuffled-label control) gets no cache.
    const cacheDir = judge.cacheable === false ? null : this.config.cacheDir;
    LabelCache.ensureDir(cacheDir);
    this.cache = new LabelCache(cacheDir, judge.id, this.config.cacheMaxEntries);
    this.seen = new LruMap(this.config.maxSeenKeys);
    if (cacheDir && this.config.flushEveryMs > 0) {
      this.flushTimer = setInterval(() => void this.cache.flush(), this.config.flushEveryMs);
      this.flushTimer.unref();
    }
  }

  /** Set when the disk cache could not be read or written (the annotator keeps going without it). */
  get cacheError(): string | null { return this.cache.loadError; }

  /** Fire and forget. O(items); never waits on the judge. */
  request(items: AnnotationRequest[]): void {
    if (this.closed) return;
    let added = 0;
    for (const item of items) {
      this.m.seen++;
      const state = this.seen.get(item.key); // touching it keeps a frequent caption remembered
      if (state === true) continue;
      if (state === undefined) this.m.unique++;
      this.seen.set(item.key, true);
      this.m.lookups++;
      const hit = this.cache.get(item.key);
      if (hit && this.config.mode === 'label' && !hit.pair) {
        this.m.cacheHits++;
        this.deliver(hit);
        continue;
      }
      if (this.budgetSpent()) { this.m.notSent++; continue; } // stays seen: counted once
      this.backlog.push(item);
      this.requestedAt.set(item.key, { drain: this.drains, at: Date.now() });
      added++;
    }
    this.trim();
    if (added === 0) return;
    if (this.config.sync === 'auto' && this.canRunSync()) this.runSync();
    else this.schedule();
  }

  drainLabels(): AnnotationLabel[] {
    const out = this.outHead === 0 ? this.outbox : this.outbox.slice(this.outHead);
    this.outBase += this.outbox.length;
    this.outbox = [];
    this.outHead = 0;
    this.outPairKeys.clear();
    this.m.delivered += out.length;
    this.drains++;
    return out;
  }

  /** Resolves when nothing is pending or in flight (pair mode: at most one unpaired item left). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  metrics(): AnnotatorMetrics {
    const now = Date.now();
    while (this.rateWindow.length && now - this.rateWindow[0]![0] > 10_000) this.rateWindow.shift();
    const recent = this.rateWindow.reduce((s, [, n]) => s + n, 0);
    const span = this.rateWindow.length ? Math.max(1, now - this.rateWindow[0]![0]) / 1000 : 1;
    const errorsTotal = Object.values(this.m.errors).reduce((a, b) => a + b, 0);
    const counters = this.judge.counters?.();
    const state = this.breaker.state(now);
    return {
      captionsSeen: this.m.seen,
      captionsUnique: this.m.unique,
      seenKeys: this.seen.size,
      seenKeysEvicted: this.seen.evicted,
      captionsLabelled: this.m.labelled,
      labelsDelivered: this.m.delivered,
      labelsPending: this.outbox.length - this.outHead,
      labelsDropped: this.m.labelsDropped,
      labelsPerSec: recent / Math.max(span, 1),
      backlogDepth: this.depth(),
      backlogDropped: this.m.dropped,
      inFlight: this.inFlight,
      cacheHits: this.m.cacheHits,
      cacheHitRate: this.m.lookups ? this.m.cacheHits / this.m.lookups : 0,
      cacheSize: this.cache.size,
      cacheEvicted: this.cache.evicted,
      judgeCalls: this.m.calls,
      judgeErrors: { ...this.m.errors },
      judgeErrorsTotal: errorsTotal,
      ...(Object.fromEntries(JUDGE_ERROR_KINDS.map((k) => [`judgeError_${k}`, this.m.errors[k]])) as FlatJudgeErrors),
      captionsSent: this.m.sent,
      captionsNotSent: this.m.notSent,
      labelsLate: this.m.late,
      labelLatencyMs: this.m.latencyN ? this.m.latencySum / this.m.latencyN : NaN,
      retries: this.m.retries,
      retriesPending: this.waiting.length,
      captionsGivenUp: this.m.givenUp,
      judgeDown: state === 'closed' ? 0 : 1,
      judgeOutageSeconds: this.breaker.outageSeconds(now),
      judgeOutages: this.breaker.outages,
      judgeConsecutiveFailures: this.breaker.consecutiveFailures,
      judgeAttempts: counters?.attempts ?? NaN,
      judgeRetries: counters?.retries ?? NaN,
      judgeBudgetLeft: counters?.budgetLeft ?? NaN,
    };
  }

  /** Writes the label cache now (atomically). */
  flushCache(): Promise<void> { return this.cache.flush(); }

  /**
   * Stops taking requests, waits up to `graceMs` for batches in flight, closes the judge (an LLM judge
   * aborts what is still in flight), writes the cache. Pending items are discarded.
   */
  async close(graceMs = 2_000): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.backlog = []; this.head = 0;
    this.waiting = [];
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => { timer = setTimeout(r, graceMs); }),
      ]);
      clearTimeout(timer);
    }
    try { await this.judge.close?.(); } catch { /* a judge's failing close must not lose the cache below */ }
    await this.cache.flush();
  }

  // ───────────────────────── internals ─────────────────────────

  private depth(): number { return this.backlog.length - this.head; }

  private isIdle(): boolean {
    const minLeft = this.config.mode === 'pair' ? 1 : 0;
    return this.inFlight === 0 && this.depth() <= minLeft;
  }

  private trim(): void {
    const over = this.depth() - this.config.backlog;
    for (let i = 0; i < over; i++) {
      const dropped = this.backlog[this.head++]!;
      this.leave(dropped.key);
      this.forget(dropped.key);
      this.m.dropped++;
    }
    if (this.head > 1024 && this.head * 2 > this.backlog.length) {
      this.backlog = this.backlog.slice(this.head);
      this.head = 0;
    }
  }

  /** The newest `n` pending items (LIFO, as ONI labels the newest messages first). */
  private takeNewest(n: number): AnnotationRequest[] {
    const take = Math.min(n, this.depth());
    const start = this.backlog.length - take;
    const batch = this.backlog.slice(start);
    this.backlog.length = start;
    if (this.head >= this.backlog.length) { this.backlog = []; this.head = 0; }
    return batch;
  }

  private canRunSync(): boolean {
    return this.config.mode === 'pair' ? !!this.judge.compareSync : !!this.judge.labelSync;
  }

  private runSync(): void {
    const min = this.config.mode === 'pair' ? 2 : 1;
    while (!this.closed && this.depth() >= min) {
      const allowed = this.breaker.allowance(Date.now(), min);
      if (allowed === 0) { this.wakeForBreaker(); return; }
      const batch = this.nextBatch(allowed);
      if (batch.length === 0) { this.breaker.release(); continue; }
      this.m.calls++;
      try {
        if (this.config.mode === 'pair') {
          const pairs = toPairs(batch);
          this.acceptPairs(pairs, this.judge.compareSync!(pairs));
        } else {
          this.acceptLabels(batch, this.judge.labelSync!(batch));
        }
      } catch {
        this.fail(batch, 'exception');
      }
    }
  }

  /**
   * A batch of the newest items (at most `limit`, e.g. a breaker probe); in pair mode an even number (an
   * odd item waits for a partner). First sends beyond the budget are taken out and counted as not sent.
   */
  private nextBatch(limit = Infinity): AnnotationRequest[] {
    let n = Math.min(this.config.batchSize, limit);
    if (this.config.mode === 'pair') n = Math.max(2, n - (n % 2));
    let batch = this.takeNewest(n);
    if (this.config.maxCaptions !== null) {
      batch = batch.filter((it) => {
        if (this.attempts.has(it.key)) return true; // a retry: already paid for
        if (this.m.sent < this.config.maxCaptions!) { this.m.sent++; return true; }
        this.m.notSent++;
        this.requestedAt.delete(it.key);
        return false;
      });
    } else for (const it of batch) if (!this.attempts.has(it.key)) this.m.sent++;
    if (this.config.mode === 'pair' && batch.length % 2 === 1) this.backlog.push(batch.shift()!);
    return batch;
  }

  private budgetSpent(): boolean {
    return this.config.maxCaptions !== null && this.m.sent >= this.config.maxCaptions;
  }

  private schedule(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => { this.pumping = false; this.pump(); });
  }

  private pump(): void {
    const min = this.config.mode === 'pair' ? 2 : 1;
    while (!this.closed && this.inFlight < this.config.inFlight && this.depth() >= min) {
      const allowed = this.breaker.allowance(Date.now(), min);
      if (allowed === 0) { this.wakeForBreaker(); break; }
      const batch = this.nextBatch(allowed);
      if (batch.length === 0) { this.breaker.release(); continue; }
      this.inFlight++;
      this.m.calls++;
      void this.judgeBatch(batch).finally(() => {
        this.inFlight--;
        if (!this.closed) this.pump();
        this.notifyIdle();
      });
    }
    this.notifyIdle();
  }

  private async judgeBatch(batch: AnnotationRequest[]): Promise<void> {
    try {
      if (this.config.mode === 'pair') {
        const pairs = toPairs(batch);
        this.acceptPairs(pairs, await this.judge.compare(pairs));
      } else {
        this.acceptLabels(batch, await this.judge.label(batch));
      }
    } catch {
      this.fail(batch, 'exception');
    }
  }

  private acceptLabels(batch: AnnotationRequest[], results: JudgeResult[]): void {
    let n = 0;
    batch.forEach((item, i) => {
      const r = results[i];
      if (!r) { this.fail([item], 'exception'); return; }
      if (!r.ok) { this.fail([item], r.error); return; }
      if (!Number.isFinite(r.label)) { this.fail([item], 'invalid_label'); return; }
      this.breaker.success();
      this.attempts.delete(item.key);
      const label: AnnotationLabel = { key: item.key, caption: item.caption, label: r.label };
      this.cache.set(label);
      this.deliver(label);
      n++;
    });
    this.countLabelled(n);
  }

  private acceptPairs(pairs: Array<[AnnotationRequest, AnnotationRequest]>, results: PairResult[]): void {
    let n = 0;
    pairs.forEach(([a, b], i) => {
      const r = results[i];
      if (!r || !r.ok) { this.fail([a, b], r ? (r as { error: JudgeErrorKind }).error : 'exception'); return; }
      this.breaker.success();
      this.attempts.delete(a.key); this.attempts.delete(b.key);
      const label: AnnotationLabel = {
        key: pairKey(a.key, b.key), caption: a.caption,
        label: r.preferred === 0 ? 1 : r.preferred === 1 ? 0 : 0.5,
        pair: { other: b.caption, preferred: r.preferred },
      };
      this.cache.set(label);
      this.deliver(label, [a.key, b.key]);
      n += 2;
    });
    this.countLabelled(n);
  }

  private countLabelled(n: number): void {
    if (n === 0) return;
    this.m.labelled += n;
    this.rateWindow.push([Date.now(), n]);
    if (this.rateWindow.length > 4096) this.rateWindow.splice(0, 2048);
  }

  private fail(items: AnnotationRequest[], kind: JudgeErrorKind): void {
    // A judge that names an unknown error kind still counts (as 'exception') instead of corrupting the counters.
    const k: JudgeErrorKind = JUDGE_ERROR_KINDS.includes(kind) ? kind : 'exception';
    const now = Date.now();
    const transient = TRANSIENT_JUDGE_ERRORS.has(k);
    for (const it of items) {
      this.m.errors[k]++;
      if (transient) {
        if (this.breaker.failure(now)) this.wakeForBreaker();
      } else if (k !== 'budget') this.breaker.success(); // the judge answered; the answer was unusable
      if (k === 'budget') { // the judge refused to send it: not sent after all; stays seen, so counted once
        if (!this.attempts.has(it.key)) this.m.sent--;
        this.m.notSent++;
        this.leave(it.key);
        continue;
      }
      const n = (this.attempts.get(it.key) ?? 0) + 1;
      if (transient && n <= this.config.retry.limit && !this.closed) {
        this.attempts.set(it.key, n);
        this.m.retries++;
        this.waiting.push({ item: it, due: now + retryDelayMs(this.config.retry, it.key, n) });
        continue;
      }
      if (transient && this.config.retry.limit > 0) this.m.givenUp++;
      this.leave(it.key);
      this.forget(it.key);
    }
    if (this.waiting.length > this.config.backlog) {
      for (const w of this.waiting.splice(0, this.waiting.length - this.config.backlog)) {
        this.m.givenUp++;
        this.leave(w.item.key);
        this.forget(w.item.key);
      }
    }
    this.wakeForRetries();
  }

  /** The item left the judge's path (given up, refused, dropped): no more timing or retry bookkeeping. */
  private leave(key: string): void {
    this.attempts.delete(key);
    this.requestedAt.delete(key);
  }

  /** Arms the one wake-up timer for the earliest of: the next due retry, the breaker's half-open time. */
  private arm(at: number): void {
    if (this.closed || at >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, at - Date.now()));
    this.wakeTimer.unref();
  }

  private wakeForRetries(): void {
    let due = Infinity;
    for (const w of this.waiting) if (w.due < due) due = w.due;
    if (due < Infinity) this.arm(due);
  }

  private wakeForBreaker(): void {
    const at = this.breaker.reopensAt;
    if (at > 0) this.arm(at);
  }

  /** Due retries go back to the backlog (newest end); then the judge is called if the breaker allows. */
  private wake(): void {
    this.wakeTimer = null;
    this.wakeAt = Infinity;
    if (this.closed) return;
    const now = Date.now();
    const due = this.waiting.filter((w) => w.due <= now);
    if (due.length) {
      this.waiting = this.waiting.filter((w) => w.due > now);
      for (const w of due) this.backlog.push(w.item);
      this.trim();
    }
    this.wakeForRetries();
    if (this.depth() > 0) {
      if (this.config.sync === 'auto' && this.canRunSync()) this.runSync();
      else this.schedule();
    }
  }

  /** Marks a key as requestable again, without refreshing its recency (and without re-adding an evicted one). */
  private forget(key: string): void {
    if (this.seen.has(key)) this.seen.replace(key, false);
  }

  /** `pairKeys`: the two item keys of a pair label (its own key is their pairKey). */
  private deliver(label: AnnotationLabel, pairKeys?: readonly [string, string]): void {
    if (this.requestedAt.size > 0) {
      const now = Date.now();
      for (const k of pairKeys ?? [label.key]) {
        const r = this.requestedAt.get(k);
        if (!r) continue;
        this.requestedAt.delete(k);
        if (this.drains > r.drain) this.m.late++;
        this.m.latencySum += now - r.at;
        this.m.latencyN++;
      }
    }
    if (pairKeys) this.outPairKeys.set(this.outBase + this.outbox.length, pairKeys);
    this.outbox.push(label);
    const over = this.outbox.length - this.outHead - this.config.maxUndrainedLabels;
    for (let i = 0; i < over; i++) {
      // The label stays in the cache: forgetting its keys lets a later request fetch it from there.
      const at = this.outBase + this.outHead;
      const pk = this.outPairKeys.get(at);
      if (pk) { this.forget(pk[0]); this.forget(pk[1]); this.outPairKeys.delete(at); } else this.forget(this.outbox[this.outHead]!.key);
      this.outbox[this.outHead++] = undefined as never;
      this.m.labelsDropped++;
    }
    if (this.outHead > 1024 && this.outHead * 2 > this.outbox.length) {
      this.outBase += this.outHead;
      this.outbox = this.outbox.slice(this.outHead);
      this.outHead = 0;
    }
  }

  private notifyIdle(): void {
    if (!this.isIdle() && !(this.closed && this.inFlight === 0)) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}

function toPairs(batch: AnnotationRequest[]): Array<[AnnotationRequest, AnnotationRequest]> {
  const pairs: Array<[AnnotationRequest, AnnotationRequest]> = [];
  for (let i = 0; i + 1 < batch.length; i += 2) pairs.push([batch[i]!, batch[i + 1]!]);
  return pairs;
}
