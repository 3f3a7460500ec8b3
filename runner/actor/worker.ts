/**
 * The actor: a piscina worker thread that holds N = groupsPerTask · G env instances and a copy of the
 * policy, and steps them together — one batched policy forward per step for all live envs.
 *
 * A task = "roll out these groups (seeds), with weight version `pinVersion` (lockstep) or the newest
 * (free)". The G members of a group are reset with the same seed. Episodes run to their end (no autoreset:
 * rows that finish early sit out of the forward until the slowest member is done), so a task always
 * returns complete groups. An env plugin that throws is contained: the fault (env id, seed, step) is
 * reported and its group discarded, the other groups go on.
 *
 * Output: one TrajectoryBatch, msgpackr-encoded, returned as a transferable buffer.
 */
import { threadId, workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { GamePolicy, initBackend, TokenPolicy, type AnyPolicy, type PolicyConfig } from '../../agents/index.ts';
import { makeEnv, type Env } from '../../envs/index.ts';
import { frameKey } from '../../rewards/index.ts';
import type { EnvFamily } from '../../core/types.ts';
import { SeededRng } from '../../core/rng.ts';
import { frame, type FaultRecord, type TrajectoryBatch, type TrajectoryRecord } from '../trajectory.ts';
import { SharedWeights, type SharedWeightsHandle } from '../transport/shared-weights.ts';
import { buildPolicy, loadPolicyBytes } from './policy.ts';
import { rolloutTokens } from './tokens.ts';

export interface ActorInit {
  /** Identifies the init (actors rebuild their state when it changes). */
  key: string;
  envId: string;
  envOptions: Record<string, unknown>;
  /** From the env's spec: games step GamePolicy.act, text and tools a TokenPolicy's sampler. */
  family: EnvFamily;
  groupSize: number;
  groupsPerTask: number;
  policy: PolicyConfig & { checkpoint?: string };
  /**
   * The sampling temperature T (learner.temperature, TRL's `temperature`): actors sample from
   * softmax(logits / T) and record the log-prob under it, which the learner scores with the same T. There
   * is no top-k / top-p: the learner scores the full-vocabulary softmax and could not reproduce a truncated
   * distribution, so the importance ratio would be biased (docs/runner.md).
   */
  temperature: number;
  greedy: boolean;
  weights: SharedWeightsHandle;
  /** The TF.js backend to initialise in this thread (agents' initBackend), e.g. 'wasm'. */
  backend?: string;
  /**
   * Perceptual judge (games): render every step's frame, record its frame key per step and ship each
   * distinct frame once per task, for the learner to send to the annotator.
   */
  frameKeys?: boolean;
}

export interface ActorTask {
  init: ActorInit;
  actorId: string;
  taskIndex: number;
  groups: Array<{ group: number; seed: number }>;
  /** Lockstep: use exactly this weight version. null: the newest available. */
  pinVersion: number | null;
  sampleSeed: number;
  /** Record RGB frames of the first rollout (for the dashboard's sample episode). */
  wantFrames: boolean;
  /** Max wait for the pinned/first weights, ms. */
  weightTimeoutMs: number;
  /**
   * The fraction of the training budget done when this task's weights were published, in [0, 1]. Tool envs
   * take it as the reset option `progress` (ToolRL's dynamic reward scaling, envs/tools/reward.ts).
   */
  progress: number;
}

interface ActorState {
  key: string;
  instances: Env[];
  policy: AnyPolicy;
  weights: SharedWeights;
  version: number;
  frameKey: ((envId: string, frame: { rgb: Uint8Array; height: number; width: number }) => string) | null;
}

let state: ActorState | null = null;

async function init(i: ActorInit): Promise<ActorState> {
  if (state && state.key === i.key) return state;
  if (state) {
    for (const e of state.instances) e.close();
    state.policy.dispose();
  }
  // Every thread initialises its own TF.js backend (the game policy's act() is plain TypeScript, but
  // building the policy creates tf.Variables).
  await initBackend(i.backend);
  const N = i.groupSize * i.groupsPerTask;
  const instances: Env[] = [];
  for (let n = 0; n < N; n++) instances.push(await makeEnv(i.envId, i.envOptions));
  const policy = buildPolicy(i.policy);
  if (i.frameKeys && !instances[0]?.render) throw new Error(`env '${i.envId}' has no render(): the perceptual judge needs frames`);
  state = { key: i.key, instances, policy, weights: SharedWeights.attach(i.weights), version: -1, frameKey: i.frameKeys ? frameKey : null };
  return state;
}

function syncWeights(s: ActorState, task: ActorTask): void {
  const want = task.pinVersion ?? 0;
  const seen = s.weights.waitFor(want, task.weightTimeoutMs);
  if (seen < want) throw new Error(`actor ${task.actorId}: weight version ${want} not published within ${task.weightTimeoutMs} ms (latest ${seen})`);
  if (task.pinVersion !== null) {
    if (s.version === task.pinVersion) return;
    const bytes = s.weights.read(task.pinVersion);
    if (!bytes) throw new Error(`actor ${task.actorId}: weight version ${task.pinVersion} is no longer held (latest ${s.weights.latestVersion()}); lockstep pipeline broken`);
    loadPolicyBytes(s.policy, bytes);
    s.version = task.pinVersion;
    return;
  }
  const latest = s.weights.readLatest(s.version);
  if (latest) {
    loadPolicyBytes(s.policy, latest.bytes);
    s.version = latest.version;
  }
}

/** This worker thread's heap and external memory in MB (`external` already includes `arrayBuffers`, Node's Buffers). */
function memoryMB(): { heapMB: number; externalMB: number } {
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / 2 ** 20, externalMB: m.external / 2 ** 20 };
}

