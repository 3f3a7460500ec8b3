/**
 * The learner thread. Receives actor batches (msgpackr bytes, transferred), filters stale rollouts,
 * turns captions into intrinsic rewards with the reward model, combines rewards (ONI), builds a
 * LearnerBatch and runs the GRPO + THR update (agents/), then publishes the new weights (safetensors
 * bytes) with the next version number and posts a metrics record.
 *
 * Labels: after collecting an update's rollouts the learner posts the captions it has not asked about
 * before ('annotate') and waits for the main thread's immediate reply ('labels': whatever the annotator
 * has produced so far). The learner thus waits on a thread round trip, never on the judge; with a
 * synchronous judge (the rubric, zero latency) the labels are complete and the run is reproducible.
 *
 * One update reads top to bottom in `update()`: collect whole groups → drop stale rollouts → reward
 * (annotation round trip, reward model, ONI's combination) → learn (GRPO + THR) → publish the weights →
 * report the metrics. Protocol: see LearnerIn / LearnerOut below.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPolicy, decodeSafetensors, encodeSafetensors, GrpoLearner, initBackend, loadWeights, type AnyPolicy, type TrainablePolicy } from '../../agents/index.ts';
import { createRewardModel, type CombineCoefficients, type RewardModel } from '../../rewards/index.ts';
import type { AnnotationLabel, AnnotationRequest, EnvContext, EnvFamily } from '../../core/types.ts';
import type { ExperimentConfig } from '../config.ts';
import { decodeBatch, type FaultRecord, type TrajectoryBatch, type TrajectoryRecord } from '../trajectory.ts';
import { sharedWeightPublisher } from '../transport/inprocess.ts';
import { SharedWeights, type SharedWeightsHandle } from '../transport/shared-weights.ts';
import type { WeightPublisher } from '../transport/types.ts';
import { buildLearnerBatch } from './batch.ts';
import { combineEpisode, combineEpisodeByKeys, RewardExtras, type Combined } from './rewards.ts';
import { VersionLineage, type VersionFork } from './lineage.ts';

export interface LearnerInit {
  config: ExperimentConfig;
  /** The weight buffer to publish into; when absent the learner allocates one sized to its weights. */
  weights?: SharedWeightsHandle;
  /** Resume / warm start: state saved by a checkpoint. */
  resume?: LearnerResume;
  /**
   * Publish the first weights as this version (or the resumed checkpoint's version, whichever is higher).
   * Set when actors elsewhere may hold versions above the checkpoint's (see lineage.ts): the learner then
   * records a fork so policy lag still counts updates along its own history.
   */
  startVersion?: number;
  padId: number;
  /** The env as its spec describes it (id, family, goal): the family picks the sample layout, the rest the rubric oracle. */
  env: EnvContext;
  backend?: string;
}

export interface LearnerResume {
  version: number;
  weights: Uint8Array;
  learnerState?: unknown;
  rewardState?: unknown;
  requested?: string[];
  /** Forks of the version history so far (saved in checkpoints; see lineage.ts). */
  lineage?: VersionFork[];
  /** Updates and env steps done before the checkpoint (the c_int schedule continues from them). */
  progress?: { updates: number; envSteps: number };
}

export type LearnerIn =
  | { type: 'batch'; items: Array<{ id: string; bytes: Uint8Array }>; flush: boolean }
  | { type: 'labels'; reqId: number; labels: AnnotationLabel[] }
  | { type: 'checkpoint'; reqId: number }
  | { type: 'stop' };

export interface EpisodeSample {
  envId: string;
  family: EnvFamily;
  seed: number;
  reward: number;
  success: boolean;
  policyVersion: number;
  steps: Array<{ action: number; message: string; reward: number; intrinsic: number }>;
  completion?: string;
  rewardComponents?: Record<string, number>;
  frames?: Array<{ rgb: Uint8Array; height: number; width: number }>;
}

