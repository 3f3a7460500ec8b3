/**
 * Builds the judge and the reward model a validated rewards config names: a built-in kind, or a plug-in
 * registered with registerJudge / registerRewardModel (built behind a guard that contains its faults).
 */
import type { JudgeConfig, RewardModelConfig } from './config.ts';
import { GuardedJudge, GuardedRewardModel } from './guard.ts';
import { BUILTIN_JUDGE_KINDS, BUILTIN_MODEL_KINDS, ensurePluginFor, judgeKinds, judgePlugin, rewardModelKinds, rewardModelPlugin,
  type PluginConfig } from './registry.ts';
import { RubricJudge } from './judges/rubric.ts';
import { LlmJudge, type LlmJudgeOptions } from './judges/llm.ts';
import { PerceptualJudge } from './judges/perceptual.ts';
import { NoveltyJudge, ShuffledJudge } from './judges/controls.ts';
import { RetrievalModel } from './models/retrieval.ts';
import { ClassificationModel } from './models/classification.ts';
import { RankingModel } from './models/ranking.ts';
import type { Judge, RewardModel } from './types.ts';

/**
 * The judge for `config`. The perceptual judge needs its encoder loaded and goals set, hence async.
 * `options.env` is where the LLM judge reads its API key (default: process.env); `options.envContext` is the
 * env being judged, from its spec (the rubric's rules and the LLM prompt depend on it; plug-in factories get it too).
 */
export async function createJudge(config: JudgeConfig | PluginConfig, options: LlmJudgeOptions = {}): Promise<Judge> {
  ensurePluginFor(config as PluginConfig, BUILTIN_JUDGE_KINDS, 'judge', 'rewards.judge');
  const plugin = judgePlugin(config.kind);
  if (plugin) {
    let judge: Judge;
    try { judge = await plugin.factory(config, options); } catch (err) {
      throw new Error(`rewards.judge: plug-in judge '${config.kind}' failed to build: ${(err as Error)?.message ?? String(err)}`);
    }
    return new GuardedJudge(judge, config.kind, plugin.options.timeoutMs);
  }
  const c = config as JudgeConfig;
  switch (c.kind) {
    case 'rubric': return new RubricJudge(c, options.envContext);
    case 'llm': return new LlmJudge(c, options);
    case 'perceptual': return PerceptualJudge.create(c);
    case 'novelty': return new NoveltyJudge();
    case 'shuffled': return new ShuffledJudge(await createJudge(c.inner, options), c);
  }
  throw new Error(`rewards.judge.kind: '${config.kind}' is not a judge kind here. Valid kinds: ${judgeKinds().join(', ')}` +
    ' (plug-ins must be registered in every thread that builds one)');
}

/** The reward model for `config` (classification and ranking need a TensorFlow.js backend set first). */
export function createRewardModel(config: RewardModelConfig | PluginConfig): RewardModel {
  ensurePluginFor(config as PluginConfig, BUILTIN_MODEL_KINDS, 'model', 'rewards.model');
  const plugin = rewardModelPlugin(config.kind);
  if (plugin) {
    let model: RewardModel;
    try { model = plugin.factory(config); } catch (err) {
      throw new Error(`rewards.model: plug-in reward model '${config.kind}' failed to build: ${(err as Error)?.message ?? String(err)}`);
    }
    return new GuardedRewardModel(model, config.kind);
  }
  const c = config as RewardModelConfig;
  switch (c.kind) {
    case 'retrieval': return new RetrievalModel(c);
    case 'classification': return new ClassificationModel(c);
    case 'ranking': return new RankingModel(c);
  }
  throw new Error(`rewards.model.kind: '${config.kind}' is not a reward model kind here. Valid kinds: ${rewardModelKinds().join(', ')}` +
    ' (plug-ins must be registered in every thread that builds one)');
}
