/**
 * The experiment config: one typed, validated object that says what to train (env, policy), how
 * (learner, rewards), for how long (budget), with what parallelism (actors) and where the output goes
 * (logging, server). Every option is declared once below (core/schema.ts), with its default and doc; the
 * sections other rooms own are those rooms' own schemas and types: `learner` is agents' GrpoConfig,
 * `rewards` rewards' RewardsConfig, `policy` agents' game or token policy config (resolved against the
 * env by resolve.ts, since its shape comes from the env).
 *
 * `validateExperimentConfig(partial)` = parse + the cross-field rules, all in this one function. Unknown keys
 * and bad values throw a ConfigError naming the dotted key as written (`learner.thr.p`), the bad value and
 * what is valid. What needs the env or the file system is checked by resolveExperiment, still before any
 * run directory exists.
 */
import {
  ConfigError, isPlainObject, parse, rejectUnknownKeys, show, type Infer, type Input, type Plain, type Schema,
} from '../core/schema.ts';
import {
  GRPO_OPTIONS, validateGrpoConfig,
  type GamePolicyConfig, type GamePolicyConfigInput, type GrpoConfig, type GrpoConfigInput, type TokenPolicyConfig, type TokenPolicyConfigInput,
} from '../agents/index.ts';
import { validateRewardsConfig, type RewardsConfig, type RewardsConfigInput } from '../rewards/index.ts';
import { accessProblem } from './stream/access.ts';

export const ENV_OPTIONS = {
  id: { type: 'string', default: null, nonEmpty: true, required: true, doc: "A registered env id (e.g. 'KeyDoor-v0') or a path to a user's env module ('./my-env.ts')." },
  options: { type: 'record', default: {}, doc: 'Options passed to `makeEnv(id, options)` (size, difficulty, split, ...), validated by the env and named `env.options.<key>` in errors. See docs/environments.md.' },
  groupSize: {
    type: 'int', default: 8, min: 2, max: 256,
    doc: "G: rollouts per group. GRPO (DeepSeekMath 2024) normalises returns within a group of rollouts of the same prompt; for games the group shares its start seed. TRL's default num_generations is 8.",
  },
} as const satisfies Schema;

export const BUDGET_OPTIONS = {
  envSteps: { type: 'int', default: 0, min: 0, doc: 'Stop after this many env steps (games: moves; text: generated tokens). 0 = no limit.' },
  updates: { type: 'int', default: 0, min: 0, doc: 'Stop after this many learner updates. 0 = no limit.' },
  seconds: { type: 'number', default: 0, min: 0, doc: 'Stop after this many wall-clock seconds. 0 = no limit. The first limit reached ends the run; at least one must be set.' },
} as const satisfies Schema;

export const ACTORS_OPTIONS = {
  workers: { type: 'int', default: 1, min: 1, max: 64, doc: 'Actor worker threads (piscina). Each steps `groupsPerTask · env.groupSize` envs together.' },
  groupsPerTask: { type: 'int', default: 2, min: 1, max: 1024, doc: 'Groups one actor task rolls out together (one batched policy forward per step for all of them).' },
  pipeline: {
    type: 'enum', values: ['lockstep', 'free'], default: 'lockstep',
    doc: "'lockstep': the rollouts of update j are sampled with exactly weight version j − 1 (one-step off-policy, as in asynchronous PPO/IMPALA-style pipelines with lag 1); deterministic for a fixed seed whatever the number of workers, since results are fed to the learner in task order. 'free': actors always take the newest weights and run as far ahead as the bounded queue lets them; policy lag then varies and `maxStaleness` bounds it. Runs split over processes (Redis) always run 'free'.",
  },
  maxStaleness: {
    type: 'int', default: 4, min: 0,
    doc: 'Max policy lag (learner version − behaviour version) accepted for a rollout. Staler rollouts are dropped or down-weighted (see `staleMode`) and counted. IMPALA (Espeholt et al. 2018) corrects lag with V-trace; here the GRPO importance ratio against the behaviour log-probs already corrects small lags. At least 1 with pipeline \'lockstep\' (its rollouts always lag one version).',
  },
  staleMode: { type: 'enum', values: ['drop', 'downweight'], default: 'drop', doc: "'drop' discards stale rollouts; 'downweight' keeps them with loss weight staleWeight^(lag − maxStaleness)." },
  staleWeight: { type: 'number', default: 0.5, min: 0, exclusiveMin: true, max: 1, doc: "Per-version decay of a stale rollout's weight in 'downweight' mode." },
  queueCapacity: {
    type: 'int', default: 8, min: 1, max: 10_000,
    doc: 'Rollout queue capacity in actor messages (backpressure: a full queue blocks the actors). At least groupsPerUpdate / groupsPerTask, the messages one update consumes. Also bounds the Redis trajectory stream.',
  },
  greedy: { type: 'boolean', default: false, doc: 'Sample the greedy action instead (evaluation only; training needs sampling).' },
  taskTimeoutSeconds: {
    type: 'number', default: 300, min: 0, exclusiveMin: true,
    doc: "Deadline of one actor task (one batch of groups rolled out to their ends). A task past it — an env plugin's step() that hangs, say — has its worker thread stopped and replaced, its episodes discarded and the fault counted; the run goes on.",
  },
  workerMemoryMB: {
    type: 'int', default: 2048, min: 64,
    doc: "Heap limit of each actor worker thread (V8 old generation, MB). A worker that exceeds it ends with an out-of-memory error: it is replaced and its task's episodes discarded, counted as a worker fault. Memory outside the heap (Buffers, ArrayBuffers) is checked by the worker before each task: over the limit (heap + external) the task fails with that reason and the worker is replaced. Each task reports its worker's heap and external memory (the metrics `actorHeapMBMax` / `actorExternalMBMax`).",
  },
} as const satisfies Schema;

