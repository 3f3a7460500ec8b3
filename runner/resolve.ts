/**
 * Resolving an experiment config: validateExperimentConfig checks every key that needs neither the env nor
 * the file system; this file checks the rest — the env's own options, the policy against the env (the env
 * gives the observation shape and action count, or the tokenizer's vocabulary), the rewards against the env
 * (its family, and whether the rubric has rules for it), the warm-start checkpoint, the output directories, the backend name and what the calling runner
 * can run — so that a bad config fails here, naming its key, before any run directory exists, and
 * config.json records every value the run used. The probed env's spec also gives the run's EnvContext
 * (id, family, goal), which every judge of the run is built with.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { ConfigError, parse, show } from '../core/schema.ts';
import { defaultTokenizer, getEnvRegistration, isEnvPath, makeEnv, type Env } from '../envs/index.ts';
import { loadWeights, parseBackendName, validateGamePolicyConfig, validateGrpoConfig, validateTokenPolicyConfig } from '../agents/index.ts';
import { rubricCoverage } from '../rewards/index.ts';
import type { EnvContext } from '../core/types.ts';
import {
  checkServerSection, validateExperimentConfig, type ExperimentConfig, type PolicySection, type ServerSection, type ValidatedExperimentConfig,
} from './config.ts';
import { checkWritableDir } from './writable.ts';
import type { Warning } from './health.ts';

export interface ResolvedExperiment {
  config: ExperimentConfig;
  /** The env's family, from its spec (= envContext.family). */
  family: 'games' | 'text' | 'tools';
  /** What the judges are told of the env, from its spec: id, family, goal (rewards' createAnnotator gets it). */
  envContext: EnvContext;
  /** Pre-run warnings: the config runs, but maybe not as meant (the runner raises each once at the start). */
  warnings: Warning[];
  /** The env id as workers must load it (paths made absolute against the cwd). */
  envRef: string;
  /** Token pad id (text/tools); 0 for games. */
  padId: number;
  maxEpisodeSteps: number;
  /** The env's names of its discrete actions (Discrete labels), for sample episodes; absent when unnamed. */
  actionNames?: string[];
}

/** What the caller will do with the config, checked with it. */
export interface ResolveOptions {
  /**
   * The run happens in this process (runExperiment without a transport, i.e. `npm start`): transport.kind
   * 'redis' is then an error, since its roles run as separate commands.
   */
  inProcess?: boolean;
  /** The TF.js backend requested for the worker threads (`--backend`); unknown names are an error. */
  backend?: string;
  /** Server settings given apart from the config (`--host`, `--port`, `--token`, `--no-server`). */
  server?: Partial<ServerSection>;
}

const FAMILIES = ['games', 'text', 'tools'] as const;

/** What the probe env tells about itself: its spec, spaces and abilities. */
interface EnvFacts {
  envRef: string;
  family: ResolvedExperiment['family'];
  context: EnvContext;
  maxEpisodeSteps: number;
  options: Record<string, unknown>;
  obsShape?: readonly number[];
  numActions?: number;
  /** Names of the discrete actions (Discrete.labels), shown by the dashboard. */
  actionLabels?: readonly string[];
  canRender: boolean;
  canSolve: boolean;
}

/** The config checked, step by step: runner keys, the env, the rewards and the policy against it, the directories. */
export async function resolveExperiment(partial: unknown, opts: ResolveOptions = {}): Promise<ResolvedExperiment> {
  const config = validateExperimentConfig(partial);
  checkRunForm(config, opts);
  const env = await probeEnv(config);
  const warnings = checkRewardsAgainstEnv(config, env);
  const policy = resolvePolicy(config, env);
  // Output directories: creatable and writable, probed without leaving anything behind.
  checkWritableDir(config.logging.dir, 'logging.dir');
  const cacheDir = config.rewards?.annotator.cacheDir;
  if (cacheDir) checkWritableDir(cacheDir, 'rewards.annotator.cacheDir');
  // dr_grpo's L_max (TRL max_completion_length) defaults to the env's episode limit (recorded in config.json).
  const learner = config.learner.maxCompletionLength === null
    ? validateGrpoConfig({ ...config.learner, maxCompletionLength: env.maxEpisodeSteps }, 'learner') : config.learner;
  const resolved: ExperimentConfig = { ...config, env: { ...config.env, options: { ...env.options } }, policy, learner };
  const padId = policy.kind === 'token' ? policy.padId : defaultTokenizer.pad ?? 0;
  return { config: resolved, family: env.family, envContext: env.context, warnings, envRef: env.envRef, padId, maxEpisodeSteps: env.maxEpisodeSteps, ...(env.actionLabels ? { actionNames: [...env.actionLabels] } : {}) };
}

