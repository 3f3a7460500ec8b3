/**
 * Group-relative advantages: GRPO's outcome and process supervision.
 * Source: Shao et al., "DeepSeekMath" (2024), §4.1.2 (outcome) and §4.1.3 (process); scaling options as in
 * Hugging Face TRL's GRPOTrainer (`scale_rewards`) and Dr. GRPO (Liu et al. 2025, no std scaling).
 *
 * Plain Float32Array/Float64 math: these are O(B·L) and run once per update, outside any gradient.
 */
import type { ScaleRewards } from './config.ts';

/** Per-token advantages [B*L] (0 on padding) with the group statistics every form reports. */
export interface TokenLevelAdvantages {
  advantages: Float32Array;
  /** Fraction of groups with no signal (all rewards equal): their advantages are 0. */
  zeroStdFraction: number;
  numGroups: number;
}

/** Σ_{s ≥ t, mask = 1} values_{b,s} at every position [B*L] (a position past a row's end holds 0). */
function sumsToGo(values: ArrayLike<number>, mask: ArrayLike<number>, B: number, L: number): Float64Array {
  const out = new Float64Array(B * L);
  for (let b = 0; b < B; b++) {
    let acc = 0;
    for (let t = L - 1; t >= 0; t--) {
      const k = b * L + t;
      if (mask[k] > 0) acc += values[k];
      out[k] = acc;
    }
  }
  return out;
}

export interface GroupAdvantages {
  /** [B] Â_i for each rollout. */
  advantages: Float32Array;
  /** Fraction of groups whose rewards are all equal (their members get Â = 0): TRL's frac_reward_zero_std. */
  zeroStdFraction: number;
  /** Number of distinct groups in the batch. */
  numGroups: number;
}

/** Members of each group, in order of first appearance. */
export function groupMembers(groups: Int32Array): number[][] {
  const index = new Map<number, number[]>();
  for (let b = 0; b < groups.length; b++) {
    let list = index.get(groups[b]);
    if (!list) index.set(groups[b], (list = []));
    list.push(b);
  }
  return [...index.values()];
}

function meanOf(values: ArrayLike<number>, idx: readonly number[]): number {
  let s = 0;
  for (const i of idx) s += values[i];
  return idx.length ? s / idx.length : 0;
}

/** Bessel-corrected std (torch.std's default, as TRL uses); 0 for fewer than two values. */
function stdOf(values: ArrayLike<number>, idx: readonly number[], mean: number): number {
  if (idx.length < 2) return 0;
  let s = 0;
  for (const i of idx) s += (values[i] - mean) ** 2;
  return Math.sqrt(s / (idx.length - 1));
}

/**
 * A group counts as zero-std when its rewards are equal up to float noise (TRL: torch.isclose(std, 0)).
 * Such a group's advantages are exactly 0, never NaN: the centred rewards are forced to 0 before scaling.
 */
function isZeroStd(std: number, mean: number): boolean {
  return std <= 1e-8 * Math.max(1, Math.abs(mean));
}

/**
 * Outcome advantages, per group g:
 *   Â_i = (r_i − mean_g) / (std_g + eps)     scale 'group'
 *   Â_i = (r_i − mean_g) / (std_all + eps)   scale 'batch' (std of every reward in the batch)
 *   Â_i =  r_i − mean_g                      scale 'none'
 */
export function groupAdvantages(rewards: ArrayLike<number>, groups: Int32Array, scale: ScaleRewards = 'group', eps = 1e-4): GroupAdvantages {
  if (rewards.length !== groups.length) {
    throw new Error(`groupAdvantages: rewards has ${rewards.length} entries but groups has ${groups.length}`);
  }
  const B = rewards.length;
  const advantages = new Float32Array(B);
  const members = groupMembers(groups);
  const scaleOf = groupScaler(rewards, scale, eps);
  let zero = 0;
  for (const idx of members) {
    const s = scaleOf(idx);
    if (!s) { zero++; continue; } // advantages stay 0
    for (const i of idx) advantages[i] = (rewards[i] - s.mean) / s.denom;
  }
  return { advantages, zeroStdFraction: members.length ? zero / members.length : 0, numGroups: members.length };
}

/**
 * The outcome statistics of a group of returns: its mean and the denominator of the chosen scaling
 * ('group': std_g + eps, 'batch': std of every return + eps, 'none': 1), or null for a zero-std group.
 */
function groupScaler(returns: ArrayLike<number>, scale: ScaleRewards, eps: number): (idx: readonly number[]) => { mean: number; denom: number } | null {
  const all = Array.from({ length: returns.length }, (_, i) => i);
  const batchStd = stdOf(returns, all, meanOf(returns, all));
  return (idx) => {
    const mean = meanOf(returns, idx);
    const std = stdOf(returns, idx, mean);
    if (isZeroStd(std, mean)) return null;
    return { mean, denom: scale === 'group' ? std + eps : scale === 'batch' ? batchStd + eps : 1 };
  };
}

