/**
 * One experiment: `await new Experiment(config, options).train()` (or `runExperiment(config, options)`).
 *
 * The main thread orchestrates three roles over a Transport and owns the run directory:
 *   actors     a piscina pool (./actor/): tasks of G-rollout groups → TrajectorySink
 *   learner    a worker thread (./learner/worker.ts): rollouts in → rewards → GRPO + THR update → weights out
 *   annotator  rewards/' Annotator (./annotation.ts), answering the learner's caption requests
 * The main thread only moves encoded buffers and small messages; decoding, rewards and training happen in
 * the learner thread, rollouts in the actor threads, so the two overlap.
 *
 * The loop in `train()` reads top to bottom: collect → (reward → update → publish, in the learner thread)
 * → log → checkpoint. Pipelines (actors.pipeline): 'lockstep' pins the rollouts of update j to weight
 * version j − 1 and feeds them in task order (reproducible); 'free' lets actors take the newest weights
 * and run ahead as far as the bounded queue allows (staleness bounded by actors.maxStaleness).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, type ExperimentConfig, type ExperimentConfigInput } from './config.ts';
import { resolveExperiment, type ResolvedExperiment, type ResolveOptions } from './resolve.ts';
import { RunDir } from './run-dir.ts';
import { RunLog, type MetricsRecord } from './run-log.ts';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointData, type RunnerCounters } from './checkpoint.ts';
import { InProcessTransport } from './transport/inprocess.ts';
import { SharedWeights } from './transport/shared-weights.ts';
import type { Transport, TrajectoryMessage, TrajectorySource } from './transport/types.ts';
import { ActorPool } from './actor/pool.ts';
import { actorInit } from './actor/init.ts';
import { startActorLanes } from './actor/lanes.ts';
import { LearnerClient } from './learner/client.ts';
import type { EpisodeSample, LearnerOut, LearnerUpdate } from './learner/worker.ts';
import type { FaultRecord } from './trajectory.ts';
import { AnnotationService, createRunAnnotator, type RunAnnotationChannel } from './annotation.ts';
import { ProgressBar } from './progress.ts';
import { checkHealth, type Warning } from './health.ts';
import { MetricsHub, redactSecrets, startStreamServer, type StreamServer } from './stream/index.ts';

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
  annotationChannel?: RunAnnotationChannel;
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

type Status = RunResult['status'];

const emptyCounters = (): RunnerCounters => ({
  updates: 0, envSteps: 0, episodes: 0, tasks: 0, groups: 0, workerFaults: 0, envFaults: 0, discardedEpisodes: 0, skippedUpdates: 0, elapsedSeconds: 0,
});

/** The experiment as it runs: created by `prepare()`, torn down by `teardown()`. */
interface Live {
  resolved: ResolvedExperiment;
  config: ExperimentConfig;
  runDir: RunDir;
  resume: CheckpointData | null;
  counters: RunnerCounters;
  log: RunLog;
  transport: Transport;
  annotation: AnnotationService;
  learner: LearnerClient;
  /** Tasks per update: groupsPerUpdate / actors.groupsPerTask. */
  U: number;
  lockstep: boolean;
}

export class Experiment {
  private live: Live | null = null;
  private readonly hub: MetricsHub;
  private progress = new ProgressBar(false);
  private readonly say: (line: string) => void;
  private server: StreamServer | null = null;
  private pool: ActorPool | null = null;
  private lanes: { done: Promise<void>; abort(): void } | null = null;
  private source: TrajectorySource | null = null;
  private lastDepth = NaN;
  private status: Status = 'completed';
  private failure: Error | null = null;
  private stopping = false;
  private stopResolve: () => void = () => {};
  private readonly stopped = new Promise<void>((r) => (this.stopResolve = r));
  private ckptChain: Promise<string | null> = Promise.resolve(null);
  /** Message ids already trained on (at-least-once delivery: a redelivered message is acked, never trained twice). */
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  /** Warnings raised so far (once each), for the summary. */
  private readonly warnings: Warning[] = [];
  /** Budget fraction and time when this process started training (for the ETA). */
  private etaBase = { fraction: 0, time: Date.now() };
  /** Messages the runner itself recognised by id as already trained (acknowledged, not trained again). */
  private duplicatesDropped = 0;

