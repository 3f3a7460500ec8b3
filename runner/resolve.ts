/**
 * Resolving an experiment config: the runner validates its own keys (config.ts), then each room's
 * validator fills and checks its section — the policy gets the env's observation shape / action count
 * (or the tokenizer's vocabulary) — so config.json records every value the run used.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { ConfigError, sectionError, validateExperimentConfig, type ExperimentConfig } from './config.ts';
import { loadAgents, loadEnvs, loadRewards, type EnvLike } from './rooms.ts';

export interface ResolvedExperiment {
  config: ExperimentConfig;
  family: 'games' | 'text' | 'tools';
  /** The env id as workers must load it (paths made absolute against the cwd). */
  envRef: string;
  /** Token pad id (text/tools); 0 for games. */
  padId: number;
  maxEpisodeSteps: number;
}

export function isPathId(id: string): boolean {
  return id.startsWith('./') || id.startsWith('../') || id.startsWith('file:') || isAbsolute(id) || /\.(m?[jt]s)$/.test(id);
}

export async function resolveExperiment(partial: unknown): Promise<ResolvedExperiment> {
  const config = validateExperimentConfig(partial);
  const envs = await loadEnvs();
  const envRef = isPathId(config.env.id) && !config.env.id.startsWith('file:') ? resolvePath(process.cwd(), config.env.id) : config.env.id;
  let probe: EnvLike;
  try {
    probe = await envs.makeEnv(envRef, config.env.options);
  } catch (err) {
    throw sectionError('env', err);
  }
  const family = probe.spec?.family ?? 'games';
  const maxEpisodeSteps = Number.isFinite(probe.spec?.maxEpisodeSteps) ? probe.spec.maxEpisodeSteps : 1000;
  const envOptions = probe.spec?.options ?? config.env.options;
  const obsShape = probe.observationSpace.shape;
  const numActions = probe.actionSpace.n;
  const canRender = typeof probe.render === 'function';
  const canSolve = typeof (probe as { solve?: unknown }).solve === 'function';
  probe.close();
  const judgeKind = ((config.rewards as { judge?: { kind?: unknown } } | null)?.judge)?.kind;
  if (judgeKind === 'perceptual' && family !== 'games') {
    throw new ConfigError(`config key 'rewards.judge.kind' is 'perceptual', which labels rendered frames; env '${config.env.id}' is family '${family}' (no frames). Valid for text/tools: 'rubric', 'llm'`);
  }
  config.env.options = { ...envOptions };

  const agents = await loadAgents();
  const { checkpoint, ...policyPartial } = config.policy;
  if (checkpoint !== undefined && typeof checkpoint !== 'string') throw new ConfigError(`config key 'policy.checkpoint' must be a path to a .safetensors file, got ${JSON.stringify(checkpoint)}`);
  let policy: Record<string, unknown>;
  let fromCheckpoint: Record<string, unknown> = {};
  if (typeof checkpoint === 'string') {
    // Warm start: the architecture comes from the checkpoint's metadata; the config may override the rest.
    const path = isAbsolute(checkpoint) ? checkpoint : resolvePath(process.cwd(), checkpoint);
    try {
      if (!agents.loadWeights) throw new Error('agents/index.ts does not export loadWeights');
      const { metadata } = await agents.loadWeights(path);
      if (metadata['thrive.policy']) fromCheckpoint = JSON.parse(metadata['thrive.policy']) as Record<string, unknown>;
    } catch (err) {
      throw sectionError('policy', new Error(`policy.checkpoint '${checkpoint}': ${(err as Error).message}`));
    }
  }
  try {
    if (family === 'games') {
      if (!agents.validateGamePolicyConfig) throw new Error('agents/index.ts does not export validateGamePolicyConfig');
      if (!obsShape || numActions === undefined) throw new Error(`env '${config.env.id}' has no Box observation shape / Discrete action count for a game policy`);
      policy = agents.validateGamePolicyConfig({ kind: 'game', obsShape, numActions, seed: config.seed, ...fromCheckpoint, ...policyPartial });
    } else {
      if (!agents.validateTokenPolicyConfig) throw new Error('agents/index.ts does not export validateTokenPolicyConfig (token policy for text/tool envs)');
      const vocabSize = envs.defaultTokenizer?.vocabSize;
      policy = agents.validateTokenPolicyConfig({ kind: 'token', ...(vocabSize ? { vocabSize } : {}), seed: config.seed, ...fromCheckpoint, ...policyPartial });
    }
  } catch (err) {
    throw sectionError('policy', err);
  }
  if (checkpoint) policy.checkpoint = isAbsolute(checkpoint) ? checkpoint : resolvePath(process.cwd(), checkpoint);
  config.policy = policy;

  try {
    if (!agents.validateGrpoConfig) throw new Error('agents/index.ts does not export validateGrpoConfig');
    // dr_grpo's L_max (TRL max_completion_length) defaults to the env's episode limit.
    config.learner = agents.validateGrpoConfig({ maxCompletionLength: maxEpisodeSteps, ...(config.learner as Record<string, unknown>) });
  } catch (err) {
    throw sectionError('learner', err);
  }

  if (config.rewards) {
    const rewards = await loadRewards();
    try {
      config.rewards = rewards.validateRewardsConfig(config.rewards);
    } catch (err) {
      throw sectionError('rewards', err);
    }
    const judge = config.rewards.judge as { kind?: string; demonstrations?: string | null } | undefined;
    if (judge?.kind === 'perceptual') {
      // The perceptual judge labels rendered frames (family checked above), scored by frame key (retrieval model).
      if (!canRender) throw new ConfigError(`config key 'rewards.judge.kind' is 'perceptual' but env '${config.env.id}' has no render()`);
      const modelKind = (config.rewards.model as { kind?: string } | undefined)?.kind;
      if (modelKind !== 'retrieval') {
        throw new ConfigError(`config key 'rewards.model.kind' must be 'retrieval' with the perceptual judge (steps are scored by frame key, RetrievalModel.scoreKeys), got ${JSON.stringify(modelKind)}`);
      }
      if (!judge.demonstrations && !canSolve) {
        throw new ConfigError(`config key 'rewards.judge.demonstrations' is required: env '${config.env.id}' has no solve() to generate demonstrations from`);
      }
    }
  }
  const padId = typeof policy.padId === 'number' ? policy.padId : envs.defaultTokenizer?.pad ?? 0;
  return { config, family, envRef, padId, maxEpisodeSteps };
}
