/**
 * Learner options added for THR's dominant-token selection, THR from the behaviour policy, TRL's dr_grpo
 * normaliser and an entropy bonus — declared once in core/schema style and merged into `GrpoConfig` by
 * config.ts (`GRPO_OPTION_ADDITIONS` at the top level, `THR_OPTION_ADDITIONS` inside `thr`).
 * Formulas and sources: docs/algorithms.md §2 (normalisers, entropy bonus) and §3 (threshold modes, source).
 */
import type { Infer, Schema } from '../../core/schema.ts';

export const GRPO_OPTION_ADDITIONS = {
  maxCompletionLength: {
    type: 'int', default: null, nullable: true, min: 1, max: 1_000_000,
    doc: "The configured maximum completion length L_max (TRL `max_completion_length`): lossType 'dr_grpo' divides by " +
      "n · L_max, a constant, not by the longest rollout of the batch. Required with 'dr_grpo' (the runner fills it " +
      "with the env's maxEpisodeSteps when it is not set); unused by the other loss types. Default null.",
  },
  entropyCoef: {
    type: 'number', default: 0, min: 0, max: 100,
    doc: 'Entropy bonus κ ≥ 0: the loss gains −κ·Σ_t c_t·H_t, with H_t the entropy of softmax(logits / T) at token t and ' +
      "c_t the loss type's aggregation coefficient (PPO's c₂·S[π], Schulman et al. 2017 eq. 9; CleanRL `ent_coef`). TRL's " +
      'GRPOTrainer has none. 0 (default) builds no entropy term: the loss is bit-identical to a learner without the option.',
  },
} as const satisfies Schema;

export const THR_OPTION_ADDITIONS = {
  threshold: {
    type: 'enum', values: ['absolute', 'relative', 'nthr'], default: 'absolute',
    doc: "How `thr.tau` selects the dominant tokens (|THR_t| above the threshold). 'absolute': τ in THR's own units. " +
      "'relative': τ × the batch's mean |THR| over the tokens whose THR is non-zero (scale-free; a project addition). " +
      "'nthr': per group g, τ × min over the group's correct responses of their mean token influence on the correct set " +
      '(NTHR, Deng et al. arXiv 2505.18830, whose β = τ is 1), compared with each token\'s influence |THR_t / Â_t|. ' +
      "Default 'absolute'.",
  },
  source: {
    type: 'enum', values: ['learner', 'behaviour'], default: 'learner',
    doc: "Whose probabilities and hidden states THR uses. 'learner': the learner's current weights (its first forward, " +
      "no extra pass). 'behaviour': a copy of the weights the rollouts were sampled with — the learner keeps the weights " +
      'it had at the start of each of its last `behaviourLag` updates (NTHR scores tokens with the sampling policy). Costs ' +
      'one extra no-gradient forward per update and behaviourLag copies of the weights; adds the metric ' +
      "thrSignDisagreement. Default 'learner'.",
  },
  behaviourLag: {
    type: 'int', default: 1, min: 1, max: 64,
    doc: "With source 'behaviour': how many updates the behaviour policy lags the learner. The runner's lockstep " +
      'pipeline samples update j with version j − 1, i.e. the weights at the start of the previous update: lag 1 ' +
      '(default). Exact only for a fixed lag (lockstep); with the free pipeline it is an approximation.',
  },
} as const satisfies Schema;

export type GrpoOptionAdditions = Infer<typeof GRPO_OPTION_ADDITIONS>;
export type ThrOptionAdditions = Infer<typeof THR_OPTION_ADDITIONS>;
export type ThrThreshold = ThrOptionAdditions['threshold'];
export type ThrSource = ThrOptionAdditions['source'];