  constructor(private readonly partial: ExperimentConfigInput, private readonly opts: RunOptions = {}) {
    this.hub = opts.hub ?? new MetricsHub();
    this.say = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  }

  /** Runs the experiment to its budget (or until aborted) and returns the run directory and summary. */
  async train(): Promise<RunResult> {
    const live = await this.prepare();
    const onAbort = () => this.stop('interrupted');
    this.opts.signal?.addEventListener('abort', onAbort);
    try {
      await this.start(live);
      const timer = this.budgetTimer(live);
      while (!this.stopping) {
        const rollouts = await this.collect(live);                     // 1. rollouts from the actors
        if (rollouts.length === 0) continue;
        const update = await this.learn(live, rollouts);               // 2–4. reward → update → publish (learner thread)
        if (!update) continue;
        const record = this.logUpdate(live, update);                   // 5. metrics.jsonl, stream, progress line
        this.opts.onMetrics?.(record);
        if (this.checkpointDue(live)) void this.checkpoint('periodic'); // 6. checkpoint (queued behind the next batch)
        if (this.budgetFraction(live) >= 1) this.stop('completed');
      }
      if (timer) clearInterval(timer);
      await this.finish(live);
    } catch (err) {
      this.status = 'failed';
      this.failure = err as Error;
    } finally {
      this.opts.signal?.removeEventListener('abort', onAbort);
      await this.teardown(live);
    }
    return this.result(live);
  }

  /** Resolves the config (or the saved one, on resume), opens the run directory and the learner thread. */
  private async prepare(): Promise<Live> {
    try {
      const { runDir, resolved, resume } = await this.openRun();
      try {
        return await this.prepareRun(runDir, resolved, resume);
      } catch (err) {
        runDir.unlock();
        throw err;
      }
    } catch (err) {
      await this.server?.close();
      throw err;
    }
  }

  /** What resolution checks besides the config: the in-process form, the --backend name, server overrides. */
  private resolveOptions(): ResolveOptions {
    return { inProcess: !this.opts.transport, backend: this.opts.backend, server: this.opts.server };
  }

  /** The stream server (dashboard), when enabled; its URL is printed. */
  private async startServer(config: ExperimentConfig, runName: string): Promise<void> {
    const serverCfg = { ...config.server, ...(this.opts.server ?? {}) };
    if (!serverCfg.enabled || this.server) return;
    this.server = await startStreamServer({ hub: this.hub, host: serverCfg.host, port: serverCfg.port, token: serverCfg.token ?? undefined, runsDir: config.logging.dir, runName });
    if (!(this.opts.quiet ?? !config.logging.progress)) this.say(`dashboard: ${this.server.url}${serverCfg.token ? `?token=${serverCfg.token}` : ''}`);
  }

