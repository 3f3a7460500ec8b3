/**
 * The experiment config: one typed, validated object that says what to train (env, policy), how
 * (learner, rewards), for how long (budget), with what parallelism (actors) and where the output goes
 * (logging, server). Sub-configs owned by other rooms (policy, learner, rewards) are validated by their
 * own validators (see plugins.ts) and appear here already resolved, with defaults.
 *
 * Unknown keys and bad values throw a ConfigError naming the dotted key and what is valid.
 */
import type { GrpoConfig, PolicyConfig } from '../agents/index.ts';
import type { RewardsConfig } from '../rewards/index.ts';
import {
  ConfigError, type Plain, bool, isPlainObject, join, num, objectAt, oneOf, optStr, rejectUnknown, str,
} from './validate.ts';

export interface EnvSection {
  /** A registered env id (e.g. 'KeyDoor-v0') or a path to a user's env module ('./my-env.ts'). */
  id: string;
  /** Options passed to `makeEnv(id, options)` (size, difficulty, split, ...). See docs/environments.md. */
  options: Plain;
  /**
   * G: rollouts per group. GRPO (DeepSeekMath 2024) normalises returns within a group of rollouts of the
   * same prompt; for games the group shares its start seed. TRL's default num_generations is 8.
   */
  groupSize: number;
}

export interface BudgetSection {
  /** Stop after this many env steps (games: moves; text: generated tokens). 0 = no limit. */
  envSteps: number;
  /** Stop after this many learner updates. 0 = no limit. */
  updates: number;
  /** Stop after this many wall-clock seconds. 0 = no limit. The first limit reached ends the run. */
  seconds: number;
}

export interface ActorsSection {
  /** Actor worker threads (piscina). Each steps `groupsPerTask * env.groupSize` envs together. */
  workers: number;
  /** Groups one actor task rolls out together (one batched policy forward per step for all of them). */
  groupsPerTask: number;
  /**
   * 'lockstep' (default): the rollouts of update j are sampled with exactly weight version j − 1 (one-step
   * off-policy, as in asynchronous PPO/IMPALA-style pipelines with lag 1); deterministic for a fixed seed
   * whatever the number of workers, since results are fed to the learner in task order.
   * 'free': actors always take the newest weights and run as far ahead as the bounded queue lets them;
   * policy lag then varies and `maxStaleness` bounds it.
   */
  pipeline: 'lockstep' | 'free';
  /**
   * Max policy lag (learner version − behaviour version) accepted for a rollout. Staler rollouts are dropped
   * or down-weighted (see `staleMode`) and counted. IMPALA (Espeholt et al. 2018) corrects lag with V-trace;
   * here the GRPO importance ratio against the behaviour log-probs already corrects small lags.
   */
  maxStaleness: number;
  /** 'drop' discards stale rollouts; 'downweight' keeps them with loss weight staleWeight^(lag − maxStaleness). */
  staleMode: 'drop' | 'downweight';
  /** Per-version decay of a stale rollout's weight in 'downweight' mode, in (0, 1]. */
  staleWeight: number;
  /** Rollout queue capacity in actor messages (backpressure: a full queue blocks the actors). */
  queueCapacity: number;
  /** Sample the greedy action instead (evaluation only; training needs sampling). */
  greedy: boolean;
}

export interface LoggingSection {
  /** Directory that receives runs/<name>-<time>/. */
  dir: string;
  /** Write a checkpoint every this many updates (0 = only at the end / on Ctrl-C). */
  checkpointEvery: number;
  /** Keep at most this many checkpoints (oldest deleted). */
  keepCheckpoints: number;
  /** Publish a sample episode on the 'episode' topic every this many updates (0 = never). */
  episodeEvery: number;
  /** Include RGB frames in sample game episodes (costs bandwidth; low rate). */
  frames: boolean;
  /** Terminal progress bar. */
  progress: boolean;
}

