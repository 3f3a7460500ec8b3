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
import { ConfigError, type ExperimentConfig } from './config.ts';
import { resolveExperiment, type ResolvedExperiment } from './resolve.ts';
import { RunDir } from './run-dir.ts';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointData, type RunnerCounters } from './checkpoint.ts';
import { InProcessTransport } from './transport/inprocess.ts';
import type { TrajectoryMessage, TrajectorySink, TrajectorySource } from './transport/types.ts';
import { ActorPool } from './actor/pool.ts';
import type { ActorInit, ActorTask } from './actor/worker.ts';
import { startTsWorker } from './thread.ts';
import type { EpisodeSample, LearnerIn, LearnerInit, LearnerOut, LearnerResume } from './learner/worker.ts';
import { encodeBatch, unframe, type FaultRecord } from './trajectory.ts';
import { deriveSeed } from './rng.ts';
import { ProgressBar } from './progress.ts';
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
  /** Test hook: extra fields for the actor tasks' init (e.g. to crash a worker). */
  log?: (line: string) => void;
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
  constructor(readonly channel: (AnnotationChannel & { metrics?(): Record<string, unknown>; close?(): Promise<void> | void }) | null) {}

  static async create(config: ExperimentConfig): Promise<AnnotatorRole> {
    if (!config.rewards) return new AnnotatorRole(null);
    const rewards = await loadRewards();
    if (!rewards.createJudge || !rewards.Annotator) throw new Error('rewards/index.ts does not export createJudge and Annotator');
    const judge = await rewards.createJudge(config.rewards.judge);
    return new AnnotatorRole(new rewards.Annotator(judge, config.rewards.annotator));
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
export async function runExperiment(partial: unknown, opts: RunOptions = {}): Promise<RunResult> {
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
    resolved = await resolveExperiment(saved);
    const ckpt = latestCheckpoint(runDir.checkpoints);
    if (!ckpt) throw new Error(`cannot resume '${opts.resume}': it has no complete checkpoint under checkpoints/`);
    resume = loadCheckpoint(ckpt);
    log(`resuming ${runDir.path} from ${ckpt}`);
  } else {
    resolved = await resolveExperiment(partial);
    runDir = RunDir.create(resolved.config.logging.dir, resolved.config.name);
    runDir.writeConfig(resolved.config);
  }
  const config = resolved.config;
  const U = config.groupsPerUpdate / config.actors.groupsPerTask;
  if (config.transport.kind !== 'inprocess') {
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

  const transport = new InProcessTransport({ queueCapacity: config.actors.queueCapacity });
  const annotator = await AnnotatorRole.create(config);
  const learnerResume: LearnerResume | undefined = resume
    ? { version: resume.version, weights: resume.weights, learnerState: resume.learnerState, rewardState: resume.rewardState, requested: resume.requested }
    : undefined;
  const learner = new LearnerRole({ config, resume: learnerResume, padId: resolved.padId, backend: opts.backend });
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
    if (m.type === 'annotate') learner.send({ type: 'labels', reqId: m.reqId, labels: annotator.serve(m.items) });
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
    transport.attachWeights(ready.weights);
    weights = transport.weights;
    const v0 = ready.version;
    if (serverCfg.enabled) {
      server = await startStreamServer({ hub, host: serverCfg.host, port: serverCfg.port, token: serverCfg.token, runsDir: config.logging.dir, runName: runDir.path.split('/').pop() });
      if (!quiet) log(`dashboard: ${server.url}${serverCfg.token ? `?token=${serverCfg.token}` : ''}`);
    }
    hub.publish('config', config as unknown as object);
    event('start', `run ${runDir.path} (${ready.paramCount} parameters, ${config.actors.workers} actor worker(s), pipeline ${config.actors.pipeline})`, { runDir: runDir.path, resumed: Boolean(resume) });
    if (!quiet) log(`run directory: ${runDir.path}`);

    pool = new ActorPool(config.actors.workers);
    const actorInit: ActorInit = {
      key: `${runDir.path}:${Date.now()}`,
      envId: resolved.envRef,
      envOptions: config.env.options,
      family: resolved.family,
      groupSize: config.env.groupSize,
      groupsPerTask: config.actors.groupsPerTask,
      policy: config.policy,
      sampling: {},
      greedy: config.actors.greedy,
      weights: ready.weights,
      backend: opts.backend,
    };

    // ── budget ──
    const budgetFraction = () => Math.max(
      config.budget.updates ? counters.updates / config.budget.updates : 0,
      config.budget.envSteps ? counters.envSteps / config.budget.envSteps : 0,
      config.budget.seconds ? elapsed() / config.budget.seconds : 0,
    );
    const timer = config.budget.seconds ? setInterval(() => { if (elapsed() >= config.budget.seconds) stop('completed'); }, 200) : null;

    // ── actors role: dispatch tasks, send results to the sink (in task order for lockstep) ──
    const sink: TrajectorySink = transport.trajectorySink('actors');
    const k0 = counters.tasks;
    const lockstep = config.actors.pipeline === 'lockstep';
    const pinFor = (k: number) => v0 + Math.max(0, Math.floor((k - k0) / U) - 1);
    const maxTasks = lockstep && config.budget.updates ? k0 + (config.budget.updates - counters.updates) * U : Infinity;
    const done = new Map<number, TrajectoryMessage>();
    let nextSend = k0;
    let sendChain = Promise.resolve();
    const aborter = new AbortController();
    const deliver = (k: number, msg: TrajectoryMessage) => {
      done.set(k, msg);
      sendChain = sendChain.then(async () => {
        if (lockstep) {
          while (done.has(nextSend)) {
            const m = done.get(nextSend)!;
            done.delete(nextSend++);
            if (!stopping) await sink.send(m);
          }
        } else {
          const m = done.get(k);
          done.delete(k);
          if (m && !stopping) await sink.send(m);
        }
      }).catch(() => {});
    };
    const lane = async (laneId: number) => {
      while (!stopping) {
        const k = counters.tasks;
        if (k >= maxTasks) return;
        counters.tasks++;
        const groups = Array.from({ length: config.actors.groupsPerTask }, () => {
          const group = counters.groups++;
          return { group, seed: deriveSeed(config.seed, 'env', group) };
        });
        const pin = lockstep ? pinFor(k) : null;
        if (pin !== null) {
          while (!stopping && weights.latestVersion() < pin) await weights.waitForAsync(pin, 250);
          if (stopping) return;
        }
        const task: ActorTask = {
          init: actorInit, actorId: `actor-${laneId}`, taskIndex: k, groups, pinVersion: pin,
          sampleSeed: deriveSeed(config.seed, 'sample', k),
          wantFrames: config.logging.frames && config.logging.episodeEvery > 0 && (k - k0) % (U * config.logging.episodeEvery) === 0,
          weightTimeoutMs: 5 * 60_000,
        };
        let bytes: Uint8Array;
        let steps = 0;
        try {
          const framed = await pool!.run(task, aborter.signal);
          ({ steps, payload: bytes } = unframe(framed));
        } catch (err) {
          if (stopping) return;
          counters.workerFaults++;
          counters.discardedEpisodes += groups.length * config.env.groupSize;
          const message = err instanceof Error ? err.message : String(err);
          event('fault', `actor worker failed on task ${k} (replaced; its ${groups.length * config.env.groupSize} episodes discarded): ${message}`, { faultKind: 'worker', task: k });
          bytes = encodeBatch({ actorId: task.actorId, taskIndex: k, policyVersion: pin ?? -1, records: [], faults: [], steps: 0, busyMs: 0, policyMs: 0 });
        }
        deliver(k, { id: `${task.actorId}:${k}`, actorId: task.actorId, policyVersion: pin ?? -1, steps, payload: bytes });
      }
    };

    // ── learner role: feed from the source, one batch in flight, ack when consumed ──
    const source: TrajectorySource = transport.trajectorySource('learner');
    const rssSamples: number[] = [];
    const feed = async () => {
      let pendingSlot: TrajectoryMessage[] = [];
      while (!stopping) {
        const want = lockstep ? U - pendingSlot.length : U;
        const msgs = await source.receive(want, 200);
        if (msgs.length === 0) continue;
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
        queueDepth: transport.queue.depth,
        queueHighWater: transport.queue.highWater,
        actorBlockedMs: transport.queue.blockedMs,
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
          version: r.version, weights: r.weights, learnerState: r.learnerState, rewardState: r.rewardState, requested: r.requested,
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
        rssMBFirst: rssSamples[0] ?? null, rssMBMax: rssSamples.length ? Math.max(...rssSamples) : null, rssMBLast: rssSamples.at(-1) ?? null,
        queueHighWater: transport.queue.highWater,
        ...(failure ? { error: (failure as Error).message } : {}),
      });
    };

    const lanes = Array.from({ length: config.actors.workers }, (_, i) => lane(i).catch((err) => stop('failed', err as Error)));
    const feeder = feed().catch((err) => stop('failed', err as Error));
    // Lockstep with an update budget ends by itself; the stop signal covers every other ending.
    await stopped;
    if (timer) clearInterval(timer);
    progress.done();
    aborter.abort();
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