/**
 * Outcome advantages with per-step credit for the intrinsic part of the reward ('outcome+intrinsic-to-go').
 * R_i is rollout i's combined return (extrinsic + intrinsic, `LearnerBatch.rewards`) and u_{i,s} its
 * intrinsic step rewards (c_int·r_int(m_s)·N(m_s)^(−β), `LearnerBatch.intrinsicStepRewards`). With
 *   G_{i,t} = Σ_{s ≥ t} u_{i,s}                 intrinsic reward to go (0 past the rollout's end)
 *   E_i     = R_i − G_{i,0}                      the extrinsic part of the return
 *   Â_{i,t} = [ (E_i − mean_g E) + (G_{i,t} − mean_g G_{·,t}) ] / (std_g(R) + eps)
 * i.e. the extrinsic outcome advantage (DeepSeekMath §4.1.2) plus the intrinsic returns-to-go with a
 * per-step group baseline (REINFORCE's reward to go; DeepSeekMath §4.1.3 sums step rewards to go the same
 * way), both over the same denominator as the summed form, so the c_ext : c_int ratio keeps its meaning.
 * Properties (tested): an intrinsic reward at step t enters the numerators of tokens ≤ t only, in every
 * rollout of the group; at t = 0 (and with u = 0 everywhere, bit for bit) this is `groupAdvantages`
 * of R. Scaling and the zero-std rule are those of the outcome form (on R). Returns [B*L], 0 on padding.
 */
export function intrinsicToGoAdvantages(
  returns: ArrayLike<number>,
  intrinsicStepRewards: ArrayLike<number>,
  mask: ArrayLike<number>,
  groups: Int32Array,
  L: number,
  scale: ScaleRewards = 'group',
  eps = 1e-4,
): TokenLevelAdvantages {
  const B = groups.length;
  if (returns.length !== B) throw new Error(`intrinsicToGoAdvantages: returns has ${returns.length} entries but groups has ${B}`);
  if (intrinsicStepRewards.length !== B * L || mask.length !== B * L) {
    throw new Error(`intrinsicToGoAdvantages: intrinsicStepRewards (${intrinsicStepRewards.length}) and mask (${mask.length}) must have B*L = ${B * L} entries`);
  }
  const toGo = sumsToGo(intrinsicStepRewards, mask, B, L);
  const extrinsic = Float64Array.from({ length: B }, (_, b) => returns[b] - toGo[b * L]);
  const members = groupMembers(groups);
  const scaleOf = groupScaler(returns, scale, eps);
  const advantages = new Float32Array(B * L);
  let zero = 0;
  for (const idx of members) {
    const s = scaleOf(idx);
    if (!s) { zero++; continue; }
    const extMean = meanOf(extrinsic, idx);
    for (let t = 0; t < L; t++) {
      let base = 0;
      for (const j of idx) base += toGo[j * L + t];
      base /= idx.length;
      for (const i of idx) {
        const k = i * L + t;
        if (mask[k] > 0) advantages[k] = ((extrinsic[i] - extMean) + (toGo[k] - base)) / s.denom;
      }
    }
  }
  return { advantages, zeroStdFraction: members.length ? zero / members.length : 0, numGroups: members.length };
}

/**
 * Process advantages, per group g: every real step reward r_{i,s} of the group is normalised by the mean
 * and std of all the group's step rewards, r̃ = (r − mean_g) / (std_g + eps) (scale as above, 'batch' using
 * the std of all step rewards in the batch), then the token advantage is the normalised reward to go:
 *   Â_{i,t} = Σ_{s ≥ t, mask=1} r̃_{i,s}.
 * Returns [B*L] (0 on padding) and the fraction of groups whose step rewards are all equal (advantage 0).
 */
export function processAdvantages(
  stepRewards: ArrayLike<number>,
  mask: ArrayLike<number>,
  groups: Int32Array,
  L: number,
  scale: ScaleRewards = 'group',
  eps = 1e-4,
): TokenLevelAdvantages {
  const B = groups.length;
  if (stepRewards.length !== B * L || mask.length !== B * L) {
    throw new Error(`processAdvantages: stepRewards (${stepRewards.length}) and mask (${mask.length}) must have B*L = ${B * L} entries`);
  }
  const members = groupMembers(groups);
  const realIdx = (rows: readonly number[]) => {
    const out: number[] = [];
    for (const b of rows) for (let t = 0; t < L; t++) if (mask[b * L + t] > 0) out.push(b * L + t);
    return out;
  };
  const allReal = realIdx(Array.from({ length: B }, (_, i) => i));
  const batchStd = stdOf(stepRewards, allReal, meanOf(stepRewards, allReal));
  const normalised = new Float64Array(B * L);
  let zero = 0;
  for (const rows of members) {
    const idx = realIdx(rows);
    const mean = meanOf(stepRewards, idx);
    const std = stdOf(stepRewards, idx, mean);
    if (idx.length === 0 || isZeroStd(std, mean)) { zero++; continue; }
    const denom = scale === 'group' ? std + eps : scale === 'batch' ? batchStd + eps : 1;
    for (const k of idx) normalised[k] = (stepRewards[k] - mean) / denom;
  }
  const toGo = sumsToGo(normalised, mask, B, L);
  const advantages = new Float32Array(B * L);
  for (let k = 0; k < B * L; k++) if (mask[k] > 0) advantages[k] = toGo[k];
  return { advantages, zeroStdFraction: members.length ? zero / members.length : 0, numGroups: members.length };
}

/** Broadcasts per-rollout advantages [B] to tokens [B*L] (0 on padding). */
export function tokenAdvantages(perRollout: ArrayLike<number>, mask: ArrayLike<number>, L: number): Float32Array {
  const out = new Float32Array(perRollout.length * L);
  for (let b = 0; b < perRollout.length; b++) {
    for (let t = 0; t < L; t++) if (mask[b * L + t] > 0) out[b * L + t] = perRollout[b];
  }
  return out;
}
