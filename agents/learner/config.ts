/**
 * Configuration of the GRPO + THR learner: one schema (core/schema.ts) declaring every option once, with
 * its default and doc; `GrpoConfig` is its inferred type and `validateGrpoConfig` parses it.
 *
 * Defaults follow Hugging Face TRL's `GRPOConfig` where TRL's setting applies to this project; where it
 * does not (TRL fine-tunes billion-parameter pretrained models, this project mostly trains small models
 * from scratch) the doc says so and why. Formulas: docs/algorithms.md.
 */
import { defaults, parse, type Infer, type Input, type Schema } from '../../core/schema.ts';

/** Token Hidden Reward and THR-weighted GRPO (Deng et al., arXiv 2510.03669). */
export const THR_OPTIONS = {
  enabled: {
    type: 'boolean', default: true,
    doc: 'Compute Token Hidden Reward at all. When false nothing THR-related is computed (no probability/hidden download, no THR metrics) and `p`, `tau`, `mode` are ignored. On by default: the THR statistics are useful even with p = 0.',
  },
  p: {
    type: 'number', default: 0, min: -1, max: 1,
    doc: 'Reweighting strength p: Â_t ← (1 + p·sign(THR_t))·Â_t for tokens with |THR_t| > τ. p > 0 favours exploitation (greedy accuracy), p < 0 exploration (Pass@K); p = 0 is exactly vanilla GRPO. The paper\'s default could not be confirmed from a primary source; 0 here (THR is measured, not used).',
  },
  tau: {
    type: 'number', default: 0, min: 0,
    doc: "Threshold τ selecting the dominant tokens (|THR_t| above the threshold); its unit depends on `threshold`: 'absolute' — THR's own units (they depend on the loss type's coefficients, hidden-state norms and batch size; the metric `thrAbsMean` shows the scale); 'relative' — a multiple of the batch's mean non-zero |THR| (τ = 1 keeps the tokens above average); 'nthr' — NTHR's β (1 in NTHR).",
  },
  threshold: {
    type: 'enum', values: ['absolute', 'relative', 'nthr'], default: 'absolute',
    doc: "How `tau` selects the dominant tokens (|THR_t| above the threshold; thr-select.ts). 'absolute': τ in THR's own units. 'relative': τ × the batch's mean |THR| over the tokens whose THR is non-zero (scale-free; a project addition, not from the paper). 'nthr': per group g, τ × min over the group's correct responses of their mean token influence on the correct set (NTHR, Deng et al. arXiv 2505.18830, whose β = τ is 1), compared with each token's influence |THR_t / Â_t|.",
  },
  mode: {
    type: 'enum', values: ['reweight', 'thr-only'], default: 'reweight',
    doc: "'reweight': weight_t = 1 + p·sign(THR_t) where |THR_t| > τ, else 1. 'thr-only': same weight where |THR_t| > τ, else 0 (the token's policy-gradient term is masked out; it still counts in the aggregation's token count and in the KL term).",
  },
  correctThreshold: {
    type: 'number', default: null, nullable: true,
    doc: "Which rollouts form THR's set C of correct responses. A number: rollouts whose return is strictly above it (binary rewards: e.g. 0.5). null: rollouts whose return is above their group's mean (positive outcome advantage — the rule for graded rewards). `LearnerBatch.correct`, when given, overrides both.",
  },
  source: {
    type: 'enum', values: ['learner', 'behaviour'], default: 'learner',
    doc: "Whose probabilities and hidden states THR uses. 'learner': the learner's current weights (its first forward, no extra pass). 'behaviour': a copy of the weights the rollouts were sampled with — the learner keeps the weights it had at the start of each of its last `behaviourLag` updates (NTHR scores tokens with the sampling policy). Costs one extra no-gradient forward per update and behaviourLag copies of the weights; adds the metric thrSignDisagreement.",
  },
  behaviourLag: {
    type: 'int', default: 1, min: 1, max: 64,
    doc: "With source 'behaviour': how many updates the behaviour policy lags the learner. The runner's lockstep pipeline samples update j with version j − 1, i.e. the weights at the start of the previous update: lag 1. Exact only for a fixed lag (lockstep); with the free pipeline it is an approximation.",
  },
} as const satisfies Schema;