export const LOGGING_OPTIONS = {
  dir: { type: 'string', default: 'runs', nonEmpty: true, doc: 'Directory that receives runs/<name>-<time>/. Must be creatable and writable (checked before the run starts).' },
  checkpointEvery: { type: 'int', default: 50, min: 0, doc: 'Write a checkpoint every this many updates (0 = only at the end / on Ctrl-C).' },
  keepCheckpoints: { type: 'int', default: 3, min: 1, doc: 'Keep at most this many checkpoints (oldest deleted).' },
  episodeEvery: { type: 'int', default: 10, min: 0, doc: "Publish a sample episode on the 'episode' topic every this many updates (0 = never)." },
  frames: { type: 'boolean', default: true, doc: 'Include RGB frames in sample game episodes (costs bandwidth; low rate).' },
  progress: { type: 'boolean', default: true, doc: 'Terminal progress bar.' },
} as const satisfies Schema;

export const SERVER_OPTIONS = {
  enabled: { type: 'boolean', default: true, doc: 'Start the websocket stream server with the run (dashboard + metrics).' },
  host: { type: 'string', default: '127.0.0.1', nonEmpty: true, doc: 'Bind address. A non-loopback address requires a token.' },
  port: { type: 'int', default: 0, min: 0, max: 65535, doc: '0 = a free port.' },
  token: { type: 'string', default: null, nullable: true, doc: 'Shared secret guarding the dashboard and stream: at least 16 printable ASCII characters without spaces (MIN_TOKEN_LENGTH, runner/stream/access.ts). Required with a non-loopback host.' },
} as const satisfies Schema;

export const TRANSPORT_OPTIONS = {
  kind: {
    type: 'enum', values: ['inprocess', 'redis'], default: 'inprocess',
    doc: "'inprocess': threads of one process (`npm start`). 'redis': separate processes, started with scripts/learner.ts, scripts/actor.ts and scripts/annotator.ts (docs/distributed.md); `npm start` refuses it.",
  },
  url: { type: 'string', default: null, nullable: true, doc: "redis://... or rediss://... for kind 'redis' (required there)." },
} as const satisfies Schema;

/** The whole experiment config; `policy`, `learner` and `rewards` are the other rooms' sections. */
export const EXPERIMENT_OPTIONS = {
  name: { type: 'string', default: 'experiment', nonEmpty: true, pattern: { re: /^[A-Za-z0-9._-]+$/, what: "only letters, digits, '.', '_' and '-'" }, doc: 'Used in the run directory name.' },
  description: { type: 'string', default: '', doc: 'One line shown with the run.' },
  seed: { type: 'int', default: 1, min: 0, max: 2 ** 31 - 1, doc: 'Master seed: env seeds, sampling and weight init derive from it.' },
  env: { type: 'object', schema: ENV_OPTIONS, doc: 'The environment.' },
  policy: {
    type: 'record', default: {},
    doc: "The policy (agents/: GAME_POLICY_OPTIONS for games, TOKEN_POLICY_OPTIONS for text and tools, picked by the env's family), plus an optional `checkpoint` path to warm-start from.",
  },
  learner: { type: 'object', schema: GRPO_OPTIONS, doc: 'The GRPO + THR learner (agents/learner: GRPO_OPTIONS).' },
  rewards: { type: 'record', default: null, nullable: true, doc: 'Intrinsic rewards (rewards/: REWARDS_OPTIONS); null = extrinsic reward only (no judge, no model).' },
  groupsPerUpdate: { type: 'int', default: 4, min: 1, max: 4096, doc: 'Groups per learner update: B = groupsPerUpdate · groupSize rollouts. A multiple of actors.groupsPerTask.' },
  budget: { type: 'object', schema: BUDGET_OPTIONS, doc: 'When the run ends.' },
  actors: { type: 'object', schema: ACTORS_OPTIONS, doc: 'The actor threads and the rollout pipeline.' },
  logging: { type: 'object', schema: LOGGING_OPTIONS, doc: 'The run directory, checkpoints and sample episodes.' },
  server: { type: 'object', schema: SERVER_OPTIONS, doc: 'The live stream server (dashboard).' },
  transport: { type: 'object', schema: TRANSPORT_OPTIONS, doc: 'How actors, learner and annotator talk.' },
} as const satisfies Schema;

