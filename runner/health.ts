/**
 * Warnings when trouble dominates a run — the conditions under which a run "works" but learns from much
 * less than it seems to: the judge fails more often than it labels, most rollouts are dropped as stale,
 * many episodes are discarded by faults, updates are skipped. Each warning is raised once per run (an
 * event, a line in the terminal, the dashboard's event list) and listed in summary.json.
 */
import type { RunnerCounters } from './checkpoint.ts';

export interface Warning {
  /** Stable id: a warning is raised once per id. */
  id: string;
  message: string;
}

/** The numbers the checks read: the run's counters, the latest metrics record and the annotator's metrics. */
export function checkHealth(c: RunnerCounters, rec: Record<string, number>, ann: Record<string, number>): Warning[] {
  const out: Warning[] = [];
  const errors = ann.judgeErrorsTotal ?? 0;
  const labelled = (ann.captionsLabelled ?? 0) + (ann.cacheHits ?? 0);
  if (errors >= 5 && errors > labelled) {
    const kinds = Object.entries(ann).filter(([k, v]) => k.startsWith('judgeError_') && v > 0).map(([k, v]) => `${k.slice(11)} ${v}`).join(', ');
    out.push({ id: 'judge-errors', message: `the judge failed on ${errors} captions (${kinds}) and labelled ${labelled}: intrinsic rewards are mostly missing — is the judge reachable?` });
  }
  const stale = rec.staleDropped ?? 0;
  if (stale >= 10 && stale > c.episodes) {
    out.push({ id: 'stale', message: `${stale} rollouts were dropped as stale against ${c.episodes} trained (policy lag ${(rec.policyLag ?? 0).toFixed(2)}, max ${rec.policyLagMax ?? 0}): actors run too far ahead — lower actors.queueCapacity or raise actors.maxStaleness` });
  }
  if (c.discardedEpisodes >= 10 && c.discardedEpisodes > c.episodes / 10) {
    out.push({ id: 'discarded', message: `${c.discardedEpisodes} episodes were discarded by worker and env faults (${c.workerFaults} worker, ${c.envFaults} env; see events.jsonl) against ${c.episodes} trained` });
  }
  if (c.skippedUpdates >= 3 && c.skippedUpdates > c.updates / 10) {
    out.push({ id: 'skipped', message: `${c.skippedUpdates} of ${c.updates} updates were skipped (non-finite loss or gradients): lower learner.learningRate or check the rewards` });
  }
  if ((rec.emptyUpdates ?? 0) >= 3 && rec.emptyUpdates > c.updates / 10) {
    out.push({ id: 'empty', message: `${rec.emptyUpdates} updates found no usable rollouts (all stale or faulted)` });
  }
  return out;
}