/** The GRPO learner's options (the experiment's `learner` section). */
export const GRPO_OPTIONS = {
  lossType: {
    type: 'enum', values: ['grpo', 'bnpo', 'dr_grpo', 'dapo'], default: 'dapo',
    doc: "Loss aggregation (TRL `loss_type`): 'grpo' per-sequence length normalisation (DeepSeekMath, 2024), 'bnpo' token mean over the (mini)batch, 'dr_grpo' Σ/(n·L_max) with L_max = `maxCompletionLength` (Dr. GRPO, Liu et al. 2025), 'dapo' Σ over a minibatch / (the whole update's tokens / numMinibatches) (DAPO, Yu et al. 2025; TRL's num_items_in_batch over the generation batch). 'dapo' by default: token-level, no length bias (TRL's own default has changed across releases — 'grpo', then 'bnpo', most recently 'dapo' as far as could be checked). With one minibatch 'dapo' and 'bnpo' coincide.",
  },
  maxCompletionLength: {
    type: 'int', default: null, nullable: true, min: 1, max: 1_000_000,
    doc: "The configured maximum completion length L_max (TRL `max_completion_length`): lossType 'dr_grpo' divides by n · L_max, a constant, not by the longest rollout of the batch. Required with 'dr_grpo' (the runner fills it with the env's maxEpisodeSteps when it is not set); unused by the other loss types.",
  },
  scaleRewards: {
    type: 'enum', values: ['group', 'batch', 'none'], default: 'group',
    doc: "Advantage scaling (TRL `scale_rewards`): 'group' divides by the group's std (Bessel-corrected, + advantageEpsilon), 'batch' by the std of all rewards in the batch, 'none' only centres (Dr. GRPO).",
  },
  advantageMode: {
    type: 'enum', values: ['outcome', 'process', 'outcome+intrinsic-to-go'], default: 'outcome',
    doc: "'outcome': every token of rollout i gets Â_i from its return (DeepSeekMath §4.1.2). 'process': step rewards are group-normalised and summed to go (DeepSeekMath §4.1.3, process supervision); needs `LearnerBatch.stepRewards`. 'outcome+intrinsic-to-go': the extrinsic part of the return as in 'outcome', plus the intrinsic step rewards summed to go with a per-step group baseline, over the outcome's std, so an intrinsic reward credits only the actions before it (docs/algorithms.md §1); needs `LearnerBatch.intrinsicStepRewards`.",
  },
  advantageEpsilon: { type: 'number', default: 1e-4, min: 0, max: 1, doc: 'Added to the std in the advantage denominator (TRL uses 1e-4).' },
  epsilonLow: { type: 'number', default: 0.2, min: 0, max: 1, doc: 'Lower clip ε_low of the importance ratio (PPO, Schulman et al. 2017; TRL `epsilon`).' },
  epsilonHigh: {
    type: 'number', default: 0.2, min: 0, max: 10,
    doc: "Upper clip ε_high (TRL `epsilon_high`; its default equals ε_low). DAPO's clip-higher uses 0.28 to fight entropy collapse; GSPO uses ε_low 3e-4, ε_high 4e-4.",
  },
  beta: {
    type: 'number', default: 0, min: 0, max: 100,
    doc: "Coefficient β of the k3 KL estimator to a frozen reference policy (DeepSeekMath eq. 4; Schulman's k3). 0 disables it and no reference policy is needed (TRL's default since DAPO/Dr. GRPO).",
  },
  importanceSampling: {
    type: 'enum', values: ['token', 'sequence'], default: 'token',
    doc: "'token': ratio per token (GRPO). 'sequence': GSPO's length-normalised sequence ratio s_i = exp(mean_t log π_θ/π_old) (Zheng et al. 2025, arXiv 2507.18071; TRL `importance_sampling_level`), implemented in its GSPO-token form so per-token advantages (THR weights, process advantages) still act per token; identical to GSPO when advantages are constant along a sequence.",
  },
  numIterations: { type: 'int', default: 1, min: 1, max: 1000, doc: "μ: optimisation epochs over each batch (TRL `num_iterations`, DeepSeekMath's μ)." },
  numMinibatches: { type: 'int', default: 1, min: 1, max: 100000, doc: "Optimiser steps per epoch; the batch's rollouts are shuffled and split into this many minibatches." },
  learningRate: {
    type: 'number', default: 3e-4, min: 0, exclusiveMin: true, max: 10,
    doc: "Adam(W) learning rate. NOT TRL's 1e-6, which is for fine-tuning pretrained LLMs; the policies here are small and mostly trained from scratch (3e-4 is the usual Adam rate, cf. CleanRL's 2.5e-4).",
  },
  adamBeta1: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'Adam β1 (Kingma & Ba 2015; PyTorch/TRL default).' },
  adamBeta2: { type: 'number', default: 0.999, min: 0, max: 1, doc: 'Adam β2.' },
  adamEpsilon: { type: 'number', default: 1e-8, min: 0, exclusiveMin: true, max: 1, doc: 'Adam ε.' },
  weightDecay: { type: 'number', default: 0, min: 0, max: 10, doc: 'Decoupled weight decay (AdamW, Loshchilov & Hutter 2019; TRL/transformers default 0).' },
  maxGradNorm: { type: 'number', default: 1.0, min: 0, max: 1e12, doc: 'Clip the global gradient norm to this value (TRL `max_grad_norm`); 0 disables clipping.' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 32 - 1, doc: 'Seed of the minibatch shuffle (deterministic updates).' },
  temperature: {
    type: 'number', default: 1, min: 0, exclusiveMin: true, max: 1e6,
    doc: "Sampling temperature T (TRL `GRPOConfig.temperature`, default 1.0 there too, which GRPOTrainer both samples with and divides the logits by before computing log-probs). The learner scores every token under softmax(logits / T): the importance ratio, the KL terms (to π_old and π_ref), the entropy metric and THR's prediction error g = e_y − softmax(logits / T). The runner's actors sample with this same value — the one temperature setting of an experiment, validated here only (docs/runner.md) — so behaviour and learner log-probs compare like with like. T = 1 is the policy's own distribution and is bit-identical to no temperature.",
  },
  entropyCoef: {
    type: 'number', default: 0, min: 0, max: 100,
    doc: "Entropy bonus κ ≥ 0: the loss gains −κ·Σ_t c_t·H_t, with H_t the entropy of softmax(logits / T) at token t and c_t the loss type's aggregation coefficient (PPO's c₂·S[π], Schulman et al. 2017 eq. 9; CleanRL `ent_coef`). TRL's GRPOTrainer has none. 0 (the default) builds no entropy term: the loss is bit-identical to a learner without the option.",
  },
  thr: { type: 'object', schema: THR_OPTIONS, doc: 'Token Hidden Reward and THR-weighted GRPO.' },
} as const satisfies Schema;

