/**
 * The annotator process's loop: requests from the Redis queue go into an in-process AnnotationChannel
 * (rewards/' Annotator: dedup by key, bounded backlog, batched judge calls), and each label that comes out
 * completes — labels written and requests acknowledged in one MULTI — every queued entry with its key.
 *
 * The Annotator answers a key once: a request for a key it already labelled gets no new label from it, so
 * this loop remembers recent labels (bounded) and answers such repeats itself. A request the Annotator
 * never answers (dropped from its backlog, judge error) is acknowledged without a label after
 * `answerTimeoutMs` and counted, so it is neither stuck nor re-judged forever; keep that below the
 * transport's claimIdleMs, or another annotator takes the entry over while this one still waits.
 */
import type { AnnotationChannel, AnnotationLabel } from '../types.ts';
import type { RedisAnnotationQueue } from './annotations.ts';
import { backoffMs } from './connection.ts';

export interface AnnotatorServiceOptions {
  signal?: AbortSignal;
  /** Requests taken from Redis per read. */
  batch?: number;
  /** Give up waiting for the Annotator's label of a request after this long (default 0.8 × claimIdleMs given). */
  answerTimeoutMs?: number;
  /** Labels remembered to answer repeated keys. */
  rememberLabels?: number;
  log?: (line: string) => void;
  /** Counts are kept in this object as they change (e.g. for the process's heartbeat); default a new one. */
  stats?: AnnotatorServiceStats;
}

export interface AnnotatorServiceStats {
  received: number;
  labelled: number;
  /** Answered from remembered labels (the key was labelled before). */
  repeats: number;
  /** Acknowledged without a label after answerTimeoutMs. */
  unanswered: number;
}

export async function serveAnnotations(
  queue: RedisAnnotationQueue,
  annotator: AnnotationChannel,
  opts: AnnotatorServiceOptions & { claimIdleMs: number },
): Promise<AnnotatorServiceStats> {
  const stats: AnnotatorServiceStats = Object.assign(opts.stats ?? {}, { received: 0, labelled: 0, repeats: 0, unanswered: 0 });
  const timeout = opts.answerTimeoutMs ?? Math.floor(opts.claimIdleMs * 0.8);
  const remember = opts.rememberLabels ?? 10_000;
  const waiting = new Map<string, { entryIds: string[]; since: number }>();
  const known = new Map<string, AnnotationLabel>();
  let failures = 0;
  let lastError = '';

  const complete = async (entryIds: string[], labels: AnnotationLabel[]) => {
    if (entryIds.length > 0) await queue.complete(entryIds, labels);
  };

  while (!opts.signal?.aborted) {
    try {
      const work = await queue.receive(opts.batch ?? 32, waiting.size > 0 ? 50 : 500);
      stats.received += work.length;
      const fresh = [];
      for (const w of work) {
        const seen = known.get(w.request.key);
        if (seen) {
          stats.repeats++;
          await complete([w.entryId], [{ ...seen, caption: w.request.caption }]);
          continue;
        }
        const slot = waiting.get(w.request.key);
        if (slot) slot.entryIds.push(w.entryId);
        else {
          waiting.set(w.request.key, { entryIds: [w.entryId], since: Date.now() });
          fresh.push(w.request);
        }
      }
      if (fresh.length > 0) annotator.request(fresh);
      for (const label of annotator.drainLabels()) {
        known.set(label.key, label);
        if (known.size > remember) known.delete(known.keys().next().value!);
        const slot = waiting.get(label.key);
        waiting.delete(label.key);
        stats.labelled++;
        await complete(slot?.entryIds ?? [], [label]);
      }
      const now = Date.now();
      for (const [key, slot] of waiting) {
        if (now - slot.since < timeout) continue;
        waiting.delete(key);
        stats.unanswered += slot.entryIds.length;
        await complete(slot.entryIds, []);
      }
      failures = 0;
      lastError = '';
    } catch (e) {
      if (opts.signal?.aborted) break;
      // Once per distinct error: an outage is logged by the connection tracker, not per retry.
      if ((e as Error).message !== lastError) opts.log?.(`annotator service: ${(e as Error).message}; retrying`);
      lastError = (e as Error).message;
      await new Promise((r) => setTimeout(r, backoffMs(failures++, 5000)));
    }
  }
  return stats;
}
