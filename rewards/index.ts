/**
 * rewards/: turns a judge's feedback on rollouts into intrinsic rewards, as ONI does.
 * Other rooms import only this file. See docs/rewards.md.
 */
export {
  validateRewardsConfig, validateJudgeConfig, validateModelConfig, validateAnnotatorConfig,
  type RewardsConfig, type JudgeConfig, type RubricJudgeConfig, type LlmJudgeConfig, type PerceptualJudgeConfig,
  type BuiltinEncoderConfig, type TfjsEncoderConfig, type RewardModelConfig, type RetrievalModelConfig,
  type ClassificationModelConfig, type RankingModelConfig, type AnnotatorConfig, type NoveltyJudgeConfig,
  type ShuffledJudgeConfig, type CIntSchedule, type RewardsConfigInput,
  REWARDS_OPTIONS, JUDGE_OPTIONS, MODEL_OPTIONS, ANNOTATOR_OPTIONS,
} from './config.ts';
export type {
  AnnotationLabel, AnnotationRequest, EnvContext, Frame, Judge, JudgeErrorKind, JudgeResult, PairResult,
  RewardModel, RewardModelMetrics, RewardModelState,
} from './types.ts';
export { JUDGE_ERROR_KINDS, TRANSIENT_JUDGE_ERRORS, type JudgeCounters } from './types.ts';
export { captionKey, frameKey } from './hash.ts';
export { Annotator, pairKey, type AnnotatorMetrics, type AnnotatorInput } from './annotator.ts';
export { RETRY_OPTIONS, ANNOTATOR_FAULT_OPTIONS, CircuitBreaker, retryDelayMs, type RetryConfig } from './retry.ts';
export { CINT_SCHEDULE_OPTIONS, scheduledCInt, parseCIntSchedule } from './schedule.ts';
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
export { createAnnotator, IntrinsicRewarder, type AnnotatorOptions } from './intrinsic.ts';
export { RubricJudge, rubricLabel, rubricCoverage, gameRule, GAME_RULES, DUNGEON_RULES } from './judges/rubric.ts';
export { LlmJudge, LLM_LIMIT_OPTIONS, type LlmJudgeOptions, type LlmJudgeStats, type LlmLimits } from './judges/llm.ts';
export { NoveltyJudge, ShuffledJudge, CONTROL_JUDGE_KINDS } from './judges/controls.ts';
export { parseLabel, parseScore, parsePreference } from './judges/parse.ts';
export { labelPrompt, pairPrompt, promptFamily, PROMPT_VERSION, type ChatMessage, type JudgedEnv } from './judges/prompts.ts';
export {
  PerceptualJudge, goalBaselineReward, segmentByVariance, loadDemonstrations, frameToJSON, frameFromJSON,
  type Demonstrations, type FrameJSON,
} from './judges/perceptual.ts';
export {
  BuiltinEncoder, TfjsModelEncoder, TfjsTextEncoder, createEncoder, fileIOHandler, fileSaveHandler, type ImageEncoder, type TrainedEncoderMetadata,
} from './judges/encoders.ts';
export { trainFrameEncoder, saveEncoder, TRAIN_ENCODER_DEFAULTS, type TrainEncoderOptions, type TrainEncoderReport, type CurvePoint } from './encoders/train.ts';
export { ContrastiveTrainer, infoNCELoss, retrievalMetrics, CONTRASTIVE_DEFAULTS, type ContrastiveExample, type ContrastiveOptions, type RetrievalMetrics } from './encoders/contrastive.ts';
export { collectCaptionedFrames, solverDemonstration, requireGame, levelSeed, type CaptionedFrame, type SolverDemonstration, type RenderableGame } from './encoders/dataset.ts';
export { describerFor, GridDescriber, composeDescription, FACTS, type FrameFacts, type StateDescriber } from './encoders/describe.ts';
export { CaptionTokenizer, type TokenizerJSON } from './encoders/tokenizer.ts';
export { progressCorrelation, type ProgressCorrelation } from './encoders/progress.ts';
export { spearman, averageRanks, bootstrapMean, type MeanCI } from './stats.ts';
export { RetrievalModel } from './models/retrieval.ts';
export { ClassificationModel } from './models/classification.ts';
export { RankingModel } from './models/ranking.ts';
export { captionFeatures } from './models/features.ts';
export { UnseenCaptionAccuracy, type UnseenMetrics } from './models/unseen.ts';
export { startStandInProcess, standInArgs, pointJudgeAt, type StandInProcess, type StandInProcessOptions } from './testing/standin-process.ts';
export { startStandInServer, standInAnswer, STANDIN_MODES, type StandInLabel, type StandInMode, type StandInOptions, type StandInServer } from './testing/standin-openai-server.ts';
