/**
 * Configuration of the GRPO + THR learner: one typed object, validated, with defaults.
 *
 * Defaults follow Hugging Face TRL's `GRPOConfig` where TRL's setting applies to this project; where it
 * does not (TRL fine-tunes billion-parameter pretrained models, this project mostly trains small models
 * from scratch) the doc comment says so and why. Formulas: docs/algorithms.md.
 */
import { defaults, parse } from '../../core/schema.ts';
import { GRPO_OPTION_ADDITIONS, THR_OPTION_ADDITIONS, type GrpoOptionAdditions, type ThrOptionAdditions } from './options.ts';

/** How per-sequence token losses are aggregated into one scalar (see docs/algorithms.md §loss types). */
export type LossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';
/** How group-centred rewards are scaled. */
export type ScaleRewards = 'group' | 'batch' | 'none';
/** Where advantages come from: the rollout's return, or its per-step rewards summed to go. */
export type AdvantageMode = 'outcome' | 'process';
/** Token-level (GRPO, PPO) or sequence-level (GSPO) importance ratio. */
export type ImportanceSampling = 'token' | 'sequence';
/** How THR acts on the loss. */
export type ThrMode = 'reweight' | 'thr-only';

/** THR options; `threshold`, `source`, `behaviourLag` are declared in options.ts (THR_OPTION_ADDITIONS). */
export interface ThrConfig extends ThrOptionAdditions {
  /**
   * Compute Token Hidden Reward at all (Deng et al., arXiv 2510.03669). When false nothing THR-related is
   * computed (no probability/hidden download, no THR metrics) and `p`, `tau`, `mode` are ignored.
   * Default true: the THR statistics are useful even with p = 0.
   */
  enabled: boolean;
  /**
   * Reweighting strength p ∈ [−1, 1]: Â_t ← (1 + p·sign(THR_t))·Â_t for tokens with |THR_t| > τ.
   * p > 0 favours exploitation (greedy accuracy), p < 0 exploration (Pass@K); p = 0 is exactly vanilla GRPO.
   * The paper's default could not be confirmed from a primary source; default 0 (THR is measured, not used).
   */
  p: number;
  /**
   * Threshold τ ≥ 0 selecting the dominant tokens, |THR_t| > threshold. Its unit depends on `threshold`:
   * 'absolute' — THR's own units (they depend on the loss type's coefficients, hidden-state norms, batch size;
   * the metric `thrAbsMean` shows the scale); 'relative' — a multiple of the batch's mean non-zero |THR|
   * (τ = 1 keeps the tokens above average); 'nthr' — NTHR's β (1 in NTHR). Default 0.
   */
  tau: number;
  /**
   * 'reweight': weight_t = 1 + p·sign(THR_t) where |THR_t| > τ, else 1.
   * 'thr-only': same weight where |THR_t| > τ, else 0 (the token's policy-gradient term is masked out;
   * it still counts in the aggregation's token count and in the KL term). Default 'reweight'.
   */
  mode: ThrMode;
  /**
   * Which rollouts form THR's set C of correct responses. A number: rollouts whose return is strictly above
   * it (binary rewards: e.g. 0.5). null: rollouts whose return is above their group's mean (positive
   * outcome advantage — the rule for graded rewards). `LearnerBatch.correct`, when given, overrides both.
   * Default null.
   */
  correctThreshold: number | null;
}