/** One finished update: the version it published and its flat metrics. */
export interface LearnerUpdate {
  version: number;
  metrics: Record<string, number>;
  /** Why the update was skipped (non-finite loss or gradients), when it was. */
  skipped?: string;
}

function maxOf(m: Map<string, { heapMB: number; externalMB: number }>, k: 'heapMB' | 'externalMB'): number {
  let best = NaN;
  for (const v of m.values()) if (!(v[k] <= best)) best = v[k];
  return best;
}

/** Records whose rewards or observations are not finite: dropped by the learner, reported as env faults. */
function badRecord(r: TrajectoryRecord): { kind: 'bad-reward' | 'bad-observation'; step: number; message: string } | null {
  for (let t = 0; t < r.rewards.length; t++) {
    if (!Number.isFinite(r.rewards[t])) return { kind: 'bad-reward', step: t, message: `reward ${r.rewards[t]} at step ${t} is not finite (episode dropped)` };
  }
  if (r.obs) {
    for (let i = 0; i < r.obs.length; i++) {
      if (!Number.isFinite(r.obs[i])) { const t = Math.floor(i / (r.obsDim ?? 1)); return { kind: 'bad-observation', step: t, message: `observation at step ${t} holds ${r.obs[i]} (episode dropped)` }; }
    }
  }
  return null;
}

export type LearnerOut =
  | { type: 'ready'; version: number; weightBytes: number; weights: SharedWeightsHandle; paramCount: number }
  /** The batch's rollouts are consumed; `update` is the update they completed, if any. */
  | { type: 'consumed'; ids: string[]; update?: LearnerUpdate }
  | { type: 'annotate'; reqId: number; items: AnnotationRequest[] }
  | { type: 'episode'; sample: EpisodeSample }
  | { type: 'faults'; faults: FaultRecord[] }
  | { type: 'checkpoint'; reqId: number; version: number; weights: Uint8Array; learnerState: unknown; rewardState: unknown; requested: string[]; lineage: VersionFork[] }
  | { type: 'fatal'; message: string };

/** Bound on frames buffered in the learner awaiting their annotation request (free pipeline leftovers). */
const MAX_KEY_FRAMES = 20_000;

