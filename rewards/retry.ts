/**
 * How the annotator survives a failing judge (issue #14): items whose judging failed for a transient
 * reason are retried with exponential backoff, a bounded number of times, and a circuit breaker stops
 * calling a judge that keeps failing, so an outage costs neither the run's labels (they come once the
 * judge is back) nor its speed (no stream of instant error replies to handle).
 *
 *   retry n of an item waits  d_n = min(maxBackoffMs, backoffMs·2^(n−1)) · (0.5 + 0.5·u)
 *   u ∈ [0, 1) a hash of (item key, n): "equal jitter", spread but reproducible.
 *
 * Breaker: closed → after `breakerThreshold` consecutive transient failures (items, no success between)
 * it opens for min(maxBackoffMs, backoffMs·2^(k−1)) ms (k = openings in this outage), then half-opens:
 * one probe batch of a single item (a pair in pair mode). A probe that succeeds closes it (the outage is
 * over); one that fails opens it again for twice as long.
 */
import type { Infer, Schema } from '../core/schema.ts';
import { hashUniform } from './hash.ts';

export const RETRY_OPTIONS = {
  limit: {
    type: 'int', default: 8, min: 0,
    doc: 'Retries of an item after a transient judge failure (timeout, 429, 5xx, network, malformed or oversized reply, exception); ' +
      'after that many the item is given up (counted in captionsGivenUp) and forgotten. 0 = no retries (a failed item waits to be requested again).',
  },
  backoffMs: { type: 'number', default: 1000, min: 0, doc: 'Delay before the first retry (and the breaker\'s first pause); doubles each time, with equal jitter.' },
  maxBackoffMs: { type: 'number', default: 30_000, min: 0, doc: 'Cap on a retry delay and on a breaker pause.' },
  breakerThreshold: {
    type: 'int', default: 10, min: 0,
    doc: 'Consecutive transient failures that open the circuit breaker: judge calls pause, then one probe item tests the judge. 0 disables the breaker.',
  },
} as const satisfies Schema;

export type RetryConfig = Infer<typeof RETRY_OPTIONS>;

/** The annotator's fault and budget options (declared once here, parsed into `AnnotatorConfig`). */
export const ANNOTATOR_FAULT_OPTIONS = {
  retry: { type: 'object', schema: RETRY_OPTIONS, doc: 'Retries of failed items and the circuit breaker.' },
  maxCaptions: {
    type: 'int', default: null, nullable: true, min: 0,
    doc: 'Budget: distinct items sent to the judge over the annotator\'s life (retries not counted). Beyond it items are not sent ' +
      '(counted in captionsNotSent; the learned reward models must generalise to them). null = unlimited.',
  },
} as const satisfies Schema;

export type AnnotatorFaultConfig = Infer<typeof ANNOTATOR_FAULT_OPTIONS>;


/** Delay before retry `n` (1-based) of the item with annotation key `key`. */
export function retryDelayMs(c: RetryConfig, key: string, n: number): number {
  const cap = Math.min(c.maxBackoffMs, c.backoffMs * 2 ** (n - 1));
  return cap * (0.5 + 0.5 * hashUniform(key, n));
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private consecutive = 0;
  private openings = 0;
  private reopenAt = 0;
  private outageStart = 0;
  private probing = false;
  /** Times the breaker opened from closed (outages). */
  outages = 0;

  constructor(private readonly c: RetryConfig) {}

  get consecutiveFailures(): number { return this.consecutive; }

  state(now: number): BreakerState {
    if (this.openings === 0) return 'closed';
    return now < this.reopenAt ? 'open' : 'half-open';
  }

  /** When an open breaker half-opens (ms since epoch); 0 when closed. */
  get reopensAt(): number { return this.openings ? this.reopenAt : 0; }

  /** Seconds since the current outage began (the breaker first opened); 0 when closed. */
  outageSeconds(now: number): number { return this.openings ? (now - this.outageStart) / 1000 : 0; }

  /**
   * How many items may be sent now: Infinity when closed; when half-open, `probe` items if no probe is
   * out (the caller then sends exactly that batch and must report its outcome); 0 otherwise.
   */
  allowance(now: number, probe: number): number {
    const s = this.state(now);
    if (s === 'closed') return Infinity;
    if (s === 'open' || this.probing) return 0;
    this.probing = true;
    return probe;
  }

  /** A probe allowance that was not used (nothing could be sent): the next call may probe again. */
  release(): void { this.probing = false; }

  /** The judge answered (a label, or an answer that could not be used: the server is up). */
  success(): void {
    this.consecutive = 0;
    this.openings = 0;
    this.probing = false;
  }

  /** A transient failure at time `now`; returns true when it opened the breaker. */
  failure(now: number): boolean {
    if (this.c.breakerThreshold === 0) return false;
    this.consecutive++;
    const s = this.state(now);
    if (s === 'open') return false;
    if (s === 'closed' && this.consecutive < this.c.breakerThreshold) return false;
    if (s === 'closed') { this.outages++; this.outageStart = now; }
    this.openings++;
    this.probing = false;
    this.reopenAt = now + Math.min(this.c.maxBackoffMs, this.c.backoffMs * 2 ** (this.openings - 1));
    return true;
  }
}
