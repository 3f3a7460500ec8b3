/**
 * The clipped GRPO objective with clip-higher, optional k3 KL, four loss aggregations and GSPO's sequence ratio.
 * Sources: Shao et al., "DeepSeekMath" (2024) eq. 3 (GRPO); Schulman et al. (2017) (clipped ratio);
 * Yu et al., "DAPO" (2025) (clip-higher, token-level 'dapo' aggregation); Liu et al., "Dr. GRPO" (2025);
 * Zheng et al., "GSPO" (2025, arXiv 2507.18071); as implemented by Hugging Face TRL's GRPOTrainer.
 *
 * Per token, with w = exp(log π_θ − log π_old):
 *     ℓ_t = −min( w·Â_t, clip(w, 1−ε_low, 1+ε_high)·Â_t ) + β·KL_t
 *     KL_t = exp(log π_ref − log π_θ) − (log π_ref − log π_θ) − 1                 (k3)
 * and the loss is Σ_t c_t·(ℓ_t − κ·H_t), where c_t is the token's aggregation coefficient (`aggregationCoefficients`)
 * and κ·H_t an optional entropy bonus (PPO's c₂·S[π], Schulman et al. 2017 eq. 9; absent when κ = 0).
 * Writing every aggregation as one constant coefficient per token keeps the differentiated function a
 * plain weighted sum (no masks or divisions built inside it: on wasm, tf.where/divNoNan with a mask built inside get no gradient), and the
 * same c_t is THR's coefficient.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImportanceSampling, LossType } from './config.ts';

/**
 * c_t for the rows `rows` of a [B, L] batch, returned as [rows.length * L] (m = mask, w = sample weight):
 *   grpo     m·w / (n · |o_i|)           n = rows in the (mini)batch, |o_i| = real tokens of rollout i
 *   bnpo     m·w / Σ m                   over the (mini)batch
 *   dr_grpo  m·w / (n · L_max)           L_max = the configured maximum completion length (opts.maxLength)
 *   dapo     m·w / (Σ m over the whole update / numMinibatches)
 * As in TRL's GRPOTrainer: 'dr_grpo' divides by per_token_loss.size(0) · max_completion_length, a constant
 * (not the longest rollout of the batch, which would change the step size from batch to batch); 'dapo'
 * divides by num_items_in_batch — the active tokens of the whole generation batch — rescaled to one
 * optimiser step's window (× gradient_accumulation_steps / steps_per_generation = / numMinibatches here),
 * so every minibatch of an update shares one normaliser; with one minibatch it equals 'bnpo'.
 */
export function aggregationCoefficients(
  lossType: LossType,
  mask: ArrayLike<number>,
  L: number,
  rows: readonly number[],
  opts: { sampleWeights?: ArrayLike<number>; totalTokens?: number; numMinibatches?: number; maxLength?: number | null } = {},
): Float32Array {
  if (lossType === 'dr_grpo' && !(opts.maxLength && opts.maxLength > 0)) {
    throw new Error("aggregationCoefficients: lossType 'dr_grpo' divides by n · L_max, the configured maximum completion length: pass opts.maxLength (learner option maxCompletionLength)");
  }
  const n = rows.length;
  const out = new Float32Array(n * L);
  const lengths = rows.map((b) => {
    let s = 0;
    for (let t = 0; t < L; t++) s += mask[b * L + t] > 0 ? 1 : 0;
    return s;
  });
  const rowTokens = lengths.reduce((a, b) => a + b, 0);
  let total = opts.totalTokens;
  if (total === undefined) { total = 0; for (let k = 0; k < mask.length; k++) total += mask[k] > 0 ? 1 : 0; }
  for (let r = 0; r < n; r++) {
    const b = rows[r];
    const w = opts.sampleWeights ? opts.sampleWeights[b] : 1;
    let denom: number;
    switch (lossType) {
      case 'grpo': denom = n * Math.max(1, lengths[r]); break;
      case 'bnpo': denom = Math.max(1, rowTokens); break;
      case 'dr_grpo': denom = n * opts.maxLength!; break;
      case 'dapo': denom = Math.max(1, total / (opts.numMinibatches ?? 1)); break;
    }
    for (let t = 0; t < L; t++) if (mask[b * L + t] > 0) out[r * L + t] = w / denom;
  }
  return out;
}

/** Identity whose gradient is zero (tfjs has no stop_gradient; customGrad gives one that works on wasm). */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | unknown)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * Entropy −Σ_v π log π of softmax(logits) per position, [B, L] (differentiable). `logSoftmax`, when the
 * caller already has log-softmax(logits), is used instead of computing it again.
 */
export function tokenEntropy(logits: tf.Tensor3D, logSoftmax?: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const logp = logSoftmax ?? tf.logSoftmax(logits, -1);
    return logp.exp().mul(logp).sum(-1).neg() as tf.Tensor2D;
  });
}