export type EnvSection = Infer<typeof ENV_OPTIONS>;
export type BudgetSection = Infer<typeof BUDGET_OPTIONS>;
export type ActorsSection = Infer<typeof ACTORS_OPTIONS>;
export type LoggingSection = Infer<typeof LOGGING_OPTIONS>;
export type ServerSection = Infer<typeof SERVER_OPTIONS>;
export type TransportSection = Infer<typeof TRANSPORT_OPTIONS>;

/** The resolved policy section: the policy room's validated config, plus the warm start's absolute path. */
export type PolicySection = (GamePolicyConfig | TokenPolicyConfig) & { checkpoint?: string };
/** The policy section as written: either policy's options, all optional (the env fills obsShape/numActions). */
export type PolicySectionInput = (Partial<GamePolicyConfigInput> | TokenPolicyConfigInput) & { checkpoint?: string };

/** A fully resolved experiment config (what resolveExperiment returns and config.json records). */
export interface ExperimentConfig extends Omit<Infer<typeof EXPERIMENT_OPTIONS>, 'policy' | 'learner' | 'rewards'> {
  policy: PolicySection;
  learner: GrpoConfig;
  rewards: RewardsConfig | null;
}

/** What users write (named experiments, config files, `runExperiment(partial)`): every key optional. */
export interface ExperimentConfigInput extends Omit<Input<typeof EXPERIMENT_OPTIONS>, 'policy' | 'learner' | 'rewards'> {
  policy?: PolicySectionInput;
  learner?: GrpoConfigInput;
  rewards?: RewardsConfigInput | null;
}

/** validateExperimentConfig's result: everything checked but the policy, which needs the env (resolve.ts). */
export type ValidatedExperimentConfig = Omit<ExperimentConfig, 'policy'> & { policy: PolicySectionInput };

/**
 * Parse + every cross-field rule of the experiment config that needs neither the env nor the file system.
 * `learner` and `rewards` are validated by their rooms' own validators (with their cross-field rules).
 */
export function validateExperimentConfig(partial: unknown): ValidatedExperimentConfig {
  if (!isPlainObject(partial)) throw new ConfigError(`an experiment config must be an object, got ${show(partial)}`);
  rejectUnknownKeys(partial, Object.keys(EXPERIMENT_OPTIONS), '');
  const { learner: learnerIn, rewards: rewardsIn, ...own } = partial;
  const c = parse(EXPERIMENT_OPTIONS, own, '');
  const learner = validateGrpoConfig(learnerIn === undefined ? {} : learnerIn as Plain, 'learner');
  const rewards = rewardsIn === undefined || rewardsIn === null ? null : validateRewardsConfig(rewardsIn, 'rewards');

  const { budget, actors, transport } = c;
  if (budget.envSteps === 0 && budget.updates === 0 && budget.seconds === 0) {
    throw new ConfigError(`config 'budget' needs at least one limit > 0: budget.envSteps, budget.updates or budget.seconds`);
  }
  if (c.groupsPerUpdate % actors.groupsPerTask !== 0) {
    throw new ConfigError(`config key 'groupsPerUpdate' (${c.groupsPerUpdate}) must be a multiple of 'actors.groupsPerTask' (${actors.groupsPerTask}) so an update consumes whole actor tasks`);
  }
  const perUpdate = c.groupsPerUpdate / actors.groupsPerTask;
  if (actors.queueCapacity < perUpdate) {
    throw new ConfigError(`config key 'actors.queueCapacity' (${actors.queueCapacity}) must be >= groupsPerUpdate / actors.groupsPerTask = ${c.groupsPerUpdate} / ${actors.groupsPerTask} = ${perUpdate}, the actor messages one update consumes, or an update can never be assembled`);
  }
  if (actors.pipeline === 'lockstep' && actors.maxStaleness < 1) {
    throw new ConfigError(`config key 'actors.maxStaleness' must be >= 1 with actors.pipeline 'lockstep' (its rollouts always lag one version), got ${actors.maxStaleness}; use actors.pipeline 'free' for on-policy-only rollouts`);
  }
  checkServerSection(c.server);
  if (transport.kind === 'redis' && !transport.url) throw new ConfigError(`config key 'transport.url' is required when transport.kind is 'redis' (e.g. redis://127.0.0.1:6379)`);

  return {
    name: c.name, description: c.description, seed: c.seed, env: c.env,
    policy: c.policy as PolicySectionInput, learner, rewards,
    groupsPerUpdate: c.groupsPerUpdate, budget, actors, logging: c.logging, server: c.server, transport,
  };
}

/** The stream server's access rules (runner/stream/access.ts) on an enabled server section; `path` names it in errors. */
export function checkServerSection(s: Pick<ServerSection, 'enabled' | 'host' | 'token'>, path = 'server'): void {
  if (!s.enabled) return;
  const problem = accessProblem(s.host, s.token);
  if (problem) throw new ConfigError(`config key '${path}.${problem.key}': ${problem.message}`);
}

export { ConfigError };