const port = parentPort!;
const post = (m: LearnerOut, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** The stale-filtered records of one update and their per-record loss weights (downweight mode). */
interface Collected {
  records: TrajectoryRecord[];
  sampleWeights?: Float32Array;
  frames: TrajectoryBatch['frames'];
}

class LearnerThread {
  private policy!: AnyPolicy;
  private learner!: GrpoLearner<unknown>;
  private model: RewardModel | null = null;
  private coef: CombineCoefficients = { cExt: 1, cInt: 0, beta: 0 };
  /** c_int's schedule and the unseen-caption accuracy (runner/learner/rewards.ts). */
  private extras: RewardExtras | null = null;
  private publisher!: WeightPublisher;
  private version = 0;
  private lineage = new VersionLineage();
  private pending: TrajectoryRecord[] = [];
  private pendingFrames: TrajectoryBatch['frames'];
  private requested = new Set<string>();
  /** Perceptual judge: score steps by frame key (not caption); frames received but not yet requested. */
  private perceptual = false;
  private keyFrames = new Map<string, { rgb: Uint8Array; height: number; width: number }>();
  private reqId = 0;
  private labelWaiters = new Map<number, (labels: AnnotationLabel[]) => void>();
  private inbox: LearnerIn[] = [];
  private busy = false;
  /** Each actor worker thread's latest memory report (key: actor id / thread id; `at`: when it came). */
  private readonly workerMemory = new Map<string, { heapMB: number; externalMB: number; at: number }>();
  private stats = { actorBusyMs: 0, actorPolicyMs: 0, actorSteps: 0, staleDropped: 0, staleDownweighted: 0, abandonedDropped: 0, envFaults: 0, emptyUpdates: 0, lagSum: 0, lagMax: 0, lagN: 0, episodes: 0, updates: 0 };

  constructor(private readonly init: LearnerInit) {}

  async start(): Promise<void> {
    const c = this.init.config;
    await initBackend(this.init.backend);
    const { checkpoint: warm, ...policyConfig } = c.policy;
    this.policy = createPolicy(policyConfig);
    // The learner is generic in the policy's input layout; this thread serves whichever policy the env needs.
    this.learner = new GrpoLearner<unknown>(this.policy as TrainablePolicy<unknown>, c.learner);
    if (c.rewards) {
      this.model = createRewardModel(c.rewards.model);
      if (c.rewards.judge.kind === 'perceptual') {
        if (!this.model.scoreKeys) throw new Error("rewards.model: the perceptual judge labels frames by key; the reward model needs scoreKeys (kind 'retrieval')");
        this.perceptual = true;
      }
      this.coef = { cExt: c.rewards.cExt, cInt: c.rewards.cInt, beta: c.rewards.beta };
      const pr = this.init.resume;
      this.extras = new RewardExtras(c.rewards, pr?.progress ?? { updates: pr?.version ?? 0, envSteps: 0 }, this.init.env);
    }
    const r = this.init.resume;
    if (!r && typeof warm === 'string') this.policy.setWeights(loadWeights(warm).weights);
    if (r) {
      this.policy.setWeights(decodeSafetensors(r.weights).weights);
      if (r.learnerState !== undefined && r.learnerState !== null) this.learner.setState(r.learnerState as Parameters<GrpoLearner<unknown>['setState']>[0]);
      if (r.rewardState !== undefined && r.rewardState !== null && this.model) this.model.load(r.rewardState as Parameters<RewardModel['load']>[0]);
      for (const k of r.requested ?? []) this.requested.add(k);
      this.version = r.version;
      this.lineage = new VersionLineage(r.lineage ?? []);
    }
    const start = this.init.startVersion;
    if (start !== undefined && start > this.version) {
      // Actors may hold versions up to start − 1 that this learner's history no longer contains.
      this.lineage.fork(r ? this.version : -1, start);
      this.version = start;
    }
    const bytes = encodeSafetensors(this.policy.getWeights());
    // Headroom for safetensors metadata; the tensor shapes never change during a run.
    const handle = this.init.weights ?? SharedWeights.create(bytes.byteLength * 2 + 65536).handle;
    this.publisher = sharedWeightPublisher(handle);
    await this.publisher.publish(this.version, bytes);
    const paramCount = this.policy.trainableVariables.reduce((s, v) => s + v.size, 0);
    post({ type: 'ready', version: this.version, weightBytes: bytes.byteLength, weights: handle, paramCount });
  }

  onMessage(m: LearnerIn): void {
    if (m.type === 'labels') {
      const w = this.labelWaiters.get(m.reqId);
      this.labelWaiters.delete(m.reqId);
      w?.(m.labels);
      return;
    }
    this.inbox.push(m);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.inbox.length > 0) {
        const m = this.inbox.shift()!;
        if (m.type === 'batch') await this.onBatch(m.items, m.flush);
        else if (m.type === 'checkpoint') this.onCheckpoint(m.reqId);
        else if (m.type === 'stop') {
          this.model?.dispose();
          this.learner.dispose();
          this.policy.dispose();
          port.close();
          return;
        }
      }
    } catch (err) {
      post({ type: 'fatal', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
    } finally {
      this.busy = false;
    }
  }

  private async onBatch(items: Array<{ id: string; bytes: Uint8Array }>, flush: boolean): Promise<void> {
    const c = this.init.config;
    const faults: FaultRecord[] = [];
    for (const it of items) {
      const b = decodeBatch(it.bytes);
      faults.push(...b.faults);
      this.stats.actorBusyMs += b.busyMs;
      this.stats.actorPolicyMs += b.policyMs;
      this.stats.actorSteps += b.steps;
      if (b.workerMemory) this.workerMemory.set(`${b.actorId}/${b.workerMemory.thread}`, { ...b.workerMemory, at: Date.now() });
      if (b.frames && !this.pendingFrames) this.pendingFrames = b.frames;
      for (const r of b.records) {
        const bad = badRecord(r);
        if (bad) faults.push({ ...bad, envId: r.envId, seed: r.seed, episodesLost: 1, message: `episode ${r.member} of group ${r.group}: ${bad.message}` });
        else this.pending.push(r);
      }
      for (const f of b.keyFrames ?? []) {
        if (!this.requested.has(f.key) && !this.keyFrames.has(f.key)) this.keyFrames.set(f.key, { rgb: f.rgb, height: f.height, width: f.width });
      }
    }
    if (faults.length > 0) {
      this.stats.envFaults += faults.length;
      post({ type: 'faults', faults });
    }
    const groups = new Set(this.pending.map((r) => r.group)).size;
    const update = flush || (c.actors.pipeline === 'free' && groups >= c.groupsPerUpdate) ? await this.update() : undefined;
    // After the update (if any): the main thread sends the next batch only now, so at most one batch is
    // in the learner at a time and a budget in updates is met exactly.
    post({ type: 'consumed', ids: items.map((i) => i.id), update });
  }

  private async labels(items: AnnotationRequest[]): Promise<AnnotationLabel[]> {
    const reqId = ++this.reqId;
    return new Promise((resolve) => {
      this.labelWaiters.set(reqId, resolve);
      post({ type: 'annotate', reqId, items });
    });
  }

  /**
   * One learner update over the pending rollouts; see the file comment for the phases. An update left
   * with no rollouts (all stale, or all faulted) trains nothing and, in the free pipeline, publishes
   * nothing: the version only advances with new weights. Lockstep pins update j's rollouts to version
   * j − 1, so there the unchanged weights are published again (counted as `emptyUpdates`).
   */
  private async update(): Promise<LearnerUpdate | undefined> {
    const t0 = performance.now();
    const batch = this.collect();
    if (batch.records.length === 0) {
      this.stats.emptyUpdates++;
      if (this.init.config.actors.pipeline === 'free') return undefined;
    }
    const modelMetrics = await this.annotate(batch.records);
    if (this.extras) this.coef.cInt = this.extras.cInt({ updates: this.stats.updates, envSteps: this.stats.actorSteps });
    const rewards = batch.records.map((r) => this.reward(r));
    const { metrics, skipped } = await this.learn(batch, rewards);
    this.stats.updates++;
    this.stats.episodes += batch.records.length;
    await this.publish();
    const out = { ...this.report(batch.records, rewards, performance.now() - t0), ...prefix('learner_', metrics), ...modelMetrics };
    return { version: this.version, metrics: out, skipped };
  }

  /**
   * Takes up to groupsPerUpdate whole groups of the pending records, oldest first (all of them in lockstep),
   * and filters staleness. Lag = updates between the version that sampled and the version this update
   * starts from, along the learner's lineage (= the difference of the two numbers unless a resume forked
   * it). A rollout sampled off the lineage (a version published after the checkpoint a resume came from)
   * has no lag on this history: always dropped, counted apart from stale ones.
   */
  private collect(): Collected {
    const c = this.init.config;
    const byGroup = new Map<number, TrajectoryRecord[]>();
    for (const r of this.pending) {
      if (!byGroup.has(r.group)) byGroup.set(r.group, []);
      byGroup.get(r.group)!.push(r);
    }
    const take = c.actors.pipeline === 'free' ? [...byGroup.keys()].slice(0, c.groupsPerUpdate) : [...byGroup.keys()];
    const takeSet = new Set(take);
    this.pending = this.pending.filter((r) => !takeSet.has(r.group));
    const frames = this.pendingFrames;
    this.pendingFrames = undefined;
    const kept: TrajectoryRecord[] = [];
    const w: number[] = [];
    for (const r of take.flatMap((g) => byGroup.get(g)!)) {
      const lag = this.lineage.lag(this.version, r.policyVersion);
      if (lag === null) { this.stats.abandonedDropped++; continue; }
      this.stats.lagSum += lag;
      this.stats.lagN++;
      this.stats.lagMax = Math.max(this.stats.lagMax, lag);
      if (lag > c.actors.maxStaleness) {
        if (c.actors.staleMode === 'drop') { this.stats.staleDropped++; continue; }
        this.stats.staleDownweighted++;
        w.push(c.actors.staleWeight ** (lag - c.actors.maxStaleness));
      } else w.push(1);
      kept.push(r);
    }
    return { records: kept, frames, sampleWeights: c.actors.staleMode === 'downweight' ? Float32Array.from(w) : undefined };
  }

  /**
   * The annotation round trip: captions (or, for the perceptual judge, frames) never asked about go out,
   * the labels that arrived so far come back and the reward model learns from them. Returns its metrics.
   */
  private async annotate(records: TrajectoryRecord[]): Promise<Record<string, number>> {
    if (!this.model) return {};
    const fresh: AnnotationRequest[] = [];
    if (this.perceptual) {
      // Frames, not captions: each frame key is requested once, with the frame the actor shipped.
      for (const r of records) for (const k of r.frameKeys ?? []) {
        if (this.requested.has(k)) continue;
        const frame = this.keyFrames.get(k);
        if (!frame) continue;
        this.requested.add(k);
        this.keyFrames.delete(k);
        fresh.push({ key: k, envId: r.envId, caption: '', frame });
      }
      // Frames of records dropped as stale stay unrequested; keep the buffer bounded.
      if (this.pending.length === 0 || this.keyFrames.size > MAX_KEY_FRAMES) this.keyFrames.clear();
    } else for (const r of records) for (const m of r.messages) {
      if (m === '' || this.requested.has(m)) continue;
      this.requested.add(m);
      fresh.push({ key: `${r.envId}:${m}`, envId: r.envId, caption: m });
    }
    const labels = await this.labels(fresh);
    const metrics = numeric({ ...(labels.length > 0 ? this.model.update(labels) : this.model.metrics()) });
    this.extras?.observe(records, labels);
    return prefix('rm_', { ...metrics, ...this.extras?.metrics(this.model) });
  }

  /** One rollout's per-step rewards and return: ONI's combination by caption (or frame key), or extrinsic only. */
  private reward(r: TrajectoryRecord): Combined {
    const model = this.model;
    if (this.perceptual && model?.scoreKeys && r.frameKeys) return combineEpisodeByKeys(r.frameKeys, r.rewards, model as { scoreKeys(k: string[]): Float32Array }, this.coef);
    return combineEpisode(r.messages, r.rewards, model, this.coef);
  }

  /** The GRPO + THR update on the batch (agents/), and a sample episode for the stream now and then. */
  private async learn(batch: Collected, rewards: Combined[]): Promise<{ metrics: Record<string, number>; skipped?: string }> {
    const { records } = batch;
    if (records.length === 0) return { metrics: {} };
    const returns = Float32Array.from(rewards, (c) => c.total);
    const learnerBatch = buildLearnerBatch(records, {
      returns, stepRewards: rewards.map((c) => c.rewards), intrinsicStepRewards: rewards.map((c) => c.intrinsic), sampleWeights: batch.sampleWeights,
    }, this.init.padId);
    const res = await this.learner.update(learnerBatch);
    const every = this.init.config.logging.episodeEvery;
    if (every > 0 && this.stats.updates % every === 0) {
      post({ type: 'episode', sample: sampleEpisode(records[0], this.init.env.family, rewards[0], batch.frames) });
    }
    return { metrics: numeric(res.metrics as unknown as Record<string, unknown>), skipped: res.skipped };
  }

  /** The new weights as the next version, for the actors. */
  private async publish(): Promise<void> {
    this.version++;
    await this.publisher.publish(this.version, encodeSafetensors(this.policy.getWeights()));
  }

  /** The update's rollout metrics and the cumulative counters; resets the per-update lag statistics. */
  private report(records: TrajectoryRecord[], rewards: Combined[], learnerMs: number): Record<string, number> {
    const episodes = records.length;
    let successes = 0, extSum = 0, intSum = 0, retSum = 0, lenSum = 0;
    records.forEach((r, b) => {
      successes += r.success ? 1 : 0;
      extSum += rewards[b].extrinsicSum;
      intSum += rewards[b].intrinsicSum;
      retSum += rewards[b].total;
      lenSum += r.actions.length;
    });
    this.forgetSilentWorkers();
    const out: Record<string, number> = {
      episodes,
      successRate: episodes ? successes / episodes : NaN,
      returnMean: episodes ? retSum / episodes : NaN,
      extrinsicMean: episodes ? extSum / episodes : NaN,
      intrinsicMean: episodes ? intSum / episodes : NaN,
      episodeLength: episodes ? lenSum / episodes : NaN,
      policyLag: this.stats.lagN ? this.stats.lagSum / this.stats.lagN : 0,
      policyLagMax: this.stats.lagMax,
      staleDropped: this.stats.staleDropped,
      staleDownweighted: this.stats.staleDownweighted,
      abandonedDropped: this.stats.abandonedDropped,
      emptyUpdates: this.stats.emptyUpdates,
      envFaults: this.stats.envFaults,
      // Cumulative actor-side accounting: steps per busy actor-second measures the actor loop itself.
      actorBusyMs: this.stats.actorBusyMs,
      actorPolicyMs: this.stats.actorPolicyMs,
      actorSteps: this.stats.actorSteps,
      // The largest actor worker thread's memory (heap; external + ArrayBuffers), as last reported: a leak
      // in one env plugin shows here long before actors.workerMemoryMB stops the worker.
      actorHeapMBMax: maxOf(this.workerMemory, 'heapMB'),
      actorExternalMBMax: maxOf(this.workerMemory, 'externalMB'),
      actorWorkersReporting: this.workerMemory.size,
      learnerMs,
      cIntNow: this.coef.cInt,
    };
    this.stats.lagSum = 0;
    this.stats.lagN = 0;
    this.stats.lagMax = 0;
    return out;
  }

  /** Reports of threads silent for a minute (replaced, or their actor process gone) no longer count. */
  private forgetSilentWorkers(): void {
    const old = Date.now() - 60_000;
    for (const [k, v] of this.workerMemory) if (v.at < old) this.workerMemory.delete(k);
  }

  private onCheckpoint(reqId: number): void {
    const weights = encodeSafetensors(this.policy.getWeights());
    post({
      type: 'checkpoint', reqId, version: this.version, weights,
      learnerState: this.learner.getState(),
      rewardState: this.model?.save() ?? null,
      requested: [...this.requested],
      lineage: this.lineage.toJSON(),
    });
  }
}

function numeric(m: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m ?? {})) if (typeof v === 'number') out[k] = v;
  return out;
}

function prefix(p: string, m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) out[`${p}${k}`] = v;
  return out;
}

function sampleEpisode(r: TrajectoryRecord, family: EnvFamily, c: Combined, frames: TrajectoryBatch['frames']): EpisodeSample {
  const s: EpisodeSample = {
    envId: r.envId, family, seed: r.seed, reward: c.total, success: r.success, policyVersion: r.policyVersion,
    steps: Array.from(r.actions, (a, t) => ({ action: a, message: r.messages[t] ?? '', reward: c.rewards[t] ?? 0, intrinsic: c.intrinsic[t] ?? 0 })),
  };
  if (r.completion !== undefined) s.completion = r.completion;
  if (r.rewardComponents) s.rewardComponents = r.rewardComponents;
  if (frames && r.member === 0) s.frames = frames.map((f) => ({ rgb: f.rgb, height: f.height, width: f.width }));
  return s;
}

const thread = new LearnerThread(workerData as LearnerInit);
port.on('message', (m: LearnerIn) => thread.onMessage(m));
thread.start().catch((err) => post({ type: 'fatal', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) }));