  /** The run directory (created, or opened for --resume) and locked; the resolved config; the checkpoint to resume. */
  private async openRun(): Promise<{ runDir: RunDir; resolved: ResolvedExperiment; resume: CheckpointData | null }> {
    let resume: CheckpointData | null = null;
    let runDir: RunDir;
    let resolved: ResolvedExperiment;
    if (this.opts.resume) {
      // Only the budget may change on resume; everything else is the saved config.
      const over = (this.partial ?? {}) as Record<string, unknown>;
      const other = Object.keys(over).filter((k) => k !== 'budget');
      if (other.length) throw new ConfigError(`--resume continues the saved config of '${this.opts.resume}'; only 'budget' can be changed, got ${other.map((k) => `'${k}'`).join(', ')}`);
      runDir = RunDir.open(this.opts.resume);
      runDir.lock();
      try {
        const saved = JSON.parse(readFileSync(`${runDir.path}/config.json`, 'utf8')) as Record<string, unknown>;
        if (over.budget) saved.budget = over.budget;
        resolved = await resolveExperiment(saved, this.resolveOptions());
        const ckpt = latestCheckpoint(runDir.checkpoints);
        if (!ckpt) throw new Error(`cannot resume '${this.opts.resume}': it has no complete checkpoint under checkpoints/`);
        resume = loadCheckpoint(ckpt);
        this.say(`resuming ${runDir.path} from ${ckpt}`);
      } catch (err) {
        runDir.unlock();
        throw err;
      }
    } else {
      resolved = await resolveExperiment(this.partial, this.resolveOptions());
      // The server first: a port in use or a refused host fails here, before a run directory exists.
      const path = RunDir.nextPath(resolved.config.logging.dir, resolved.config.name);
      await this.startServer(resolved.config, basename(path));
      runDir = RunDir.create(resolved.config.logging.dir, resolved.config.name, path);
      runDir.lock();
      runDir.writeConfig(redactSecrets(resolved.config)); // secrets never go into run directories
    }
    return { runDir, resolved, resume };
  }

  private async prepareRun(runDir: RunDir, resolved: ResolvedExperiment, resume: CheckpointData | null): Promise<Live> {
    const config = resolved.config;
    const transport = this.opts.transport ?? new InProcessTransport({ queueCapacity: config.actors.queueCapacity });
    // Lockstep needs the actors and the learner in one process (ordered feed, pinned versions).
    if (this.opts.actors === false || !(transport instanceof InProcessTransport)) config.actors.pipeline = 'free';
    this.progress = new ProgressBar(!(this.opts.quiet ?? !config.logging.progress));
    const counters = resume ? { ...resume.counters } : emptyCounters();
    const annotation = this.opts.annotationChannel
      ? new AnnotationService(this.opts.annotationChannel, config.rewards?.judge.kind === 'perceptual')
      : new AnnotationService(await createRunAnnotator(resolved), config.rewards?.judge.kind === 'perceptual');
    const startVersion = await this.startVersion(transport, runDir, resume);
    const learner = new LearnerClient({
      config, startVersion, padId: resolved.padId, env: resolved.envContext, backend: this.opts.backend,
      resume: resume ? {
        version: resume.version, weights: resume.weights, learnerState: resume.learnerState, rewardState: resume.rewardState, requested: resume.requested, lineage: resume.lineage,
        progress: { updates: resume.counters.updates, envSteps: resume.counters.envSteps },
      } : undefined,
    });
    this.live = {
      resolved, config, runDir, resume, counters, log: new RunLog(runDir, this.hub, counters), transport, annotation, learner,
      U: config.groupsPerUpdate / config.actors.groupsPerTask, lockstep: config.actors.pipeline === 'lockstep',
    };
    learner.on((m) => this.onLearnerMessage(m));
    void learner.exited.then((code) => { if (!this.stopping) this.stop('failed', new Error(`learner thread exited with code ${code}`)); });
    return this.live;
  }

  /** A warning, raised once per id: an event, a line in the terminal, and listed in summary.json. */
  private raise(live: Live, w: Warning): void {
    if (this.warnings.some((x) => x.id === w.id)) return;
    this.warnings.push(w);
    live.log.event('warning', w.message, { warning: w.id });
    this.progress.note(`warning: ${w.message}`);
  }

