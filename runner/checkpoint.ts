/**
 * Checkpoints: checkpoints/ckpt-<version, 8 digits>/ holding
 *   policy.safetensors   the policy weights (agents' safetensors encoding)
 *   state.msgpack        learner state (Adam moments, counters), reward-model state, the captions already
 *                        sent for annotation, and the runner's counters and RNG state
 *   meta.json            version, time, counters (human-readable)
 * Atomicity: everything is written into ckpt-<v>.tmp-<pid>/ and the directory is renamed into place
 * as the last step, so a crash never leaves a half-written checkpoint under a final name; leftover .tmp
 * directories are ignored (and removed by the next save).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './run-dir.ts';
import { decodeValue, encodeValue } from './trajectory.ts';
import type { VersionFork } from './learner/lineage.ts';

export interface RunnerCounters {
  /** Learner updates done (== weight version unless a resume continued above versions published elsewhere: see lineage.ts). */
  updates: number;
  envSteps: number;
  episodes: number;
  /** Actor tasks dispatched so far (the next task index): env seeds derive from it. */
  tasks: number;
  /** Next global group id. */
  groups: number;
  workerFaults: number;
  envFaults: number;
  discardedEpisodes: number;
  /** Updates whose loss or gradients were not finite (the step was not applied). */
  skippedUpdates: number;
  elapsedSeconds: number;
}

export interface CheckpointData {
  version: number;
  weights: Uint8Array;
  learnerState: unknown;
  rewardState: unknown;
  requested: string[];
  /** Forks of the weight-version history (a resume that continued above versions published after its checkpoint). */
  lineage?: VersionFork[];
  counters: RunnerCounters;
  /** Serialised RNG state of the runner (seed derivation is counter-based; kept for completeness). */
  rng: { seed: number; tasks: number };
}

const NAME = /^ckpt-(\d{8})$/;

export function saveCheckpoint(dir: string, data: CheckpointData, keep: number): string {
  mkdirSync(dir, { recursive: true });
  const name = `ckpt-${String(data.version).padStart(8, '0')}`;
  const final = join(dir, name);
  const tmp = join(dir, `${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeFileAtomic(join(tmp, 'policy.safetensors'), data.weights);
  writeFileAtomic(join(tmp, 'state.msgpack'), encodeValue({
    learnerState: data.learnerState, rewardState: data.rewardState, requested: data.requested, lineage: data.lineage ?? [], counters: data.counters, rng: data.rng,
  }));
  writeFileAtomic(join(tmp, 'meta.json'), JSON.stringify({ version: data.version, time: new Date().toISOString(), counters: data.counters }, null, 2) + '\n');
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  // Retention and cleanup of temp dirs left by a crash.
  const all = readdirSync(dir);
  for (const n of all) if (n.includes('.tmp-') && n !== name) rmSync(join(dir, n), { recursive: true, force: true });
  const done = all.filter((n) => NAME.test(n)).sort();
  for (const n of done.slice(0, Math.max(0, done.length - keep))) rmSync(join(dir, n), { recursive: true, force: true });
  return final;
}

/** The newest complete checkpoint directory under `dir`, or null. */
export function latestCheckpoint(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const done = readdirSync(dir).filter((n) => NAME.test(n)).sort();
  return done.length ? join(dir, done[done.length - 1]) : null;
}

export function loadCheckpoint(path: string): CheckpointData {
  const m = NAME.exec(path.split(/[\\/]/).pop() ?? '');
  if (!m) throw new Error(`'${path}' is not a checkpoint directory (expected .../ckpt-NNNNNNNN)`);
  for (const f of ['policy.safetensors', 'state.msgpack']) {
    if (!existsSync(join(path, f))) throw new Error(`checkpoint '${path}' is incomplete: ${f} is missing`);
  }
  const weights = new Uint8Array(readFileSync(join(path, 'policy.safetensors')));
  let state: Omit<CheckpointData, 'version' | 'weights'>;
  try {
    state = decodeValue(new Uint8Array(readFileSync(join(path, 'state.msgpack'))));
  } catch (err) {
    throw new Error(`checkpoint '${path}': state.msgpack is corrupt (${(err as Error).message})`);
  }
  // Checkpoints written before a counter existed read it as 0.
  const counters = { ...state.counters, skippedUpdates: state.counters.skippedUpdates ?? 0 };
  return { version: Number(m[1]), weights, ...state, counters };
}