/** The learner's options; `maxCompletionLength`, `entropyCoef` are declared in options.ts (GRPO_OPTION_ADDITIONS). */
export interface GrpoConfig extends GrpoOptionAdditions {
  /**
   * Loss aggregation (TRL `loss_type`): 'grpo' per-sequence length normalisation (DeepSeekMath, 2024),
   * 'bnpo' token mean over the (mini)batch, 'dr_grpo' Σ/(n·L_max) with L_max = `maxCompletionLength`
   * (Dr. GRPO, Liu et al. 2025), 'dapo' Σ over a minibatch / (the whole update's tokens / numMinibatches)
   * (DAPO, Yu et al. 2025; TRL's num_items_in_batch over the generation batch). Default 'dapo': token-level,
   * no length bias. (TRL's own default has changed across releases — 'grpo', then 'bnpo', most recently
   * 'dapo' as far as could be checked.) With one minibatch 'dapo' and 'bnpo' coincide.
   */
  lossType: LossType;
  /**
   * Advantage scaling (TRL `scale_rewards`): 'group' divides by the group's std (Bessel-corrected, + 1e-4),
   * 'batch' by the std of all rewards in the batch, 'none' only centres (Dr. GRPO). Default 'group'.
   */
  scaleRewards: ScaleRewards;
  /**
   * 'outcome': every token of rollout i gets Â_i from its return (DeepSeekMath §4.1.2).
   * 'process': step rewards are group-normalised and summed to go (DeepSeekMath §4.1.3, process
   * supervision); needs `LearnerBatch.stepRewards`. Default 'outcome'.
   */
  advantageMode: AdvantageMode;
  /** Added to the std in the advantage denominator (TRL uses 1e-4). Default 1e-4. */
  advantageEpsilon: number;
  /** Lower clip ε_low of the importance ratio (PPO, Schulman et al. 2017; TRL `epsilon`). Default 0.2. */
  epsilonLow: number;
  /**
   * Upper clip ε_high (TRL `epsilon_high`). DAPO's clip-higher uses 0.28 to fight entropy collapse;
   * GSPO uses ε_low 3e-4, ε_high 4e-4. Default 0.2 (= ε_low, TRL's default).
   */
  epsilonHigh: number;
  /**
   * Coefficient β of the k3 KL estimator to a frozen reference policy (DeepSeekMath eq. 4; Schulman's k3).
   * 0 disables it and no reference policy is needed (TRL's default since DAPO/Dr. GRPO). Default 0.
   */
  beta: number;
  /**
   * 'token': ratio per token (GRPO). 'sequence': GSPO's length-normalised sequence ratio
   * s_i = exp(mean_t log π_θ/π_old) (Zheng et al. 2025, arXiv 2507.18071; TRL `importance_sampling_level`),
   * implemented in its GSPO-token form so per-token advantages (THR weights, process advantages) still act
   * per token; identical to GSPO when advantages are constant along a sequence. Default 'token'.
   */
  importanceSampling: ImportanceSampling;
  /** μ: optimisation epochs over each batch (TRL `num_iterations`, DeepSeekMath's μ). Default 1. */
  numIterations: number;
  /** Optimiser steps per epoch; the batch's rollouts are shuffled and split into this many minibatches. Default 1. */
  numMinibatches: number;
  /**
   * Adam(W) learning rate. Default 3e-4 — NOT TRL's 1e-6, which is for fine-tuning pretrained LLMs; the
   * policies here are small and mostly trained from scratch (3e-4 is the usual Adam rate, cf. CleanRL's 2.5e-4).
   */
  learningRate: number;
  /** Adam β1 (Kingma & Ba 2015; PyTorch/TRL default). Default 0.9. */
  adamBeta1: number;
  /** Adam β2. Default 0.999. */
  adamBeta2: number;
  /** Adam ε. Default 1e-8. */
  adamEpsilon: number;
  /** Decoupled weight decay (AdamW, Loshchilov & Hutter 2019; TRL/transformers default 0). Default 0. */
  weightDecay: number;
  /** Clip the global gradient norm to this value (TRL `max_grad_norm`); 0 disables clipping. Default 1.0. */
  maxGradNorm: number;
  /** Seed of the minibatch shuffle (deterministic updates). Default 0. */
  seed: number;
  /**
   * Sampling temperature T > 0 (TRL `GRPOConfig.temperature`, which GRPOTrainer both samples with and
   * divides the logits by before computing log-probs). The learner scores every token under
   * softmax(logits / T): the importance ratio, the KL terms (to π_old and π_ref), the entropy metric and THR's
   * prediction error g = e_y − softmax(logits / T). The runner's actors sample with this same value (it is
   * the one temperature setting of an experiment, see docs/runner.md), so behaviour and learner log-probs
   * compare like with like. T = 1 is the policy's own distribution and is bit-identical to no temperature.
   * Default 1 (TRL's default is 1.0 as well).
   */
  temperature: number;
  /** Token Hidden Reward and THR-weighted GRPO. */
  thr: ThrConfig;
}

export const DEFAULT_THR_CONFIG: Readonly<ThrConfig> = Object.freeze({
  enabled: true,
  p: 0,
  tau: 0,
  mode: 'reweight',
  correctThreshold: null,
  ...defaults(THR_OPTION_ADDITIONS),
});

export const DEFAULT_GRPO_CONFIG: Readonly<Omit<GrpoConfig, 'thr'>> & { readonly thr: Readonly<ThrConfig> } = Object.freeze({
  lossType: 'dapo',
  scaleRewards: 'group',
  advantageMode: 'outcome',
  advantageEpsilon: 1e-4,
  epsilonLow: 0.2,
  epsilonHigh: 0.2,
  beta: 0,
  importanceSampling: 'token',
  numIterations: 1,
  numMinibatches: 1,
  learningRate: 3e-4,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1.0,
  seed: 0,
  temperature: 1,
  ...defaults(GRPO_OPTION_ADDITIONS),
  thr: DEFAULT_THR_CONFIG,
});

/** Partial config as users write it: every key optional, `thr` partial too. */
export type GrpoConfigInput = Partial<Omit<GrpoConfig, 'thr'>> & { thr?: Partial<ThrConfig> };

type Check = (value: unknown) => string | null; // null = valid, else what is valid

