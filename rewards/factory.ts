/** Builds the judge and the reward model a validated rewards config names. */
import type { JudgeConfig, RewardModelConfig } from './config.ts';
import { RubricJudge } from './judges/rubric.ts';
import { LlmJudge, type LlmJudgeOptions } from './judges/llm.ts';
import { PerceptualJudge } from './judges/perceptual.ts';
import { RetrievalModel } from './models/retrieval.ts';
import { ClassificationModel } from './models/classification.ts';
import { RankingModel } from './models/ranking.ts';
import type { Judge, RewardModel } from './types.ts';

/**
 * The judge for `config`. The perceptual judge needs its encoder loaded and goals set, hence async.
 * `env` is where the LLM judge reads its API key (default: process.env).
 */
export async function createJudge(config: JudgeConfig, options: LlmJudgeOptions = {}): Promise<Judge> {
  switch (config.kind) {
    case 'rubric': return new RubricJudge(config);
    case 'llm': return new LlmJudge(config, options);
    case 'perceptual': return PerceptualJudge.create(config);
  }
}

/** The reward model for `config` (classification and ranking need a TensorFlow.js backend set first). */
export function createRewardModel(config: RewardModelConfig): RewardModel {
  switch (config.kind) {
    case 'retrieval': return new RetrievalModel(config);
    case 'classification': return new ClassificationModel(config);
    case 'ranking': return new RankingModel(config);
  }
}