/** What the calling runner can run (the in-process form), the --backend name and the server overrides. */
function checkRunForm(config: ValidatedExperimentConfig, opts: ResolveOptions): void {
  if (opts.inProcess && config.transport.kind !== 'inprocess') {
    throw new ConfigError(`config key 'transport.kind' is '${config.transport.kind}': such a run is split over processes, started with scripts/learner.ts, scripts/actor.ts and scripts/annotator.ts (docs/distributed.md); npm start (runExperiment) runs the 'inprocess' form only`);
  }
  if (opts.backend !== undefined) {
    try {
      parseBackendName(opts.backend);
    } catch (err) {
      throw new ConfigError(`--backend: ${(err as Error).message}`);
    }
  }
  if (opts.server) checkServerSection({ ...config.server, ...withoutUndefined(opts.server) });
}

/** Makes the env once with the configured options (its own checks run) and reads what it declares. */
async function probeEnv(config: ValidatedExperimentConfig): Promise<EnvFacts> {
  const id = config.env.id;
  const envRef = isEnvPath(id) && !id.startsWith('file:') ? resolvePath(process.cwd(), id) : id;
  let registeredSchema;
  try { registeredSchema = isEnvPath(id) ? undefined : getEnvRegistration(id).optionSchema; } catch (err) {
    throw new ConfigError(`config key 'env.id': ${(err as Error).message}`);
  }
  // Key-level errors name `env.options.<key>`; the env's own cross-option rules run in makeEnv below.
  if (registeredSchema) parse(registeredSchema, config.env.options, 'env.options');
  let probe: Env<unknown, unknown>;
  try {
    probe = await makeEnv(envRef, config.env.options);
  } catch (err) {
    throw new ConfigError(`${registeredSchema ? `config key 'env.options' (env ${show(id)})` : `config section 'env' (id ${show(id)})`}: ${(err as Error).message}`);
  }
  try {
    const spec = probe.spec;
    if (!(FAMILIES as readonly string[]).includes(spec.family)) {
      throw new ConfigError(`env ${show(id)} declares spec.family ${show(spec.family)}; valid: ${FAMILIES.map((f) => `'${f}'`).join(', ')} (it picks the policy and the actor loop)`);
    }
    if (typeof spec.id !== 'string' || spec.id === '') {
      throw new ConfigError(`env ${show(id)} declares spec.id ${show(spec.id)}; it must be a non-empty string (the env's name, told to the judges)`);
    }
    if (spec.goal !== undefined && (typeof spec.goal !== 'string' || spec.goal.trim() === '')) {
      throw new ConfigError(`env ${show(id)} declares spec.goal ${show(spec.goal)}; it must be the task in words (a non-empty string), or left out`);
    }
    return {
      envRef, family: spec.family,
      context: { id: spec.id, family: spec.family, ...(spec.goal !== undefined ? { goal: spec.goal } : {}) },
      maxEpisodeSteps: Number.isFinite(spec.maxEpisodeSteps) ? spec.maxEpisodeSteps : 1000,
      options: spec.options ?? config.env.options,
      obsShape: (probe.observationSpace as { shape?: readonly number[] }).shape,
      numActions: (probe.actionSpace as { n?: number }).n,
      actionLabels: (probe.actionSpace as { labels?: readonly string[] }).labels,
      canRender: typeof probe.render === 'function',
      canSolve: typeof (probe as { solve?: unknown }).solve === 'function',
    };
  } finally {
    probe.close();
  }
}

/**
 * The judge against the env. The rubric labels by rules written for the built-in envs: for another env it
 * falls back to the family's generic rules, which fit only captions in the built-in envs' forms — a
 * warning. The perceptual judge labels rendered frames, scored by frame key (retrieval model): the env must
 * render and solve — errors.
 */