export type ThrConfig = Infer<typeof THR_OPTIONS>;
export type GrpoConfig = Infer<typeof GRPO_OPTIONS>;
/** Partial config as users write it: every key optional, `thr` partial too. */
export type GrpoConfigInput = Input<typeof GRPO_OPTIONS>;

/** How per-sequence token losses are aggregated into one scalar (see docs/algorithms.md §loss types). */
export type LossType = GrpoConfig['lossType'];
/** How group-centred rewards are scaled. */
export type ScaleRewards = GrpoConfig['scaleRewards'];
/**
 * Where advantages come from: the rollout's return, its per-step rewards summed to go, or the return's
 * extrinsic part plus its intrinsic rewards summed to go (per-step credit for intrinsic rewards).
 */
export type AdvantageMode = GrpoConfig['advantageMode'];
/** Token-level (GRPO, PPO) or sequence-level (GSPO) importance ratio. */
export type ImportanceSampling = GrpoConfig['importanceSampling'];
/** How THR acts on the loss. */
export type ThrMode = ThrConfig['mode'];
/** How `thr.tau` selects the dominant tokens (thr-select.ts). */
export type ThrThreshold = ThrConfig['threshold'];
/** Whose weights THR is computed with: the learner's or the behaviour policy's. */
export type ThrSource = ThrConfig['source'];

export const DEFAULT_THR_CONFIG: Readonly<ThrConfig> = Object.freeze(defaults(THR_OPTIONS));
export const DEFAULT_GRPO_CONFIG: Readonly<Omit<GrpoConfig, 'thr'>> & { readonly thr: Readonly<ThrConfig> } =
  Object.freeze({ ...defaults(GRPO_OPTIONS), thr: DEFAULT_THR_CONFIG });

/**
 * Fills defaults and validates (`path` is the section's key in the experiment config). Throws a ConfigError
 * naming the bad or unknown key and what is valid. The GRPO options have no cross-field rules that can be
 * checked without a batch (e.g. numMinibatches ≤ B and beta > 0 needing a reference policy are checked by
 * the learner).
 */
export function validateGrpoConfig(partial: GrpoConfigInput | Record<string, unknown> = {}, path = 'learner'): GrpoConfig {
  return parse(GRPO_OPTIONS, partial, path);
}
