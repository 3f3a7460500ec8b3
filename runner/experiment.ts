/**
 * One experiment, in one process: the main thread orchestrates three roles over a Transport —
 *   actors     (ActorsRole)    a piscina pool; tasks of G-rollout groups → TrajectorySink
 *   learner    (LearnerRole)   a worker thread fed from the TrajectorySource; publishes weights
 *   annotator  (AnnotatorRole) rewards/' Annotator, answering the learner's caption requests
 * and writes the run directory, the metrics stream and checkpoints. The main thread only moves
 * encoded buffers and small messages; decoding, rewards and training happen in the learner thread.
 *
 * Pipelines (actors.pipeline): 'lockstep' pins the rollouts of update j to weight version j − 1 and feeds
 * them in task order (reproducible); 'free' lets actors take the newest weights and run ahead as far
 * as the bounded queue allows (staleness bounded by actors.maxStaleness).
 */
import type { Worker } from 'node:worker_threads';
import { ConfigError, type ExperimentConfig, type ExperimentConfigInput } from './config.ts';
import { resolveExperiment, type ResolvedExperiment } from './resolve.ts';
import { RunDir } from './run-dir.ts';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointData, type RunnerCounters } from './checkpoint.ts';
import { InProcessTransport } from './transport/inprocess.ts';
import { SharedWeights as SharedWeightsClass } from './transport/shared-weights.ts';
import type { Transport, TrajectoryMessage, TrajectorySource } from './transport/types.ts';
import { ActorPool } from './actor/pool.ts';
import type { ActorInit } from './actor/worker.ts';
import { actorSampling } from './actor/sampling.ts';
import { startActorLanes } from './actor/lanes.ts';
import { startTsWorker } from './thread.ts';
import type { EpisodeSample, LearnerIn, LearnerInit, LearnerOut, LearnerResume } from './learner/worker.ts';
import type { FaultRecord } from './trajectory.ts';
import { ProgressBar } from './progress.ts';
import { setSolverDemonstrations } from './demonstrations.ts';
import { loadRewards, type AnnotationChannel, type AnnotationLabel, type AnnotationRequest } from './rooms.ts';
import { MetricsHub, startStreamServer, type StreamServer } from './stream/index.ts';
import type { SharedWeights } from './transport/shared-weights.ts';

export interface RunOptions {
  /** Continue the run in this directory from its latest checkpoint. */
  resume?: string;
  /** Override the stream server section (CLI --port/--host/--token/--no-server). */
  server?: Partial<ExperimentConfig['server']>;
  /** Aborting stops the run cleanly: a final checkpoint, summary.json, exit. (Ctrl-C in scripts/start.ts.) */
  signal?: AbortSignal;
  /** Use this hub (e.g. a test's) instead of a new one. */
  hub?: MetricsHub;
  /** Print the progress line and messages (default: config.logging.progress). */
  quiet?: boolean;
  /** TF.js backend name for the worker threads (agents' initBackend; default its auto choice). */
  backend?: string;
  /** Called with every metrics record. */
  onMetrics?: (record: Record<string, number>) => void;
  /** Where progress messages go (default stderr). */
  log?: (line: string) => void;
  /**
   * The transport (default: a new InProcessTransport). With another transport (Redis) the weights are
   * forwarded from the learner thread's buffer to `transport.weightPublisher()` and the pipeline is 'free'.
   */
  transport?: Transport;
  /** Run the actor role in this process (default true). false = the learner role only (see runLearner). */
  actors?: boolean;
  /** The annotator's channel when it runs elsewhere (default: rewards/' Annotator in this process). */
  annotationChannel?: AnnotationChannel;
  /**
   * Publish weight versions strictly above this one. Processes elsewhere (actors over Redis) keep the
   * newest version they were sent and ignore lower ones, so a learner resumed from a checkpoint older than
   * what it published before it died must continue above that. Default: with a transport other than the
   * in-process one, on resume, the higher of the publisher's `latestPublished()` and the highest version
   * the run directory recorded (metrics, events) — the latter covers a Redis that lost its data.
   * The learner records the jump as a fork of its version lineage (runner/learner/lineage.ts).
   */
  versionFloor?: number;
}

export interface RunResult {
  runDir: string;
  status: 'completed' | 'interrupted' | 'failed';
  summary: Record<string, unknown>;
  metrics: Array<Record<string, number>>;
  serverUrl?: string;
}

