/**
 * The actors role's dispatcher: one lane per actor worker thread; each lane takes the next task index,
 * derives its groups' env seeds and its sampling seed from (seed, index), runs it on the pool and sends
 * the framed result to the TrajectorySink (which blocks when the queue is full: backpressure).
 *
 * Lockstep: task k belongs to update slot j = ⌊(k − k0)/U⌋ and is pinned to weight version
 * v0 + max(0, j − 1); results are sent in task order. Free: newest weights, results sent as they come, and a
 * lane waits for its send (backpressure) before it samples its next task — and, when the sink has flow
 * control (`acquire`, Redis), for a credit before it starts one.
 * A task whose worker threw or died is replaced by an empty batch (so lockstep slots stay complete),
 * counted, and reported through `onFault`.
 */
import type { ExperimentConfig } from '../config.ts';
import type { TrajectoryMessage, TrajectorySink } from '../transport/types.ts';
import type { SharedWeights } from '../transport/shared-weights.ts';
import { encodeBatch, unframe } from '../trajectory.ts';
import { deriveSeed } from '../../core/rng.ts';
import type { ActorPool } from './pool.ts';
import type { ActorInit, ActorTask } from './worker.ts';

export interface LaneCounters {
  tasks: number;
  groups: number;
  workerFaults: number;
  discardedEpisodes: number;
}

export interface LaneOptions {
  config: ExperimentConfig;
  init: ActorInit;
  pool: ActorPool;
  sink: TrajectorySink;
  weights: SharedWeights;
  counters: LaneCounters;
  /** Prefix of actor ids and message ids (unique per actor process). */
  actorPrefix: string;
  /** Added to group ids so groups of different actor processes never collide. */
  groupOffset: number;
  lockstep: boolean;
  /** Tasks per learner update. */
  U: number;
  /** Weight version at start (lockstep pins relative to it). */
  v0: number;
  /** Stop dispatching at this task index. */
  maxTasks: number;
  isStopping(): boolean;
  onFault(message: string, extra: Record<string, unknown>): void;
  /** The fraction of the training budget done at weight version v (ActorTask.progress); default 0. */
  progress?(version: number): number;
}

export function startActorLanes(o: LaneOptions): { done: Promise<void>; abort(): void } {
  const { config, counters, sink } = o;
  const k0 = counters.tasks;
  const pinFor = (k: number) => o.v0 + Math.max(0, Math.floor((k - k0) / o.U) - 1);
  const sender = taskSender(o, k0);
  const aborter = new AbortController();

  const lane = async (laneId: number) => {
    while (!o.isStopping()) {
      // Free, with a sink that has flow control (Redis): a credit for the weights the task will sample with
      // (at least the version held now), so the task's rollouts are trained within actors.maxStaleness.
      const credit = !o.lockstep && sink.acquire ? await sink.acquire(() => o.weights.latestVersion(), o.isStopping) : undefined;
      if (credit === null || o.isStopping()) return;
      const k = counters.tasks;
      if (k >= o.maxTasks) return;
      counters.tasks++;
      const groups = takeGroups(o);
      const pin = o.lockstep ? pinFor(k) : null;
      const want = pin ?? o.v0;
      while (!o.isStopping() && o.weights.latestVersion() < want) await o.weights.waitForAsync(want, 250);
      if (o.isStopping()) return;
      const task = taskFor(o, `${o.actorPrefix}${laneId}`, k, k0, groups, pin);
      let payload: Uint8Array;
      let steps = 0;
      let sampled = pin ?? -1;
      // The task's deadline: aborting a running piscina task terminates its worker thread (a hung env step
      // included), and piscina starts a replacement.
      const deadline = AbortSignal.timeout(config.actors.taskTimeoutSeconds * 1000);
      try {
        ({ steps, payload, policyVersion: sampled } = unframe(await o.pool.run(task, AbortSignal.any([aborter.signal, deadline]))));
      } catch (err) {
        if (o.isStopping()) return;
        payload = replaceFailedTask(o, task, err, deadline.aborted);
      }
      const sent = sender.deliver(k, { id: `${o.actorPrefix}:${k}`, actorId: task.actorId, policyVersion: sampled, steps, payload, credit });
      // Free: the lane samples its next task only once this one is queued, so the transport's backpressure
      // bounds how far ahead (how stale) sampling runs, and a lane picks up newer weights for its next task.
      // (Lockstep lanes are bounded by their pinned versions instead and must not wait on each other's order.)
      if (!o.lockstep) await sent;
    }
  };

  const lanes = Array.from({ length: o.pool.workers }, (_, i) => lane(i));
  return {
    done: Promise.all(lanes).then(() => sender.drained()),
    abort: () => aborter.abort(),
  };
}

