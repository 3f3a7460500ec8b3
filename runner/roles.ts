/**
 * The three roles of an experiment as separate entry points sharing one config, for running them as
 * separate processes over a non-in-process Transport (Redis: runner/transport/redis/, docs/distributed.md):
 *
 *   runLearner(config, transport, opts)   the learner thread, run directory, metrics, checkpoints,
 *                                         stream server; consumes trajectories from the transport and
 *                                         publishes each weight version through it (an Experiment
 *                                         without actors)
 *   runActors(config, transport, opts)    an actor pool: fetches weights from the transport into a local
 *                                         double-buffered SharedArrayBuffer (its worker threads read it
 *                                         without a copy each) and sends trajectory batches to it
 *   createAnnotator(config)               rewards/' Annotator for the config's judge, built as in one
 *                                         process (./annotation.ts) — the annotator process serves it
 *                                         behind the transport's AnnotationChannel
 *
 * Split roles always use the 'free' pipeline (lockstep needs one process).
 */
import type { Annotator } from '../rewards/index.ts';
import { hashString } from '../core/rng.ts';
import type { Transport } from './transport/types.ts';
import { resolveExperiment } from './resolve.ts';
import type { ExperimentConfigInput } from './config.ts';
import { runExperiment, trainingProgress, type RunOptions, type RunResult } from './experiment.ts';
import { SharedWeights } from './transport/shared-weights.ts';
import { ActorPool } from './actor/pool.ts';
import { actorInit } from './actor/init.ts';
import { startActorLanes, type LaneCounters } from './actor/lanes.ts';
import { createRunAnnotator } from './annotation.ts';

/**
 * The learner role. With `resume`, weight versions continue above every version published through the
 * transport before (`opts.versionFloor`, default: the publisher's latestPublished() and the run directory's
 * records), so actor processes that outlived the previous learner take the resumed weights at once.
 */
export function runLearner(config: ExperimentConfigInput, transport: Transport, opts: Omit<RunOptions, 'transport' | 'actors'> = {}): Promise<RunResult> {
  return runExperiment(config, { ...opts, transport, actors: false });
}

export interface ActorsOptions {
  /** Unique per actor process (message ids, group ids and sampling seeds derive from it). */
  actorId: string;
  signal?: AbortSignal;
  backend?: string;
  log?: (line: string) => void;
  /** Max wait for the learner's first weights, ms (default 10 minutes). */
  weightTimeoutMs?: number;
}

export interface ActorsResult {
  counters: LaneCounters;
  faults: string[];
}

export async function runActors(config: unknown, transport: Transport, opts: ActorsOptions): Promise<ActorsResult> {
  const resolved = await resolveExperiment(config);
  const c = resolved.config;
  c.actors.pipeline = 'free';
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const sub = transport.weightSubscriber();
  const timeoutMs = opts.weightTimeoutMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  let first: { version: number; bytes: Uint8Array } | null = null;
  while (!first && !opts.signal?.aborted) {
    first = await sub.fetch(-1);
    if (!first) {
      if (Date.now() > deadline) throw new Error(`actors '${opts.actorId}': no weights published within ${timeoutMs} ms — is the learner running?`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!first) return { counters: { tasks: 0, groups: 0, workerFaults: 0, discardedEpisodes: 0 }, faults: [] };
  const weights = SharedWeights.create(first.bytes.byteLength * 2 + 65536);
  weights.publish(first.version, first.bytes);
  let have = first.version;
  let stopping = false;
  const bridge = setInterval(() => {
    void sub.fetch(have).then((w) => {
      if (w && w.version > have) { weights.publish(w.version, w.bytes); have = w.version; }
    }).catch(() => { /* the transport retries; the actors keep the weights they have */ });
  }, 50);
  const pool = new ActorPool(c.actors.workers, c.actors.workerMemoryMB);
  const counters: LaneCounters = { tasks: 0, groups: 0, workerFaults: 0, discardedEpisodes: 0 };
  const faults: string[] = [];
  const lanes = startActorLanes({
    config: c, pool, sink: transport.trajectorySink(opts.actorId), weights, counters,
    init: actorInit(resolved, { key: `${opts.actorId}:${Date.now()}`, weights: weights.handle, backend: opts.backend }),
    actorPrefix: `${opts.actorId}-`, groupOffset: (hashString(opts.actorId) & 0x7fffffff) * 2 ** 20, lockstep: false,
    U: c.groupsPerUpdate / c.actors.groupsPerTask, v0: first.version, maxTasks: Infinity,
    isStopping: () => stopping,
    onFault: (message) => { faults.push(message); log(`[${opts.actorId}] ${message}`); },
    // Versions count the learner's updates (a resume's fork aside): the budget fraction behind a version.
    progress: trainingProgress(c, 0, 0, () => 0),
  });
  const stop = () => { stopping = true; lanes.abort(); };
  opts.signal?.addEventListener('abort', stop);
  const timer = c.budget.seconds ? setTimeout(stop, c.budget.seconds * 1000) : null;
  try {
    await lanes.done;
  } finally {
    clearInterval(bridge);
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', stop);
    await pool.destroy().catch(() => {});
    await sub.close();
  }
  return { counters, faults };
}

/** rewards/' Annotator for the config's judge and annotator settings (null when rewards is null). */
export async function createAnnotator(config: unknown): Promise<Annotator | null> {
  return createRunAnnotator(await resolveExperiment(config));
}
