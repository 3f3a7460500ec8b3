/**
 * rewards/: turns a judge's feedback on rollouts into intrinsic rewards, as ONI does.
 * Other rooms import only this file. See docs/rewards.md.
 */
export {
  validateRewardsConfig, validateJudgeConfig, validateModelConfig, validateAnnotatorConfig,
  type RewardsConfig, type JudgeConfig, type RubricJudgeConfig, type LlmJudgeConfig, type PerceptualJudgeConfig,
  type BuiltinEncoderConfig, type TfjsEncoderConfig, type RewardModelConfig, type RetrievalModelConfig,
  type ClassificationModelConfig, type RankingModelConfig, type AnnotatorConfig,
} from './config.ts';
export type {
  AnnotationLabel, AnnotationRequest, Frame, Judge, JudgeErrorKind, JudgeResult, PairResult,
  RewardModel, RewardModelMetrics, RewardModelState,
} from './types.ts';
export { JUDGE_ERROR_KINDS } from './types.ts';
export { captionKey, frameKey } from './hash.ts';
export { Annotator, pairKey, type AnnotatorMetrics } from './annotator.ts';
export { LabelCache } from './cache.ts';
export { LruMap } from './lru.ts';
export { combineRewards, combineWithModel, type CombineCoefficients, type CombinedEpisode } from './combine.ts';
export { createJudge, createRewardModel } from './factory.ts';
export {
  registerJudge, registerRewardModel, unregisterJudge, unregisterRewardModel, judgeKinds, rewardModelKinds,
  BUILTIN_JUDGE_KINDS, BUILTIN_MODEL_KINDS, loadPluginModule, type PluginApi,
  type PluginConfig, type JudgeFactory, type RewardModelFactory, type PluginOptions, type JudgePluginOptions,
  type RewardModelPluginOptions,
} from './registry.ts';
export { GuardedJudge, GuardedRewardModel } from './guard.ts';
export { createAnnotator, IntrinsicRewarder } from './intrinsic.ts';
export { RubricJudge, rubricLabel, gameRule, GAME_RULES, DUNGEON_RULES } from './judges/rubric.ts';
export { familyOf, registerEnvFamily, taskGoal, TASK_GOALS, type EnvFamily } from './judges/families.ts';
export { LlmJudge, type LlmJudgeOptions, type LlmJudgeStats } from './judges/llm.ts';
export { parseLabel, parseScore, parsePreference } from './judges/parse.ts';
export { labelPrompt, pairPrompt, PROMPT_VERSION, type ChatMessage } from './judges/prompts.ts';
export {
  PerceptualJudge, goalBaselineReward, segmentByVariance, loadDemonstrations, frameToJSON, frameFromJSON,
  type Demonstrations, type FrameJSON,
} from './judges/perceptual.ts';
export { BuiltinEncoder, TfjsModelEncoder, createEncoder, fileIOHandler, type ImageEncoder } from './judges/encoders.ts';
export { RetrievalModel } from './models/retrieval.ts';
export { ClassificationModel } from './models/classification.ts';
export { RankingModel } from './models/ranking.ts';
export { captionFeatures } from './models/features.ts';
export { startStandInServer, standInAnswer, STANDIN_MODES, type StandInMode, type StandInOptions, type StandInServer } from './testing/standin-openai-server.ts';