/** Log-probabilities of the chosen actions, [B, L] from logits [B, L, V] (oneHot × sum: wasm-safe, differentiable). */
export function chosenLogProbs(logits: tf.Tensor3D, actions: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const V = logits.shape[2];
    const logp = tf.logSoftmax(logits, -1);
    return logp.mul(tf.oneHot(actions, V).toFloat()).sum(-1) as tf.Tensor2D;
  });
}

export interface LossTensors {
  /** [b, L] log π_θ of the chosen actions, differentiable. */
  logp: tf.Tensor2D;
  /** [b, L] log π_old (behaviour policy), constant. */
  oldLogp: tf.Tensor2D;
  /** [b, L] token advantages, THR weights already applied, constant. */
  advantages: tf.Tensor2D;
  /** [b, L] aggregation coefficients c_t (0 on padding), constant. */
  coef: tf.Tensor2D;
  /** [b, L] 1 for real tokens, constant. */
  mask: tf.Tensor2D;
  /** [b, L] log π_ref, constant; required when beta > 0. */
  refLogp?: tf.Tensor2D;
  /** [b, L] entropy H_t of π_θ (differentiable, `tokenEntropy`); required when entropyCoef > 0. */
  entropy?: tf.Tensor2D;
}

export interface LossOptions {
  epsilonLow: number;
  epsilonHigh: number;
  beta: number;
  importanceSampling: ImportanceSampling;
  /** κ of the entropy bonus −κ·Σ c_t·H_t; 0 or absent: no entropy term. */
  entropyCoef?: number;
}

/** Order of the entries of `LossOutput.stats`. */
export const LOSS_STATS = ['ratioMean', 'clipFractionLow', 'clipFractionHigh', 'klRef', 'klOld', 'tokens'] as const;

export interface LossOutput {
  loss: tf.Scalar;
  /** Sums over real tokens, in `LOSS_STATS` order (divide by the last entry for means). Not differentiated. */
  stats: tf.Tensor1D;
}

/** The GRPO objective (to minimise). Call inside tf.variableGrads / tf.tidy. */
export function grpoLoss(x: LossTensors, o: LossOptions): LossOutput {
  const { logp, oldLogp, advantages: adv, coef, mask } = x;
  // Masking the log-ratio first makes padding's ratio exactly 1 whatever the behaviour log-prob holds there.
  const logRatio = logp.sub(oldLogp).mul(mask);
  let ratio: tf.Tensor;
  if (o.importanceSampling === 'sequence') {
    // GSPO: s_i = exp(mean over the sequence's real tokens of the log-ratio). GSPO-token form:
    // value s_i at every token, gradient s_i·∇log π_θ(token), so per-token advantages act per token.
    const lengths = mask.sum(-1).maximum(1);
    const seqLogRatio = logRatio.sum(-1).div(lengths).expandDims(-1);
    ratio = stopGradient(seqLogRatio).add(logp).sub(stopGradient(logp)).mul(mask).exp();
  } else {
    ratio = logRatio.exp();
  }
  const lo = 1 - o.epsilonLow, hi = 1 + o.epsilonHigh;
  const clipped = ratio.maximum(lo).minimum(hi);
  let perToken = tf.minimum(ratio.mul(adv), clipped.mul(adv)).neg();
  let klRef: tf.Tensor = tf.scalar(0);
  if (x.refLogp) {
    const d = x.refLogp.sub(logp).mul(mask);
    const kl = d.exp().sub(d).sub(1);
    if (o.beta > 0) perToken = perToken.add(kl.mul(o.beta));
    klRef = kl.mul(mask).sum();
  } else if (o.beta > 0) {
    throw new Error('grpoLoss: beta > 0 needs refLogp (log-probs of the frozen reference policy)');
  }
  if (o.entropyCoef && o.entropyCoef > 0) {
    if (!x.entropy) throw new Error('grpoLoss: entropyCoef > 0 needs the per-token entropy (tokenEntropy of the logits)');
    perToken = perToken.sub(x.entropy.mul(mask).mul(o.entropyCoef));
  }
  const loss = perToken.mul(coef).sum() as tf.Scalar;

  // Diagnostics (their gradients are never used: only `loss` is differentiated).
  const dOld = oldLogp.sub(logp).mul(mask);
  const klOld = dOld.exp().sub(dOld).sub(1).mul(mask).sum();
  const clipLow = ratio.less(lo).logicalAnd(adv.less(0)).toFloat().mul(mask).sum();
  const clipHigh = ratio.greater(hi).logicalAnd(adv.greater(0)).toFloat().mul(mask).sum();
  const stats = tf.stack([ratio.mul(mask).sum(), clipLow, clipHigh, klRef, klOld, mask.sum()]) as tf.Tensor1D;
  return { loss, stats };
}