/**
 * V8 bounds a worker's heap (resourceLimits); memory outside it (Buffers, ArrayBuffers an env plugin keeps)
 * is checked here, before each task: over actors.workerMemoryMB the task fails with that reason and the
 * thread ends itself right after, so piscina replaces it and the leaked memory is returned.
 */
function checkMemory(): void {
  const limit = (workerData as { memoryMB?: number } | null)?.memoryMB;
  if (!limit) return;
  const m = memoryMB();
  const usedMB = m.heapMB + m.externalMB;
  if (usedMB <= limit) return;
  setImmediate(() => process.exit(0)); // after piscina has sent this task's error back (a task already sent to it fails too)
  throw new Error(`actor worker memory ${usedMB.toFixed(0)} MB (heap + external) is over actors.workerMemoryMB = ${limit}: the worker is replaced`);
}

export default async function runActorTask(task: ActorTask): Promise<Uint8Array> {
  const t0 = performance.now();
  checkMemory();
  const s = await init(task.init);
  syncWeights(s, task);
  const rng = new SeededRng(task.sampleSeed);
  const out: TrajectoryBatch = {
    actorId: task.actorId,
    taskIndex: task.taskIndex,
    policyVersion: s.version,
    records: [],
    faults: [],
    steps: 0,
    busyMs: 0,
    policyMs: 0,
  };
  if (task.init.family === 'games') {
    if (!(s.policy instanceof GamePolicy)) throw new Error(`env '${task.init.envId}' is a game: it needs a game policy (policy.kind 'game'), got '${s.policy.kind}'`);
    rolloutGames(s, s.policy, task, rng, out);
  } else {
    if (!(s.policy instanceof TokenPolicy)) throw new Error(`env '${task.init.envId}' is a ${task.init.family} env: it needs a token policy (policy.kind 'token'), got '${s.policy.kind}'`);
    rolloutTokens(s.instances, s.policy, task, rng, out);
  }
  out.busyMs = performance.now() - t0;
  out.workerMemory = { thread: threadId, ...memoryMB() };
  const bytes = frame(out);
  return Piscina.move(bytes) as unknown as Uint8Array;
}

/** Per-row episode buffers, preallocated to the env's step limit and reused across tasks. */
interface RowBuf {
  obs: Float32Array;
  actions: Int32Array;
  logp: Float32Array;
  rewards: Float32Array;
  messages: string[];
  keys: string[];
  len: number;
}
let sharedRowBufs: RowBuf[] = [];

/**
 * What a game rollout needs of the actor's state (exported for the benchmarks, which run it in-process).
 * The records' typed arrays are views into buffers the next rollout reuses: encode (or copy) them first.
 */
export type GameRolloutState = Pick<ActorState, 'instances' | 'version' | 'frameKey'>;

/**
 * Runs a task's groups of game episodes in lockstep, one batched policy call per step. The step loop
 * stays inline: its state (live rows, the compacted batch, the reused buffers) lives in locals, and
 * moving it behind calls would add a closure call per env step; setup and teardown are helpers below.
 */
