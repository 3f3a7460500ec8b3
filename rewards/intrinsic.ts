/**
 * The two halves of rewards/ wired from one validated config:
 *  - `createAnnotator(config, options)`: the judge named by config.judge behind an Annotator (the
 *    in-process AnnotationChannel; main thread or its own process). The one place an annotator is built:
 *    the runner passes `envContext` (the env being judged, from its spec: family and goal, which the
 *    rubric's rules and the LLM prompt depend on) and `prepare` to give the judge what it needs before
 *    the first request (e.g. the perceptual judge's goal frames from the env's solver).
 *  - `IntrinsicRewarder`: the reward model plus the combination rule, where the learner lives (a worker
 *    thread): plain labels in (`update`), per-step combined rewards out (`combine`), state for checkpoints.
 */
import { Annotator } from './annotator.ts';
import { combineWithModel, type CombinedEpisode } from './combine.ts';
import { validateRewardsConfig, type RewardsConfig } from './config.ts';
import { createJudge, createRewardModel } from './factory.ts';
import type { LlmJudgeOptions } from './judges/llm.ts';
import type { AnnotationLabel, Judge, RewardModel, RewardModelMetrics, RewardModelState } from './types.ts';

export interface AnnotatorOptions extends LlmJudgeOptions {
  /** Called with the judge before the annotator starts (e.g. to set a perceptual judge's goal). */
  prepare?: (judge: Judge) => Promise<void> | void;
}

export async function createAnnotator(config: RewardsConfig | Record<string, unknown>, options: AnnotatorOptions = {}): Promise<Annotator> {
  const full = validateRewardsConfig(config); // idempotent on a full config
  const { prepare, ...judgeOptions } = options;
  const judge = await createJudge(full.judge, judgeOptions);
  await prepare?.(judge);
  return new Annotator(judge, full.annotator);
}

export class IntrinsicRewarder {
  readonly config: RewardsConfig;
  readonly model: RewardModel;

  constructor(config: RewardsConfig | Record<string, unknown> = {}) {
    this.config = validateRewardsConfig(config);
    this.model = createRewardModel(this.config.model);
  }

  update(labels: AnnotationLabel[]): RewardModelMetrics {
    return this.model.update(labels);
  }

  /** r_t = c_ext·r_ext,t + c_int·r_int(m_t)·N(m_t)^(−β) over one episode's per-step messages. */
  combine(messages: readonly string[], rExt: ArrayLike<number>): CombinedEpisode {
    return combineWithModel(messages, rExt, this.model, this.config);
  }

  save(): RewardModelState { return this.model.save(); }
  load(state: RewardModelState): void { this.model.load(state); }
  dispose(): void { this.model.dispose(); }
}