const oneOf = (...values: string[]): Check => (v) =>
  typeof v === 'string' && values.includes(v) ? null : `one of ${values.map((s) => `'${s}'`).join(', ')}`;
const num = (lo: number, hi: number, opts: { loOpen?: boolean; int?: boolean } = {}): Check => (v) => {
  const what = `${opts.int ? 'an integer' : 'a number'} in ${opts.loOpen ? '(' : '['}${lo}, ${hi}]`;
  if (typeof v !== 'number' || !Number.isFinite(v)) return what;
  if (opts.int && !Number.isInteger(v)) return what;
  if (v < lo || (opts.loOpen && v === lo) || v > hi) return what;
  return null;
};
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');
const numOrNull: Check = (v) => (v === null || (typeof v === 'number' && Number.isFinite(v)) ? null : 'a finite number or null');

const GRPO_CHECKS: Record<Exclude<keyof GrpoConfig, 'thr' | keyof GrpoOptionAdditions>, Check> = {
  lossType: oneOf('grpo', 'bnpo', 'dr_grpo', 'dapo'),
  scaleRewards: oneOf('group', 'batch', 'none'),
  advantageMode: oneOf('outcome', 'process'),
  advantageEpsilon: num(0, 1),
  epsilonLow: num(0, 1),
  epsilonHigh: num(0, 10),
  beta: num(0, 100),
  importanceSampling: oneOf('token', 'sequence'),
  numIterations: num(1, 1000, { int: true }),
  numMinibatches: num(1, 100000, { int: true }),
  learningRate: num(0, 10, { loOpen: true }),
  adamBeta1: num(0, 1),
  adamBeta2: num(0, 1),
  adamEpsilon: num(0, 1, { loOpen: true }),
  weightDecay: num(0, 10),
  maxGradNorm: num(0, 1e12),
  seed: num(0, 2 ** 32 - 1, { int: true }),
  temperature: num(0, 1e6, { loOpen: true }),
};

const THR_CHECKS: Record<Exclude<keyof ThrConfig, keyof ThrOptionAdditions>, Check> = {
  enabled: bool,
  p: num(-1, 1),
  tau: num(0, Number.MAX_VALUE),
  mode: oneOf('reweight', 'thr-only'),
  correctThreshold: numOrNull,
};

function show(v: unknown): string {
  try { return typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkSection<T>(section: string, input: Record<string, unknown>, checks: Record<string, Check>, defaults: T): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(input)) {
    const check = checks[key];
    if (!check) {
      throw new Error(`GrpoConfig: unknown key '${section}${key}'; valid keys: ${Object.keys(checks).join(', ')}`);
    }
    if (value === undefined) continue;
    const problem = check(value);
    if (problem) throw new Error(`GrpoConfig: bad value ${show(value)} for '${section}${key}': expected ${problem}`);
    out[key] = value;
  }
  return out as T;
}

/** Splits `input` into the keys of `schema` (validated by core/schema's parse) and the rest. */
function splitOff(input: Record<string, unknown>, schema: object, path: string): [Record<string, unknown>, Record<string, unknown>] {
  const mine: Record<string, unknown> = {}, rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) (k in schema ? mine : rest)[k] = v;
  return [parse(schema as typeof GRPO_OPTION_ADDITIONS, mine, path), rest];
}

/** Fills defaults and validates. Throws an Error naming the bad or unknown key and what is valid. */
export function validateGrpoConfig(partial: GrpoConfigInput | Record<string, unknown> = {}): GrpoConfig {
  if (!isPlainObject(partial)) throw new Error(`GrpoConfig: expected an object, got ${show(partial)}`);
  const { thr, ...input } = partial as Record<string, unknown>;
  const [added, rest] = splitOff(input, GRPO_OPTION_ADDITIONS, '');
  const checks = { ...GRPO_CHECKS, ...Object.fromEntries(Object.keys(GRPO_OPTION_ADDITIONS).map((k) => [k, () => null])), thr: () => null };
  const base = checkSection<Omit<GrpoConfig, 'thr'>>('', rest, checks, DEFAULT_GRPO_CONFIG);
  if (thr !== undefined && !isPlainObject(thr)) throw new Error(`GrpoConfig: bad value ${show(thr)} for 'thr': expected an object`);
  const [thrAdded, thrRest] = splitOff((thr ?? {}) as Record<string, unknown>, THR_OPTION_ADDITIONS, 'thr');
  const thrChecks = { ...THR_CHECKS, ...Object.fromEntries(Object.keys(THR_OPTION_ADDITIONS).map((k) => [k, () => null])) };
  const thrConfig = checkSection<ThrConfig>('thr.', thrRest, thrChecks, DEFAULT_THR_CONFIG);
  const config: GrpoConfig = { ...base, ...added, thr: { ...thrConfig, ...thrAdded } } as GrpoConfig;
  return config;
}