export function rolloutGames(s: GameRolloutState, policy: GamePolicy, task: ActorTask, rng: SeededRng, out: TrajectoryBatch): void {
  const G = task.init.groupSize;
  const N = task.groups.length * G;
  const envs = s.instances;
  const temperature = task.init.temperature;
  const obsShape = policy.config.obsShape;
  const obsDim = obsShape.reduce((a, b) => a * b, 1);
  const maxSteps = Math.max(1, envs[0].spec.maxEpisodeSteps);
  const rowBufs = rowBuffers(N, maxSteps, obsDim);
  const cur = new Float32Array(N * obsDim);
  const live: boolean[] = new Array(N).fill(true);
  const done: Array<{ success: boolean; terminated: boolean; truncated: boolean } | null> = new Array(N).fill(null);
  const faultedGroup = new Array<boolean>(task.groups.length).fill(false);
  const frames: NonNullable<TrajectoryBatch['frames']> = [];
  // Perceptual judge: distinct frames of this task by key (a copy of each, taken the first time it is seen).
  const frameKey = s.frameKey;
  const keyFrames = new Map<string, { rgb: Uint8Array; height: number; width: number }>();
  const fault = (n: number, step: number, err: unknown, kind: FaultRecord['kind'] = 'env') => {
    const g = Math.floor(n / G);
    const f: FaultRecord = { kind, episodesLost: G, envId: envs[n].spec?.id ?? task.init.envId, seed: task.groups[g].seed, step, message: err instanceof Error ? err.message : String(err) };
    out.faults.push(f);
    faultedGroup[g] = true;
    for (let m = g * G; m < (g + 1) * G; m++) live[m] = false;
  };

  resetGameRows(envs, task, rowBufs, cur, live, obsDim, fault);
  if (task.wantFrames && live[0] && envs[0].render) frames.push(copyFrame(envs[0].render()));

  const idx = new Int32Array(N);
  const batchObs = new Float32Array(N * obsDim);
  for (;;) {
    let k = 0;
    for (let n = 0; n < N; n++) if (live[n]) idx[k++] = n;
    if (k === 0) break;
    // Compact the live rows only once some episodes have ended (while all run, `cur` is the batch).
    if (k < N) for (let j = 0; j < k; j++) batchObs.set(cur.subarray(idx[j] * obsDim, (idx[j] + 1) * obsDim), j * obsDim);
    const tp = performance.now();
    const { actions, logp } = policy.act(k < N ? batchObs.subarray(0, k * obsDim) : cur, k, { greedy: task.init.greedy, temperature, rng: rng.next, hidden: false });
    out.policyMs += performance.now() - tp;
    for (let j = 0; j < k; j++) {
      const n = idx[j];
      if (!live[n]) continue; // its group faulted earlier in this step
      const b = rowBufs[n];
      const t = b.len;
      b.obs.set(cur.subarray(n * obsDim, (n + 1) * obsDim), t * obsDim);
      b.actions[t] = actions[j];
      b.logp[t] = logp[j];
      let r;
      try {
        r = envs[n].step(actions[j]);
      } catch (err) {
        fault(n, t, err);
        continue;
      }
      out.steps++;
      b.rewards[t] = r.reward;
      b.messages.push(r.info.message ?? '');
      if (frameKey) {
        const f = envs[n].render!();
        const key = frameKey(task.init.envId, f);
        b.keys.push(key);
        if (!keyFrames.has(key)) keyFrames.set(key, { rgb: f.rgb.slice(), height: f.height, width: f.width });
      }
      b.len = t + 1;
      if (n === 0 && task.wantFrames && envs[0].render) frames.push(copyFrame(envs[0].render()));
      if (r.terminated || r.truncated || b.len >= maxSteps) {
        live[n] = false;
        done[n] = { success: r.info.success === true, terminated: r.terminated, truncated: r.truncated || (!r.terminated && b.len >= maxSteps) };
      } else {
        const bad = obsLengthProblem(r.obs, obsDim, `step ${t}`);
        if (bad) fault(n, t, new Error(bad), 'bad-observation');
        else cur.set(r.obs as Float32Array, n * obsDim);
      }
    }
  }

  pushGameRecords(task, rowBufs, done, faultedGroup, obsDim, s.version, frameKey !== null, out);
  if (frameKey) out.keyFrames = keptKeyFrames(out.records, keyFrames);
  if (frames.length > 0 && !faultedGroup[0]) out.frames = frames;
}