  /**
   * The first version to publish (see RunOptions.versionFloor): above anything published through a
   * transport that outlives this process, on resume; undefined = continue from the checkpoint's version.
   */
  private async startVersion(transport: Transport, runDir: RunDir, resume: CheckpointData | null): Promise<number | undefined> {
    let floor = this.opts.versionFloor;
    if (floor === undefined && resume && !(transport instanceof InProcessTransport)) {
      const published = await transport.weightPublisher().latestPublished?.() ?? -1;
      floor = Math.max(published, runDir.highestVersion());
    }
    if (floor !== undefined && !(Number.isSafeInteger(floor) && floor >= -1)) {
      throw new Error(`option 'versionFloor' must be an integer >= -1, got ${floor}`);
    }
    return floor !== undefined && floor >= 0 ? floor + 1 : undefined;
  }

  /** Learner thread ready → weights shared → stream server → start (and fork) events → actor lanes. */
  private async start(live: Live): Promise<void> {
    const { config, runDir, log, learner, transport } = live;
    const ready = await learner.next('ready');
    const weights = SharedWeights.attach(ready.weights);
    if (transport instanceof InProcessTransport) transport.attachWeights(ready.weights);
    else await this.forwardWeights(live, weights, ready.version);
    const quiet = this.opts.quiet ?? !config.logging.progress;
    await this.startServer(config, basename(runDir.path)); // resume: the server starts once the saved config is known
    this.hub.publish('config', redactSecrets(config) as unknown as object); // secrets never go over the stream
    log.event('start', `run ${runDir.path} (${ready.paramCount} parameters, ${config.actors.workers} actor worker(s), pipeline ${config.actors.pipeline})`, { runDir: runDir.path, resumed: Boolean(live.resume), version: ready.version });
    for (const w of live.resolved.warnings) this.raise(live, w); // the pre-run check's (resolve.ts)
    const base = live.resume ? live.resume.version : 0;
    if (ready.version > base) {
      const msg = live.resume
        ? `resumed checkpoint version ${base} as version ${ready.version}: versions ${base + 1}..${ready.version - 1} were published before the restart and are abandoned (rollouts sampled with them are dropped, counted as abandonedDropped)`
        : `fresh run starting at version ${ready.version} (versions up to ${ready.version - 1} exist in the transport)`;
      log.event('fork', msg, { parent: live.resume ? base : -1, version: ready.version });
      if (!quiet) this.say(msg);
    }
    if (!quiet) this.say(`run directory: ${runDir.path}`);
    // The transport's own notices (Redis: an outage started / ended) go to the events and the terminal.
    live.transport.onNotice?.((n) => { log.event(n.kind, n.message, { ...n }); this.progress.note(n.message); });
    this.source = transport.trajectorySource('learner');
    this.etaBase = { fraction: this.budgetFraction(live), time: Date.now() };
    if (this.opts.actors !== false) this.startActors(live, weights, ready.version);
  }

  /** Another transport than the in-process one: publish every version the learner thread writes to it. */
  private async forwardWeights(live: Live, weights: SharedWeights, v0: number): Promise<void> {
    const publisher = live.transport.weightPublisher();
    await publisher.publish(v0, weights.read(v0)!);
    live.learner.on((m) => {
      const version = m.type === 'consumed' ? m.update?.version : undefined;
      const bytes = version === undefined ? null : weights.read(version);
      if (bytes) void publisher.publish(version!, bytes).catch((err) => live.log.event('error', `weight publish failed: ${(err as Error).message}`));
    });
  }

  /** The actors role in this process: one lane per worker thread, dispatching tasks (./actor/lanes.ts). */
  private startActors(live: Live, weights: SharedWeights, v0: number): void {
    const { config, counters, U, lockstep } = live;
    this.pool = new ActorPool(config.actors.workers, config.actors.workerMemoryMB);
    const maxTasks = lockstep && config.budget.updates ? counters.tasks + (config.budget.updates - counters.updates) * U : Infinity;
    this.lanes = startActorLanes({
      config, pool: this.pool, sink: live.transport.trajectorySink('actors'), weights, counters,
      init: actorInit(live.resolved, { key: `${live.runDir.path}:${Date.now()}`, weights: weights.handle, backend: this.opts.backend }),
      actorPrefix: 'actor-', groupOffset: 0, lockstep, U, v0, maxTasks,
      isStopping: () => this.stopping,
      onFault: (message, extra) => live.log.event('fault', message, extra),
      progress: trainingProgress(config, counters.updates, v0, () => this.budgetFraction(live)),
    });
    this.lanes.done.catch((err) => this.stop('failed', err as Error));
  }