/** A learner thread that speaks the LearnerIn/LearnerOut protocol. */
class LearnerRole {
  readonly worker: Worker;
  private readonly listeners = new Set<(m: LearnerOut) => void>();
  exited: Promise<number>;

  constructor(init: LearnerInit) {
    this.worker = startTsWorker(new URL('./learner/worker.ts', import.meta.url), { workerData: init as unknown as Record<string, unknown> });
    this.worker.on('message', (m: LearnerOut) => { for (const l of this.listeners) l(m); });
    this.exited = new Promise((resolve) => this.worker.on('exit', resolve));
    this.worker.on('error', (err) => { for (const l of this.listeners) l({ type: 'fatal', message: err.stack ?? String(err) }); });
  }

  on(fn: (m: LearnerOut) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  next<T extends LearnerOut['type']>(type: T, pred: (m: Extract<LearnerOut, { type: T }>) => boolean = () => true): Promise<Extract<LearnerOut, { type: T }>> {
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'fatal') { off(); reject(new Error(`learner thread failed: ${m.message}`)); }
        else if (m.type === type && pred(m as Extract<LearnerOut, { type: T }>)) { off(); resolve(m as Extract<LearnerOut, { type: T }>); }
      });
    });
  }

  send(m: LearnerIn, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }
}

/** rewards/' annotator behind the learner's caption requests; absent for extrinsic-only runs. */
class AnnotatorRole {
  /**
   * Perceptual judge: answer the learner only once the judge is idle. It is local and fast, and unlike
   * captions, frames rarely recur across levels, so labels arriving one update late would score nothing.
   */
  waitForLabels = false;

  constructor(readonly channel: (AnnotationChannel & { metrics?(): Record<string, unknown>; close?(): Promise<void> | void; idle?(): Promise<void> }) | null) {}

  static async create(config: ExperimentConfig, envRef: string): Promise<AnnotatorRole> {
    if (!config.rewards) return new AnnotatorRole(null);
    const rewards = await loadRewards();
    if (!rewards.createJudge || !rewards.Annotator) throw new Error('rewards/index.ts does not export createJudge and Annotator');
    const judge = await rewards.createJudge(config.rewards.judge);
    const jc = config.rewards.judge as { kind?: string; mode?: string; demonstrations?: string | null };
    if (jc.kind === 'perceptual' && !jc.demonstrations) await setSolverDemonstrations(judge, jc.mode ?? 'goal-baseline', config, envRef);
    const role = new AnnotatorRole(new rewards.Annotator(judge, config.rewards.annotator));
    role.waitForLabels = jc.kind === 'perceptual';
    return role;
  }

  /** serve(), after the judge has labelled what is pending when waitForLabels is set. */
  async serveWhenLabelled(items: AnnotationRequest[]): Promise<AnnotationLabel[]> {
    if (!this.channel || !this.waitForLabels || !this.channel.idle) return this.serve(items);
    if (items.length > 0) this.channel.request(items);
    await this.channel.idle();
    return this.channel.drainLabels();
  }

  serve(items: AnnotationRequest[]): AnnotationLabel[] {
    if (!this.channel) return [];
    if (items.length > 0) this.channel.request(items);
    return this.channel.drainLabels();
  }