export interface ServerSection {
  /** Start the websocket stream server with the run (dashboard + metrics). */
  enabled: boolean;
  /** Bind address. Non-loopback addresses require a token. */
  host: string;
  /** 0 = a free port. */
  port: number;
  token?: string;
}

export interface TransportSection {
  /** 'inprocess' (threads, default) or 'redis' (separate processes; see docs/distributed.md). */
  kind: 'inprocess' | 'redis';
  /** redis://... or rediss://... for kind 'redis'. */
  url?: string;
}

export interface ExperimentConfig {
  /** Used in the run directory name. Letters, digits, '-', '_', '.'. */
  name: string;
  description: string;
  /** Master seed: env seeds, sampling and weight init derive from it. */
  seed: number;
  env: EnvSection;
  /** The policy config (agents/: validateGamePolicyConfig / validateTokenPolicyConfig), plus optional `checkpoint`. */
  policy: PolicyConfig & { checkpoint?: string };
  /** The GRPO + THR learner config (agents/learner: validateGrpoConfig). */
  learner: GrpoConfig;
  /** Intrinsic rewards (rewards/: validateRewardsConfig); null = extrinsic reward only (no judge, no model). */
  rewards: RewardsConfig | null;
  /** Groups per learner update: B = groupsPerUpdate · groupSize rollouts. */
  groupsPerUpdate: number;
  budget: BudgetSection;
  actors: ActorsSection;
  logging: LoggingSection;
  server: ServerSection;
  transport: TransportSection;
}

const TOP = ['name', 'description', 'seed', 'env', 'policy', 'learner', 'rewards', 'groupsPerUpdate', 'budget', 'actors', 'logging', 'server', 'transport'] as const;