/** The module's reused row buffers, (re)allocated when a task needs more rows or longer episodes than they hold. */
function rowBuffers(N: number, maxSteps: number, obsDim: number): RowBuf[] {
  if (sharedRowBufs.length < N || sharedRowBufs[0].obs.length < maxSteps * obsDim) {
    sharedRowBufs = Array.from({ length: N }, () => ({
      obs: new Float32Array(maxSteps * obsDim), actions: new Int32Array(maxSteps), logp: new Float32Array(maxSteps),
      rewards: new Float32Array(maxSteps), messages: [], keys: [], len: 0,
    }));
  }
  return sharedRowBufs;
}

/** Empties each row's buffers and resets its env from its group's seed into `cur`; a throwing reset faults the group. */
function resetGameRows(envs: Env[], task: ActorTask, bufs: RowBuf[], cur: Float32Array, live: boolean[], obsDim: number, fault: (n: number, step: number, err: unknown, kind?: FaultRecord['kind']) => void): void {
  const G = task.init.groupSize;
  for (let n = 0; n < live.length; n++) {
    const b = bufs[n];
    b.len = 0;
    b.messages = [];
    b.keys = [];
    if (!live[n]) continue;
    try {
      const r = envs[n].reset({ seed: task.groups[Math.floor(n / G)].seed });
      const bad = obsLengthProblem(r.obs, obsDim, 'reset');
      if (bad) fault(n, 0, new Error(bad), 'bad-observation');
      else cur.set(r.obs as Float32Array, n * obsDim);
    } catch (err) {
      fault(n, 0, err);
    }
  }
}

/** One record per row of the groups that did not fault (a faulted group is discarded whole). */
function pushGameRecords(task: ActorTask, bufs: RowBuf[], done: Array<{ success: boolean; terminated: boolean; truncated: boolean } | null>, faultedGroup: boolean[], obsDim: number, version: number, keyed: boolean, out: TrajectoryBatch): void {
  const G = task.init.groupSize;
  const N = done.length;
  for (let n = 0; n < N; n++) {
    const g = Math.floor(n / G);
    if (faultedGroup[g]) continue;
    const b = bufs[n];
    const d = done[n]!;
    const rec: TrajectoryRecord = {
      envId: task.init.envId,
      seed: task.groups[g].seed,
      group: task.groups[g].group,
      member: n % G,
      // Views into the reused row buffers, not copies: the batch is encoded (frame) before the next task
      // reuses them.
      actions: b.actions.subarray(0, b.len),
      logp: b.logp.subarray(0, b.len),
      rewards: b.rewards.subarray(0, b.len),
      messages: b.messages,
      success: d.success,
      terminated: d.terminated,
      truncated: d.truncated,
      policyVersion: version,
      obs: b.obs.subarray(0, b.len * obsDim),
      obsDim,
    };
    if (keyed) rec.frameKeys = b.keys;
    out.records.push(rec);
  }
}

/** Each distinct frame of the kept records once (frames of discarded, faulted groups are not sent). */
function keptKeyFrames(records: TrajectoryRecord[], keyFrames: Map<string, { rgb: Uint8Array; height: number; width: number }>): NonNullable<TrajectoryBatch['keyFrames']> {
  const sent = new Set<string>();
  const kept: NonNullable<TrajectoryBatch['keyFrames']> = [];
  for (const rec of records) for (const k of rec.frameKeys!) {
    if (sent.has(k)) continue;
    sent.add(k);
    kept.push({ key: k, ...keyFrames.get(k)! });
  }
  return kept;
}

/**
 * An observation whose length differs from the observation space's (obsDim values) would shift every later
 * row of the batch: its group is dropped as a 'bad-observation' fault instead (a length check per step,
 * cheap; non-finite values are checked by the learner).
 */
function obsLengthProblem(obs: unknown, obsDim: number, where: string): string | null {
  const len = (obs as ArrayLike<number> | null)?.length;
  if (len === obsDim) return null;
  return `observation at ${where} has ${len === undefined ? 'no length' : `length ${len}`}; the observation space holds ${obsDim} values (group discarded)`;
}

function copyFrame(f: { rgb: Uint8Array; height: number; width: number; caption: string }) {
  return { rgb: f.rgb.slice(), height: f.height, width: f.width, caption: f.caption };
}