  stats(): Record<string, number> {
    const m = this.channel?.metrics?.() ?? {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number') out[k] = v;
    return out;
  }

  async close(): Promise<void> {
    await this.channel?.close?.();
  }
}

const emptyCounters = (): RunnerCounters => ({
  updates: 0, envSteps: 0, episodes: 0, tasks: 0, groups: 0, workerFaults: 0, envFaults: 0, discardedEpisodes: 0, elapsedSeconds: 0,
});

/** Runs an experiment to its budget (or until aborted) and returns the run directory and summary. */
export async function runExperiment(partial: ExperimentConfigInput, opts: RunOptions = {}): Promise<RunResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let resume: CheckpointData | null = null;
  let runDir: RunDir;
  let resolved: ResolvedExperiment;
  if (opts.resume) {
    runDir = RunDir.open(opts.resume);
    const { readFileSync } = await import('node:fs');
    const saved = JSON.parse(readFileSync(`${runDir.path}/config.json`, 'utf8')) as Record<string, unknown>;
    // Budget (and logging) may be extended on resume; everything else is the saved config.
    const over = (partial ?? {}) as Partial<ExperimentConfig>;
    if (over.budget) saved.budget = over.budget;
    resolved = await resolveExperiment(saved, { inProcess: !opts.transport, backend: opts.backend, server: opts.server });
    const ckpt = latestCheckpoint(runDir.checkpoints);
    if (!ckpt) throw new Error(`cannot resume '${opts.resume}': it has no complete checkpoint under checkpoints/`);
    resume = loadCheckpoint(ckpt);
    log(`resuming ${runDir.path} from ${ckpt}`);
  } else {
    resolved = await resolveExperiment(partial, { inProcess: !opts.transport, backend: opts.backend, server: opts.server });
    runDir = RunDir.create(resolved.config.logging.dir, resolved.config.name);
    runDir.writeConfig(resolved.config);
  }
  const config = resolved.config;
  const U = config.groupsPerUpdate / config.actors.groupsPerTask;
  const split = opts.actors === false || (opts.transport !== undefined && !(opts.transport instanceof InProcessTransport));
  if (split && config.actors.pipeline === 'lockstep') {
    // Lockstep needs the actors and the learner in one process (ordered feed, pinned versions).
    config.actors.pipeline = 'free';
  }
  if (config.transport.kind !== 'inprocess' && !opts.transport) {
    throw new ConfigError(`transport.kind '${config.transport.kind}' runs as separate processes (scripts/learner.ts, scripts/actor.ts, scripts/annotator.ts); runExperiment runs the in-process form only`);
  }
  if (config.actors.queueCapacity < U) {
    throw new ConfigError(`config key 'actors.queueCapacity' (${config.actors.queueCapacity}) must be >= groupsPerUpdate / actors.groupsPerTask = ${U}, or an update can never be assembled`);
  }
  if (config.actors.pipeline === 'lockstep' && config.actors.maxStaleness < 1) {
    throw new ConfigError(`config key 'actors.maxStaleness' must be >= 1 with actors.pipeline 'lockstep' (its rollouts always lag one version)`);
  }

  const counters: RunnerCounters = resume ? { ...resume.counters } : emptyCounters();
  const startElapsed = counters.elapsedSeconds;
  const t0 = Date.now();
  const elapsed = () => startElapsed + (Date.now() - t0) / 1000;
  const hub = opts.hub ?? new MetricsHub();
  const serverCfg = { ...config.server, ...(opts.server ?? {}) };
  let server: StreamServer | null = null;
  const quiet = opts.quiet ?? !config.logging.progress;
  const progress = new ProgressBar(!quiet);
  const metrics: Array<Record<string, number>> = [];
  const event = (kind: string, message: string, extra: Record<string, unknown> = {}) => {
    const e = { kind, message, time: elapsed(), ...extra };
    hub.publish('event', e);
    runDir.appendEvent(e);
  };

  const transport: Transport = opts.transport ?? new InProcessTransport({ queueCapacity: config.actors.queueCapacity });
  const local = transport instanceof InProcessTransport ? transport : null;
  const annotator = opts.annotationChannel ? new AnnotatorRole(opts.annotationChannel) : await AnnotatorRole.create(config, resolved.envRef);
  const learnerResume: LearnerResume | undefined = resume
    ? { version: resume.version, weights: resume.weights, learnerState: resume.learnerState, rewardState: resume.rewardState, requested: resume.requested, lineage: resume.lineage }
    : undefined;
  let versionFloor = opts.versionFloor;
  if (versionFloor === undefined && resume && !(transport instanceof InProcessTransport)) {
    const published = await transport.weightPublisher().latestPublished?.() ?? -1;
    versionFloor = Math.max(published, runDir.highestVersion());
  }
  if (versionFloor !== undefined && !(Number.isSafeInteger(versionFloor) && versionFloor >= -1)) {
    throw new ConfigError(`option 'versionFloor' must be an integer >= -1, got ${versionFloor}`);
  }
  const startVersion = versionFloor !== undefined && versionFloor >= 0 ? versionFloor + 1 : undefined;
  const learner = new LearnerRole({ config, resume: learnerResume, startVersion, padId: resolved.padId, backend: opts.backend });
  let pool: ActorPool | null = null;
  let status = 'completed' as RunResult['status'];
  let failure: Error | null = null;
  let stopping = false;
  let stopResolve: () => void = () => {};
  const stopped = new Promise<void>((r) => (stopResolve = r));
  const stop = (why: RunResult['status'], err?: Error) => {
    if (stopping) return;
    stopping = true;
    status = why;
    if (err) failure = err;
    stopResolve();
  };
  const onAbort = () => stop('interrupted');
  opts.signal?.addEventListener('abort', onAbort);