  /**
   * 1. Collect: the next rollout messages from the transport, deduplicated — U whole tasks in lockstep
   * (one update's worth, in task order), whatever has arrived in free mode. Empty when stopping.
   */
  private async collect(live: Live): Promise<TrajectoryMessage[]> {
    const source = this.source!;
    const batch: TrajectoryMessage[] = [];
    while (!this.stopping) {
      const want = live.lockstep ? live.U - batch.length : live.U;
      const got = await source.receive(want, 200);
      const dup = got.filter((m) => this.seen.has(m.id));
      this.duplicatesDropped += dup.length;
      if (dup.length > 0) await source.ack(dup.map((m) => m.id));
      for (const m of got) if (!this.seen.has(m.id)) { this.remember(m.id); batch.push(m); }
      if (batch.length > 0 && (!live.lockstep || batch.length >= live.U)) return batch;
    }
    return [];
  }

  private remember(id: string): void {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > 100_000) this.seen.delete(this.seenOrder.shift()!);
  }

  /**
   * 2–4. Reward, update, publish — in the learner thread: it decodes the rollouts, drops stale ones, asks
   * for labels, combines rewards, runs GRPO + THR and publishes the next weight version. Resolves with the
   * update the rollouts completed (every batch in lockstep; once groupsPerUpdate groups are in, free).
   */
  private async learn(live: Live, rollouts: TrajectoryMessage[]): Promise<LearnerUpdate | null> {
    for (const m of rollouts) live.counters.envSteps += m.steps;
    const consumed = live.learner.consume(rollouts, live.lockstep);
    const update = await Promise.race([consumed, this.stopped.then(() => null)]);
    await this.source!.ack(rollouts.map((m) => m.id));
    if (!(live.transport instanceof InProcessTransport)) this.lastDepth = await this.source!.depth().catch(() => NaN);
    return update;
  }

  /** 5. Log: one metrics record per update (metrics.jsonl, the stream, the progress line). */
  private logUpdate(live: Live, u: LearnerUpdate): MetricsRecord {
    const { counters, log } = live;
    counters.updates++;
    counters.episodes += u.metrics.episodes ?? 0;
    const q = live.transport instanceof InProcessTransport ? live.transport.queue : null;
    const ann = live.annotation.stats();
    const rec: MetricsRecord = {
      step: counters.updates,
      time: log.elapsed(),
      version: u.version,
      envSteps: counters.envSteps,
      episodesTotal: counters.episodes,
      ...u.metrics,
      faults: counters.workerFaults + counters.envFaults,
      workerFaults: counters.workerFaults,
      discardedEpisodes: counters.discardedEpisodes,
      stepsPerSec: log.stepsPerSec(),
      queueDepth: q ? q.depth : this.lastDepth,
      queueHighWater: q ? q.highWater : NaN,
      actorBlockedMs: q ? q.blockedMs : NaN,
      rssMB: process.memoryUsage().rss / 2 ** 20,
      skipped: u.skipped ? 1 : 0,
      duplicatesDropped: this.duplicatesDropped,
      // The transport's own counts (Redis: outages, connections, redelivered copies, live actor processes, …).
      ...live.transport.metrics?.(),
    };
    for (const [k, v] of Object.entries(ann)) rec[`ann_${k}`] = v;
    log.record(rec);
    if (live.annotation.channel) this.hub.publish('annotator', { step: counters.updates, ...ann });
    if (u.skipped) {
      counters.skippedUpdates++;
      log.event('skipped', `update ${counters.updates} skipped: ${u.skipped}`);
    }
    for (const w of checkHealth(counters, rec, ann)) this.raise(live, w);
    const fraction = this.budgetFraction(live);
    const done = fraction - this.etaBase.fraction;
    this.progress.update({
      fraction, updates: counters.updates, envSteps: counters.envSteps, stepsPerSec: rec.stepsPerSec,
      successRate: log.recent('successRate'), returnMean: log.recent('returnMean'),
      policyLag: rec.policyLag ?? 0, faults: rec.faults, elapsed: rec.time,
      eta: done > 0 ? ((1 - fraction) * (Date.now() - this.etaBase.time)) / 1000 / done : NaN,
      trouble: {
        discarded: counters.discardedEpisodes, stale: rec.staleDropped ?? 0, 'judge errors': ann.judgeErrorsTotal ?? 0, skipped: counters.skippedUpdates,
        duplicates: this.duplicatesDropped + (rec.redisDuplicates ?? 0), 'redis outages': rec.redisOutages ?? 0,
      },
    });
    return rec;
  }

  /** Messages the learner thread sends besides updates: label requests, env faults, sample episodes, errors. */
  private onLearnerMessage(m: LearnerOut): void {
    const live = this.live!;
    if (m.type === 'annotate') void live.annotation.serve(m.items).then((labels) => live.learner.send({ type: 'labels', reqId: m.reqId, labels }));
    else if (m.type === 'faults') this.onFaults(live, m.faults);
    else if (m.type === 'episode') this.onEpisode(live, m.sample);
    else if (m.type === 'fatal') this.stop('failed', new Error(`learner thread failed: ${m.message}`));
  }

  /** Env faults, each attributed to its env, seed and step: a thrown error discards the episode's group, a bad reward or observation the episode. */
  private onFaults(live: Live, faults: FaultRecord[]): void {
    live.counters.envFaults += faults.length;
    for (const f of faults) {
      const lost = f.episodesLost;
      live.counters.discardedEpisodes += lost;
      const what = f.kind === 'env' ? 'threw' : `gave a ${f.kind}`;
      live.log.event('fault', `env '${f.envId}' ${what} at seed ${f.seed}, step ${f.step}: ${f.message} (${lost} episode${lost > 1 ? 's' : ''} discarded)`, { envId: f.envId, seed: f.seed, step: f.step, faultKind: f.kind });
    }
  }

  private onEpisode(live: Live, s: EpisodeSample): void {
    const { frames, ...rest } = s;
    const names = live.resolved.actionNames ? { actionNames: live.resolved.actionNames } : {};
    this.hub.publish('episode', { step: live.counters.updates, ...s, ...names, reward: s.reward });
    live.runDir.appendEpisode({ step: live.counters.updates, ...rest, ...names, frames: frames?.length ?? 0 });
  }

  private checkpointDue(live: Live): boolean {
    const every = live.config.logging.checkpointEvery;
    return every > 0 && live.counters.updates % every === 0;
  }

  /** 6. Checkpoint: the learner's state and the runner's counters, written atomically; then summary.json. */
  private checkpoint(reason: string): Promise<string | null> {
    const live = this.live!;
    this.ckptChain = this.ckptChain.then(async () => {
      const r = await live.learner.checkpoint();
      live.counters.elapsedSeconds = live.log.elapsed();
      const path = saveCheckpoint(live.runDir.checkpoints, {
        version: r.version, weights: r.weights, learnerState: r.learnerState, rewardState: r.rewardState, requested: r.requested, lineage: r.lineage,
        counters: { ...live.counters }, rng: { seed: live.config.seed, tasks: live.counters.tasks },
      }, live.config.logging.keepCheckpoints);
      live.log.event('checkpoint', `checkpoint ${path} (${reason})`, { path, version: r.version });
      this.writeSummary(live, 'running');
      return path;
    }).catch((err) => { live.log.event('error', `checkpoint failed: ${(err as Error).message}`); return null; });
    return this.ckptChain;
  }

  /** The budget spent: the largest fraction over the configured limits (updates, env steps, seconds). */
  private budgetFraction(live: Live): number {
    const { budget } = live.config;
    const c = live.counters;
    return Math.max(
      budget.updates ? c.updates / budget.updates : 0,
      budget.envSteps ? c.envSteps / budget.envSteps : 0,
      budget.seconds ? live.log.elapsed() / budget.seconds : 0,
    );
  }

  /** A wall-clock budget is checked on a timer, so it ends the run even while the loop waits. */
  private budgetTimer(live: Live): NodeJS.Timeout | null {
    const seconds = live.config.budget.seconds;
    return seconds ? setInterval(() => { if (live.log.elapsed() >= seconds) this.stop('completed'); }, 200) : null;
  }

  private stop(why: Status, err?: Error): void {
    if (this.stopping) return;
    this.stopping = true;
    this.status = why;
    if (err) this.failure = err;
    this.stopResolve();
  }

  /** Stops the actors, then (unless the run failed) a final checkpoint, summary.json and the end event. */
  private async finish(live: Live): Promise<void> {
    this.progress.done();
    this.lanes?.abort();
    await live.transport.close();
    await this.lanes?.done.catch(() => {});
    if (this.status !== 'failed') await this.checkpoint(this.status === 'interrupted' ? 'interrupted' : 'final');
    this.writeSummary(live, this.status);
    live.log.event('end', `run ${this.status}: ${live.counters.updates} updates, ${live.counters.envSteps} env steps`, { status: this.status });
  }

  private writeSummary(live: Live, status: string): void {
    const q = live.transport instanceof InProcessTransport ? live.transport.queue : null;
    live.log.writeSummary(
      { name: live.config.name, runDir: live.runDir.path, status, env: live.config.env.id },
      {
        queueHighWater: q ? q.highWater : null,
        annotator: live.annotation.channel ? live.annotation.stats() : null,
        warnings: this.warnings.map((w) => w.message),
        duplicatesDropped: this.duplicatesDropped,
        transport: live.transport.metrics?.() ?? null,
        ...(this.failure ? { error: this.failure.message } : {}),
      },
    );
  }

  private async teardown(live: Live): Promise<void> {
    await live.learner.stop();
    await this.pool?.destroy().catch(() => {});
    await live.annotation.close();
    await this.server?.close();
    live.runDir.unlock();
  }

  private result(live: Live): RunResult {
    if (this.status === 'failed') {
      try { live.runDir.writeSummary({ name: live.config.name, runDir: live.runDir.path, status: 'failed', error: this.failure?.message ?? 'unknown' }); } catch { /* best effort */ }
      throw this.failure ?? new Error('run failed');
    }
    const summary = JSON.parse(readFileSync(`${live.runDir.path}/summary.json`, 'utf8')) as Record<string, unknown>;
    return { runDir: live.runDir.path, status: this.status, summary, metrics: live.log.metrics, serverUrl: this.server?.url };
  }
}

/**
 * The fraction of the training budget done at weight version v: with an update budget, the updates behind
 * v (deterministic: in lockstep v is the task's pinned version); otherwise the budget spent so far.
 */
export function trainingProgress(config: ExperimentConfig, updatesAtV0: number, v0: number, spent: () => number): (v: number) => number {
  const total = config.budget.updates;
  return (v) => Math.max(0, Math.min(1, total ? (updatesAtV0 + v - v0) / total : spent()));
}

/** Runs an experiment to its budget (or until aborted): `new Experiment(partial, opts).train()`. */
export function runExperiment(partial: ExperimentConfigInput, opts: RunOptions = {}): Promise<RunResult> {
  return new Experiment(partial, opts).train();
}