function checkRewardsAgainstEnv(config: ValidatedExperimentConfig, env: EnvFacts): Warning[] {
  const judge = config.rewards?.judge as { kind: string; inner?: { kind: string }; demonstrations?: string | null; goalText?: string[] } | undefined;
  const id = config.env.id;
  if (judge?.kind === 'rubric' || (judge?.kind === 'shuffled' && judge.inner?.kind === 'rubric')) {
    const fallback = rubricCoverage(env.context);
    if (fallback === null) return [];
    const key = judge.kind === 'rubric' ? 'rewards.judge.kind' : 'rewards.judge.inner.kind';
    const valid = env.family === 'games'
      ? "an 'llm' judge (it is told the env's family and spec.goal), a 'perceptual' judge (frames; the env must render), or a judge plug-in of your own (registerJudge)"
      : "an 'llm' judge (it is told the env's family and spec.goal) or a judge plug-in of your own (registerJudge)";
    return [{
      id: 'rubric-env',
      message: `config key '${key}' is 'rubric', which has rules written only for the built-in envs; env ${show(id)} (spec id '${env.context.id}', family '${env.family}') gets ${fallback} — captions in another form all get label 0. For this env use ${valid}`,
    }];
  }
  if (judge?.kind !== 'perceptual') return [];
  if (env.family !== 'games') {
    throw new ConfigError(`config key 'rewards.judge.kind' is 'perceptual', which labels rendered frames; env '${id}' is family '${env.family}' (no frames). Valid for text/tools: 'rubric', 'llm'`);
  }
  if (!env.canRender) throw new ConfigError(`config key 'rewards.judge.kind' is 'perceptual' but env '${id}' has no render()`);
  const modelKind = config.rewards!.model.kind;
  if (modelKind !== 'retrieval') {
    throw new ConfigError(`config key 'rewards.model.kind' must be 'retrieval' with the perceptual judge (steps are scored by frame key, RetrievalModel.scoreKeys), got ${show(modelKind)}`);
  }
  if (!judge.demonstrations && !judge.goalText?.length && !env.canSolve) {
    throw new ConfigError(`config key 'rewards.judge.demonstrations' is required: env '${id}' has no solve() to generate demonstrations from (or give the goals in words, rewards.judge.goalText)`);
  }
  return [];
}

/**
 * The policy section validated against the env: a game policy gets the observation shape and action count,
 * a token policy the tokenizer's vocabulary; a warm start's architecture comes from its checkpoint.
 */
function resolvePolicy(config: ValidatedExperimentConfig, env: EnvFacts): PolicySection {
  const { checkpoint, ...policyPartial } = config.policy as Record<string, unknown>;
  if (checkpoint !== undefined && (typeof checkpoint !== 'string' || checkpoint.length === 0)) {
    throw new ConfigError(`config key 'policy.checkpoint' must be a path to a .safetensors file, got ${show(checkpoint)}`);
  }
  const checkpointPath = typeof checkpoint === 'string' ? (isAbsolute(checkpoint) ? checkpoint : resolvePath(process.cwd(), checkpoint)) : undefined;
  let fromCheckpoint: Record<string, unknown> = {};
  if (checkpointPath) {
    // Warm start: the architecture comes from the checkpoint's metadata; the config may override the rest.
    try {
      const { metadata } = loadWeights(checkpointPath);
      if (metadata['thrive.policy']) fromCheckpoint = JSON.parse(metadata['thrive.policy']) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config key 'policy.checkpoint' ${show(checkpoint)}: ${(err as Error).message}`);
    }
  }
  let policy: PolicySection;
  if (env.family === 'games') {
    if (!env.obsShape || env.numActions === undefined) {
      throw new ConfigError(`env '${config.env.id}' (family 'games') has no Box observation shape / Discrete action count for a game policy`);
    }
    policy = validateGamePolicyConfig({ kind: 'game', obsShape: [...env.obsShape], numActions: env.numActions, seed: config.seed, ...fromCheckpoint, ...policyPartial }, 'policy');
  } else {
    policy = validateTokenPolicyConfig({ kind: 'token', vocabSize: defaultTokenizer.vocabSize, seed: config.seed, ...fromCheckpoint, ...policyPartial }, 'policy');
  }
  if (checkpointPath) policy.checkpoint = checkpointPath;
  return policy;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
