/**
 * Shared bits of the transport-test role processes (test/distributed/procs/*.ts). These are stand-ins for
 * the runner's learner/actor/annotator roles, written only to exercise the Redis transport across real OS
 * processes: the actor plays a real env (envs/) with a simple softmax-over-biases policy whose biases are the
 * broadcast "weights"; the learner does no learning — it records what it consumed, checkpoints, publishes new
 * weight versions and asks for annotations.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { RedisTransport } from '../../../runner/transport/redis/index.ts';

export interface ProcEnv {
  url: string;
  namespace: string;
  out: string;
  claimIdleMs: number;
}

export function procEnv(): ProcEnv {
  const url = process.env.THRIVE_TEST_REDIS_URL;
  const namespace = process.env.THRIVE_TEST_NS;
  const out = process.env.THRIVE_TEST_OUT;
  if (!url || !namespace || !out) throw new Error('THRIVE_TEST_REDIS_URL, THRIVE_TEST_NS and THRIVE_TEST_OUT must be set');
  return { url, namespace, out, claimIdleMs: Number(process.env.THRIVE_TEST_CLAIM_IDLE_MS ?? 1000) };
}

export function connect(env: ProcEnv, name: string, extra: Record<string, unknown> = {}): Promise<RedisTransport> {
  return RedisTransport.connect(
    { url: env.url, namespace: env.namespace, claimIdleMs: env.claimIdleMs, maxQueued: 8, maxBackoffMs: 200, ...extra },
    { name, log: (l) => console.error(`[${name}] ${l}`) },
  );
}

/** The test's stop/drain switches, set by the orchestrating test in Redis. */
export function flagKey(env: ProcEnv, flag: 'stop' | 'drain' | 'done'): string {
  return `${env.namespace}:test:${flag}`;
}

export function writeAtomic(file: string, data: string): void {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

/** Dies like a crash: no cleanup, no ack, no flush. */
export function crash(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