  learner.on((m) => {
    if (m.type === 'annotate') {
      if (annotator.waitForLabels) void annotator.serveWhenLabelled(m.items).then((labels) => learner.send({ type: 'labels', reqId: m.reqId, labels }));
      else learner.send({ type: 'labels', reqId: m.reqId, labels: annotator.serve(m.items) });
    }
    else if (m.type === 'faults') onFaults(m.faults);
    else if (m.type === 'episode') onEpisode(m.sample);
    else if (m.type === 'fatal') stop('failed', new Error(`learner thread failed: ${m.message}`));
  });
  void learner.exited.then((code) => { if (!stopping) stop('failed', new Error(`learner thread exited with code ${code}`)); });

  const onFaults = (faults: FaultRecord[]) => {
    counters.envFaults += faults.length;
    for (const f of faults) event('fault', `env '${f.envId}' threw at seed ${f.seed}, step ${f.step}: ${f.message}`, { envId: f.envId, seed: f.seed, step: f.step, faultKind: f.kind });
  };
  const onEpisode = (s: EpisodeSample) => {
    const { frames, ...rest } = s;
    hub.publish('episode', { step: counters.updates, ...s, reward: s.reward });
    runDir.appendEpisode({ step: counters.updates, ...rest, frames: frames?.length ?? 0 });
  };

