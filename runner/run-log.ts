/**
 * What a run records about itself, in one place: events (events.jsonl + the 'event' topic), one metrics
 * record per update (metrics.jsonl + the 'metrics' topic) and summary.json, all as whole-run figures —
 * a resumed run continues the records of the run it resumes (history before the checkpoint is read back;
 * records after it, written before a crash, are cut so that every step appears once).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerCounters } from './checkpoint.ts';
import { writeFileAtomic, type RunDir } from './run-dir.ts';
import type { MetricsHub } from './stream/index.ts';

export type MetricsRecord = Record<string, number>;

export class RunLog {
  /** Every metrics record of the run so far (of the resumed run too), in step order. */
  readonly metrics: MetricsRecord[] = [];
  private readonly rss: number[] = [];
  /** Whole-run seconds at the start of this process (> 0 after a resume). */
  private readonly startElapsed: number;
  private readonly startEnvSteps: number;
  private readonly t0 = Date.now();

  constructor(readonly runDir: RunDir, private readonly hub: MetricsHub, private readonly counters: RunnerCounters) {
    this.startElapsed = counters.elapsedSeconds;
    this.startEnvSteps = counters.envSteps;
    if (counters.updates > 0) this.continueHistory(counters.updates);
  }

  /** Whole-run wall-clock seconds. */
  elapsed(): number {
    return this.startElapsed + (Date.now() - this.t0) / 1000;
  }

  /** Env steps per second of this process's part of the run. */
  stepsPerSec(): number {
    const dt = this.elapsed() - this.startElapsed;
    return dt > 0 ? (this.counters.envSteps - this.startEnvSteps) / dt : 0;
  }

  event(kind: string, message: string, extra: Record<string, unknown> = {}): void {
    const e = { kind, message, time: this.elapsed(), ...extra };
    this.hub.publish('event', e);
    this.runDir.appendEvent(e);
  }

  /** Appends one update's record to metrics.jsonl and the stream. */
  record(rec: MetricsRecord): void {
    this.metrics.push(rec);
    if (Number.isFinite(rec.rssMB)) this.rss.push(rec.rssMB);
    this.runDir.appendMetrics(rec);
    this.hub.publish('metrics', rec);
  }

  /** The mean of `key` over the last `n` records (NaN values skipped). */
  recent(key: string, n = 10): number {
    return avg(this.metrics.slice(-n).map((r) => r[key]));
  }

  /** summary.json: totals and whole-run figures (first and last tenth of the updates, speeds, memory). */
  writeSummary(run: { name: string; runDir: string; status: string; env: string }, extra: Record<string, unknown>): void {
    const m = this.metrics;
    const tenth = Math.max(1, Math.ceil(m.length / 10));
    const head = m.slice(0, tenth);
    const tail = m.slice(-tenth);
    const c = this.counters;
    const el = this.elapsed();
    this.runDir.writeSummary({
      ...run, updates: c.updates, envSteps: c.envSteps, episodes: c.episodes, elapsedSeconds: el,
      stepsPerSec: el > 0 ? c.envSteps / el : 0,
      successRateFirst: avg(head.map((r) => r.successRate)), successRateLast: avg(tail.map((r) => r.successRate)),
      returnFirst: avg(head.map((r) => r.returnMean)), returnLast: avg(tail.map((r) => r.returnMean)),
      workerFaults: c.workerFaults, envFaults: c.envFaults, discardedEpisodes: c.discardedEpisodes, skippedUpdates: c.skippedUpdates,
      staleDropped: m.at(-1)?.staleDropped ?? 0,
      abandonedDropped: m.at(-1)?.abandonedDropped ?? 0,
      rssMBFirst: this.rss[0] ?? null, rssMBMax: this.rss.length ? Math.max(...this.rss) : null, rssMBLast: this.rss.at(-1) ?? null,
      actorHeapMBMax: maxFinite(m.map((r) => r.actorHeapMBMax)), actorExternalMBMax: maxFinite(m.map((r) => r.actorExternalMBMax)),
      ...extra,
    });
  }

  /**
   * Resume: reads back the records of steps 1..`upTo` (the checkpoint's update count) and rewrites
   * metrics.jsonl without the records a crash left after the checkpoint, so each step appears once.
   */
  private continueHistory(upTo: number): void {
    const path = join(this.runDir.path, 'metrics.jsonl');
    if (!existsSync(path)) return;
    const kept: string[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let rec: MetricsRecord;
      try { rec = JSON.parse(line) as MetricsRecord; } catch { continue; /* a line cut short by a crash */ }
      if (!(rec.step >= 1 && rec.step <= upTo) || (this.metrics.length > 0 && rec.step <= this.metrics.at(-1)!.step)) continue;
      this.metrics.push(rec);
      if (Number.isFinite(rec.rssMB)) this.rss.push(rec.rssMB);
      kept.push(line);
    }
    writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '');
  }
}

export function avg(xs: number[]): number {
  const f = xs.filter((x) => Number.isFinite(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

/** The largest finite value, or null when there is none (e.g. no actor worker reported in this process). */
function maxFinite(xs: Array<number | undefined>): number | null {
  let best: number | null = null;
  for (const x of xs) if (typeof x === 'number' && Number.isFinite(x) && (best === null || x > best)) best = x;
  return best;
}