/**
 * Sends finished tasks' messages to the sink one at a time: in task order from k0 (lockstep), or as they
 * finish (free). `drained()` settles once every message delivered so far has been sent (or dropped when
 * stopping).
 */
function taskSender(o: LaneOptions, k0: number): { deliver(k: number, msg: TrajectoryMessage): Promise<void>; drained(): Promise<void> } {
  const finished = new Map<number, TrajectoryMessage>();
  let nextSend = k0;
  let sendChain = Promise.resolve();
  const deliver = (k: number, msg: TrajectoryMessage): Promise<void> => {
    finished.set(k, msg);
    sendChain = sendChain.then(async () => {
      if (o.lockstep) {
        while (finished.has(nextSend)) {
          const m = finished.get(nextSend)!;
          finished.delete(nextSend++);
          if (!o.isStopping()) await o.sink.send(m);
        }
      } else {
        const m = finished.get(k);
        finished.delete(k);
        if (m && !o.isStopping()) await o.sink.send(m);
      }
    }).catch(() => { /* the transport closed: the run is stopping */ });
    return sendChain;
  };
  return { deliver, drained: () => sendChain };
}

/** The next task's groups: fresh group ids (offset per actor process) and each group's env seed. */
function takeGroups(o: LaneOptions): ActorTask['groups'] {
  return Array.from({ length: o.config.actors.groupsPerTask }, () => {
    const group = o.groupOffset + o.counters.groups++;
    return { group, seed: deriveSeed(o.config.seed, 'env', group) };
  });
}

/** Task k for a lane: its sampling seed from (seed, k), frames every U·episodeEvery tasks, training progress. */
function taskFor(o: LaneOptions, actorId: string, k: number, k0: number, groups: ActorTask['groups'], pin: number | null): ActorTask {
  const { config } = o;
  return {
    init: o.init, actorId, taskIndex: k, groups, pinVersion: pin,
    sampleSeed: deriveSeed(config.seed, `sample:${o.groupOffset}`, k),
    wantFrames: config.logging.frames && config.logging.episodeEvery > 0 && (k - k0) % (o.U * config.logging.episodeEvery) === 0,
    weightTimeoutMs: 5 * 60_000,
    progress: o.progress?.(pin ?? o.weights.latestVersion()) ?? 0,
  };
}

/** A task whose worker threw, died or timed out: counted, reported, and replaced by an empty batch. */
function replaceFailedTask(o: LaneOptions, task: ActorTask, err: unknown, timedOut: boolean): Uint8Array {
  const { config, counters } = o;
  const k = task.taskIndex;
  counters.workerFaults++;
  const lost = task.groups.length * config.env.groupSize;
  counters.discardedEpisodes += lost;
  const message = timedOut ? `task exceeded actors.taskTimeoutSeconds (${config.actors.taskTimeoutSeconds} s)` : err instanceof Error ? err.message : String(err);
  o.onFault(`actor worker failed on task ${k} (replaced; its ${lost} episodes discarded): ${message}`, { faultKind: timedOut ? 'timeout' : 'worker', task: k });
  return encodeBatch({ actorId: task.actorId, taskIndex: k, policyVersion: task.pinVersion ?? -1, records: [], faults: [], steps: 0, busyMs: 0, policyMs: 0 });
}