  let weights: SharedWeights;
  try {
    const ready = await learner.next('ready');
    weights = SharedWeightsClass.attach(ready.weights);
    if (local) local.attachWeights(ready.weights);
    else {
      // Another transport: forward every version the learner thread publishes.
      const publisher = transport.weightPublisher();
      await publisher.publish(ready.version, weights.read(ready.version)!);
      learner.on((m) => {
        if (m.type !== 'update') return;
        const bytes = weights.read(m.version);
        if (bytes) void publisher.publish(m.version, bytes).catch((err) => event('error', `weight publish failed: ${(err as Error).message}`));
      });
    }
    const v0 = ready.version;
    if (serverCfg.enabled) {
      server = await startStreamServer({ hub, host: serverCfg.host, port: serverCfg.port, token: serverCfg.token ?? undefined, runsDir: config.logging.dir, runName: runDir.path.split('/').pop() });
      if (!quiet) log(`dashboard: ${server.url}${serverCfg.token ? `?token=${serverCfg.token}` : ''}`);
    }
    hub.publish('config', config as unknown as object);
    event('start', `run ${runDir.path} (${ready.paramCount} parameters, ${config.actors.workers} actor worker(s), pipeline ${config.actors.pipeline})`, { runDir: runDir.path, resumed: Boolean(resume), version: ready.version });
    const base = resume ? resume.version : 0;
    if (ready.version > base) {
      const msg = resume
        ? `resumed checkpoint version ${base} as version ${ready.version}: versions ${base + 1}..${ready.version - 1} were published before the restart and are abandoned (rollouts sampled with them are dropped, counted as abandonedDropped)`
        : `fresh run starting at version ${ready.version} (versions up to ${ready.version - 1} exist in the transport)`;
      event('fork', msg, { parent: resume ? base : -1, version: ready.version });
      if (!quiet) log(msg);
    }
    if (!quiet) log(`run directory: ${runDir.path}`);

    if (opts.actors !== false) pool = new ActorPool(config.actors.workers);
    const actorInit: ActorInit = {
      key: `${runDir.path}:${Date.now()}`,
      envId: resolved.envRef,
      envOptions: config.env.options,
      family: resolved.family,
      groupSize: config.env.groupSize,
      groupsPerTask: config.actors.groupsPerTask,
      policy: config.policy,
      sampling: actorSampling(config.learner),
      greedy: config.actors.greedy,
      weights: ready.weights,
      backend: opts.backend,
      frameKeys: (config.rewards?.judge as { kind?: string } | undefined)?.kind === 'perceptual',
    };

    // ── budget ──
    const budgetFraction = () => Math.max(
      config.budget.updates ? counters.updates / config.budget.updates : 0,
      config.budget.envSteps ? counters.envSteps / config.budget.envSteps : 0,
      config.budget.seconds ? elapsed() / config.budget.seconds : 0,
    );
    const timer = config.budget.seconds ? setInterval(() => { if (elapsed() >= config.budget.seconds) stop('completed'); }, 200) : null;

    // ── actors role ──
    const lockstep = config.actors.pipeline === 'lockstep';
    const maxTasks = lockstep && config.budget.updates ? counters.tasks + (config.budget.updates - counters.updates) * U : Infinity;
    const lanesHandle = !pool ? null : startActorLanes({
      config, init: actorInit, pool, sink: transport.trajectorySink('actors'), weights, counters,
      actorPrefix: 'actor-', groupOffset: 0, lockstep, U, v0, maxTasks,
      isStopping: () => stopping,
      onFault: (message, extra) => event('fault', message, extra),
    });

    // ── learner role: feed from the source, one batch in flight, ack when consumed ──
    const source: TrajectorySource = transport.trajectorySource('learner');
    const rssSamples: number[] = [];
    const seen = new Set<string>();
    const seenOrder: string[] = [];
    const remember = (id: string) => {
      seen.add(id);
      seenOrder.push(id);
      if (seenOrder.length > 100_000) seen.delete(seenOrder.shift()!);
    };
    let lastDepth = NaN;
    const feed = async () => {
      let pendingSlot: TrajectoryMessage[] = [];
      while (!stopping) {
        const want = lockstep ? U - pendingSlot.length : U;
        const got = await source.receive(want, 200);
        // At-least-once delivery: a redelivered message is acknowledged, never trained on twice.
        const dup = got.filter((m) => seen.has(m.id));
        if (dup.length > 0) await source.ack(dup.map((m) => m.id));
        const msgs = got.filter((m) => !seen.has(m.id));
        if (msgs.length === 0) continue;
        for (const m of msgs) remember(m.id);
        if (lockstep) {
          pendingSlot.push(...msgs);
          if (pendingSlot.length < U) continue;
        } else pendingSlot = msgs;
        const batch = pendingSlot;
        pendingSlot = [];
        const consumed = learner.next('consumed');
        const updated = lockstep ? learner.next('update') : null;
        learner.send(
          { type: 'batch', items: batch.map((m) => ({ id: m.id, bytes: m.payload })), flush: lockstep },
          batch.map((m) => m.payload.buffer as ArrayBuffer),
        );
        for (const m of batch) counters.envSteps += m.steps;
        await Promise.race([consumed, stopped]);
        await source.ack(batch.map((m) => m.id));
        if (!local) lastDepth = await source.depth().catch(() => NaN);
        if (updated) await Promise.race([updated, stopped]);
      }
    };

    learner.on((m) => {
      if (m.type !== 'update') return;
      counters.updates++;
      counters.episodes += m.metrics.episodes ?? 0;
      const el = elapsed();
      const ann = annotator.stats();
      const rec: Record<string, number> = {
        step: counters.updates,
        time: el,
        version: m.version,
        envSteps: counters.envSteps,
        episodesTotal: counters.episodes,
        ...m.metrics,
        faults: counters.workerFaults + counters.envFaults,
        workerFaults: counters.workerFaults,
        discardedEpisodes: counters.discardedEpisodes,
        stepsPerSec: counters.envSteps / Math.max(1e-9, el - startElapsed === 0 ? 1e-9 : el - startElapsed),
        queueDepth: local ? local.queue.depth : lastDepth,
        queueHighWater: local ? local.queue.highWater : NaN,
        actorBlockedMs: local ? local.queue.blockedMs : NaN,
        rssMB: process.memoryUsage().rss / 2 ** 20,
        skipped: m.skipped ? 1 : 0,
      };
      for (const [k, v] of Object.entries(ann)) rec[`ann_${k}`] = v;
      if (counters.envSteps > 0 && el > startElapsed) rec.stepsPerSec = counters.envSteps / (el - startElapsed);
      rssSamples.push(rec.rssMB);
      metrics.push(rec);
      runDir.appendMetrics(rec);
      hub.publish('metrics', rec);
      if (annotator.channel) hub.publish('annotator', { step: counters.updates, ...ann });
      if (m.skipped) event('skipped', `update ${counters.updates} skipped: ${m.skipped}`);
      opts.onMetrics?.(rec);
      const ema = metrics.slice(-10);
      progress.update({
        fraction: budgetFraction(), updates: counters.updates, envSteps: counters.envSteps, stepsPerSec: rec.stepsPerSec,
        successRate: avg(ema.map((r) => r.successRate)), returnMean: avg(ema.map((r) => r.returnMean)),
        policyLag: rec.policyLag ?? 0, faults: rec.faults, elapsed: el,
      });
      if (config.logging.checkpointEvery > 0 && counters.updates % config.logging.checkpointEvery === 0) void checkpoint('periodic');
      if (budgetFraction() >= 1) stop('completed');
    });

    let ckptChain: Promise<string | null> = Promise.resolve(null);
    const checkpoint = (reason: string): Promise<string | null> => {
      ckptChain = ckptChain.then(async () => {
        const reqId = Math.floor(Math.random() * 2 ** 31);
        const reply = learner.next('checkpoint', (r) => r.reqId === reqId);
        learner.send({ type: 'checkpoint', reqId });
        const r = await reply;
        counters.elapsedSeconds = elapsed();
        const path = saveCheckpoint(runDir.checkpoints, {
          version: r.version, weights: r.weights, learnerState: r.learnerState, rewardState: r.rewardState, requested: r.requested, lineage: r.lineage,
          counters: { ...counters }, rng: { seed: config.seed, tasks: counters.tasks },
        }, config.logging.keepCheckpoints);
        event('checkpoint', `checkpoint ${path} (${reason})`, { path, version: r.version });
        writeSummary('running');
        return path;
      }).catch((err) => { event('error', `checkpoint failed: ${(err as Error).message}`); return null; });
      return ckptChain;
    };

    const writeSummary = (st: string) => {
      const n = metrics.length;
      const head = metrics.slice(0, Math.max(1, Math.ceil(n / 10)));
      const tail = metrics.slice(-Math.max(1, Math.ceil(n / 10)));
      const el = elapsed();
      runDir.writeSummary({
        name: config.name, runDir: runDir.path, status: st, env: config.env.id,
        updates: counters.updates, envSteps: counters.envSteps, episodes: counters.episodes, elapsedSeconds: el,
        stepsPerSec: counters.envSteps / Math.max(1e-9, el - startElapsed),
        successRateFirst: avg(head.map((r) => r.successRate)), successRateLast: avg(tail.map((r) => r.successRate)),
        returnFirst: avg(head.map((r) => r.returnMean)), returnLast: avg(tail.map((r) => r.returnMean)),
        workerFaults: counters.workerFaults, envFaults: counters.envFaults, discardedEpisodes: counters.discardedEpisodes,
        staleDropped: metrics.at(-1)?.staleDropped ?? 0,
        abandonedDropped: metrics.at(-1)?.abandonedDropped ?? 0,
        rssMBFirst: rssSamples[0] ?? null, rssMBMax: rssSamples.length ? Math.max(...rssSamples) : null, rssMBLast: rssSamples.at(-1) ?? null,
        queueHighWater: local ? local.queue.highWater : null,
        ...(failure ? { error: (failure as Error).message } : {}),
      });
    };

    const lanes = lanesHandle ? [lanesHandle.done.catch((err) => stop('failed', err as Error))] : [];
    const feeder = feed().catch((err) => stop('failed', err as Error));
    // Lockstep with an update budget ends by itself; the stop signal covers every other ending.
    await stopped;
    if (timer) clearInterval(timer);
    progress.done();
    lanesHandle?.abort();
    await transport.close();
    await Promise.allSettled([...lanes, feeder]);
    const st = status as RunResult['status'];
    if (st !== 'failed') await checkpoint(st === 'interrupted' ? 'interrupted' : 'final');
    writeSummary(status);
    event('end', `run ${status}: ${counters.updates} updates, ${counters.envSteps} env steps`, { status });
  } catch (err) {
    status = 'failed';
    failure = err as Error;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    learner.send({ type: 'stop' });
    await Promise.race([learner.exited, sleep(5000)]);
    await learner.worker.terminate();
    await pool?.destroy().catch(() => {});
    await annotator.close();
    await server?.close();
  }
  if (status === 'failed') {
    try { runDir.writeSummary({ name: config.name, runDir: runDir.path, status, error: (failure as Error | null)?.message ?? 'unknown' }); } catch { /* best effort */ }
    throw failure ?? new Error('run failed');
  }
  const { readFileSync } = await import('node:fs');
  const summary = JSON.parse(readFileSync(`${runDir.path}/summary.json`, 'utf8')) as Record<string, unknown>;
  return { runDir: runDir.path, status, summary, metrics, serverUrl: server?.url };
}


function avg(xs: number[]): number {
  const f = xs.filter((x) => Number.isFinite(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
