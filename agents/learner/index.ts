/**
 * agents/learner: GRPO whose per-token learning signal is reweighted by Token Hidden Reward (THR).
 * Formulas and usage: docs/algorithms.md.
 */
export {
  validateGrpoConfig, DEFAULT_GRPO_CONFIG, DEFAULT_THR_CONFIG, GRPO_OPTIONS, THR_OPTIONS,
  type GrpoConfig, type GrpoConfigInput, type ThrConfig, type LossType, type ScaleRewards, type AdvantageMode,
  type ImportanceSampling, type ThrMode, type ThrThreshold, type ThrSource,
} from './config.ts';
export { groupAdvantages, intrinsicToGoAdvantages, processAdvantages, tokenAdvantages, groupMembers, type GroupAdvantages, type TokenLevelAdvantages } from './advantages.ts';
export { aggregationCoefficients, chosenLogProbs, tokenEntropy, grpoLoss, stopGradient, LOSS_STATS, type LossTensors, type LossOptions, type LossOutput } from './grpo-loss.ts';
export { tokenHiddenReward, thrWeights, thrStats, signDisagreement, correctRollouts, thrForm, type ThrInputs, type ThrStats } from './thr.ts';
export { selectDominantTokens, thrWeightedAdvantages, type SelectionInputs, type Selection } from './thr-select.ts';
export { BehaviourSnapshots } from './behaviour.ts';
export { AdamW, type AdamOptions, type AdamState } from './adam.ts';
export {
  GrpoLearner, sliceRows, validateLearnerBatch,
  type LearnerMetrics, type UpdateResult, type LearnerState, type GrpoLearnerOptions,
} from './learner.ts';
export { packGroups, type Rollout } from './pack.ts';