/** Runner-level validation with defaults; sub-configs of other rooms are checked to be objects only. */
export function validateExperimentConfig(partial: unknown): ExperimentConfig {
  if (!isPlainObject(partial)) throw new ConfigError(`an experiment config must be an object, got ${typeof partial}`);
  const p = partial;
  rejectUnknown(p, TOP, '');

  const name = str(p, 'name', '', 'experiment', { nonEmpty: true });
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ConfigError(`config key 'name' must use only letters, digits, '.', '_' and '-', got ${JSON.stringify(name)}`);

  const e = objectAt(p, 'env', '');
  rejectUnknown(e, ['id', 'options', 'groupSize'], 'env');
  if (e.id === undefined) throw new ConfigError(`config key 'env.id' is required: a registered env id (e.g. 'KeyDoor-v0') or a path to an env module`);
  const env: EnvSection = {
    id: str(e, 'id', 'env', '', { nonEmpty: true }),
    options: objectAt(e, 'options', 'env'),
    groupSize: num(e, 'groupSize', 'env', 8, { min: 2, max: 256, integer: true }),
  };

  const b = objectAt(p, 'budget', '');
  rejectUnknown(b, ['envSteps', 'updates', 'seconds'], 'budget');
  const budget: BudgetSection = {
    envSteps: num(b, 'envSteps', 'budget', 0, { min: 0, integer: true }),
    updates: num(b, 'updates', 'budget', 0, { min: 0, integer: true }),
    seconds: num(b, 'seconds', 'budget', 0, { min: 0 }),
  };
  if (budget.envSteps === 0 && budget.updates === 0 && budget.seconds === 0) {
    throw new ConfigError(`config 'budget' needs at least one limit > 0: budget.envSteps, budget.updates or budget.seconds`);
  }

  const a = objectAt(p, 'actors', '');
  rejectUnknown(a, ['workers', 'groupsPerTask', 'pipeline', 'maxStaleness', 'staleMode', 'staleWeight', 'queueCapacity', 'greedy'], 'actors');
  const actors: ActorsSection = {
    workers: num(a, 'workers', 'actors', 1, { min: 1, max: 64, integer: true }),
    groupsPerTask: num(a, 'groupsPerTask', 'actors', 2, { min: 1, max: 1024, integer: true }),
    pipeline: oneOf(a, 'pipeline', 'actors', 'lockstep', ['lockstep', 'free'] as const),
    maxStaleness: num(a, 'maxStaleness', 'actors', 4, { min: 0, integer: true }),
    staleMode: oneOf(a, 'staleMode', 'actors', 'drop', ['drop', 'downweight'] as const),
    staleWeight: num(a, 'staleWeight', 'actors', 0.5, { min: Number.MIN_VALUE, max: 1 }),
    queueCapacity: num(a, 'queueCapacity', 'actors', 8, { min: 1, max: 10_000, integer: true }),
    greedy: bool(a, 'greedy', 'actors', false),
  };

  const groupsPerUpdate = num(p, 'groupsPerUpdate', '', 4, { min: 1, max: 4096, integer: true });
  if (groupsPerUpdate % actors.groupsPerTask !== 0) {
    throw new ConfigError(`config key 'groupsPerUpdate' (${groupsPerUpdate}) must be a multiple of 'actors.groupsPerTask' (${actors.groupsPerTask}) so an update consumes whole actor tasks`);
  }

  const l = objectAt(p, 'logging', '');
  rejectUnknown(l, ['dir', 'checkpointEvery', 'keepCheckpoints', 'episodeEvery', 'frames', 'progress'], 'logging');
  const logging: LoggingSection = {
    dir: str(l, 'dir', 'logging', 'runs', { nonEmpty: true }),
    checkpointEvery: num(l, 'checkpointEvery', 'logging', 50, { min: 0, integer: true }),
    keepCheckpoints: num(l, 'keepCheckpoints', 'logging', 3, { min: 1, integer: true }),
    episodeEvery: num(l, 'episodeEvery', 'logging', 10, { min: 0, integer: true }),
    frames: bool(l, 'frames', 'logging', true),
    progress: bool(l, 'progress', 'logging', true),
  };

  const s = objectAt(p, 'server', '');
  rejectUnknown(s, ['enabled', 'host', 'port', 'token'], 'server');
  const server: ServerSection = {
    enabled: bool(s, 'enabled', 'server', true),
    host: str(s, 'host', 'server', '127.0.0.1', { nonEmpty: true }),
    port: num(s, 'port', 'server', 0, { min: 0, max: 65535, integer: true }),
    token: optStr(s, 'token', 'server'),
  };

  const t = objectAt(p, 'transport', '');
  rejectUnknown(t, ['kind', 'url'], 'transport');
  const transport: TransportSection = {
    kind: oneOf(t, 'kind', 'transport', 'inprocess', ['inprocess', 'redis'] as const),
    url: optStr(t, 'url', 'transport'),
  };
  if (transport.kind === 'redis' && !transport.url) throw new ConfigError(`config key 'transport.url' is required when transport.kind is 'redis' (e.g. redis://127.0.0.1:6379)`);

  let rewards: Plain | null = null;
  if (p.rewards !== null && p.rewards !== undefined) rewards = objectAt(p, 'rewards', '');
  for (const key of ['policy', 'learner'] as const) objectAt(p, key, '');

  return {
    name,
    description: str(p, 'description', '', ''),
    seed: num(p, 'seed', '', 1, { min: 0, max: 2 ** 31 - 1, integer: true }),
    env,
    // Filled and checked by each room's validator in resolve.ts.
    policy: objectAt(p, 'policy', '') as unknown as ExperimentConfig['policy'],
    learner: objectAt(p, 'learner', '') as unknown as GrpoConfig,
    rewards: rewards as unknown as RewardsConfig | null,
    groupsPerUpdate,
    budget,
    actors,
    logging,
    server,
    transport,
  };
}

/** Prefixes an error thrown by another room's validator with the section it came from. */
export function sectionError(section: string, err: unknown): ConfigError {
  const msg = err instanceof Error ? err.message : String(err);
  return new ConfigError(`in config section '${section}': ${msg}`);
}

export { ConfigError, join as joinKey };
