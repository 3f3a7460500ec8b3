/**
 * Reward combination (ONI):
 *
 *     r_t = c_ext · r_ext,t + c_int · r_int(m_t) · N(m_t)^(−β)
 *
 * N(m) = how many times message m has occurred so far in the current episode, this step included
 * (first occurrence: N = 1), so repeating a helpful message pays less and less. Empty messages get
 * 0 intrinsic reward. Pure: the intrinsic scores are passed in (or a model's score() is called once
 * over the episode's distinct messages).
 */

export interface CombineCoefficients {
  cExt: number;
  cInt: number;
  beta: number;
}

export interface CombinedEpisode {
  /** Per-step combined reward r_t. */
  rewards: Float32Array;
  /** Per-step intrinsic part c_int · r_int(m_t) · N(m_t)^(−β). */
  intrinsic: Float32Array;
  /** Σ_t of the intrinsic part. */
  intrinsicSum: number;
  /** Σ_t r_ext,t (unweighted). */
  extrinsicSum: number;
}

/**
 * Combines one episode. `messages[t]` is step t's caption, `rExt[t]` its extrinsic reward and
 * `rInt[t]` the reward model's score of `messages[t]` (ignored where the message is empty).
 */
export function combineRewards(messages: readonly string[], rExt: ArrayLike<number>, rInt: ArrayLike<number>,
  coef: CombineCoefficients): CombinedEpisode {
  const T = messages.length;
  if (rExt.length !== T || rInt.length !== T) {
    throw new Error(`combineRewards: messages (${T}), rExt (${rExt.length}) and rInt (${rInt.length}) must have the same length`);
  }
  const rewards = new Float32Array(T);
  const intrinsic = new Float32Array(T);
  const counts = new Map<string, number>();
  let intrinsicSum = 0, extrinsicSum = 0;
  for (let t = 0; t < T; t++) {
    const m = messages[t] ?? '';
    let ri = 0;
    if (m !== '') {
      const n = (counts.get(m) ?? 0) + 1;
      counts.set(m, n);
      ri = coef.cInt * rInt[t]! * Math.pow(n, -coef.beta);
    }
    intrinsic[t] = ri;
    rewards[t] = coef.cExt * rExt[t]! + ri;
    intrinsicSum += ri;
    extrinsicSum += rExt[t]!;
  }
  return { rewards, intrinsic, intrinsicSum, extrinsicSum };
}

/** Combines with a reward model: scores the episode's distinct non-empty messages once. */
export function combineWithModel(messages: readonly string[], rExt: ArrayLike<number>,
  model: { score(captions: string[]): Float32Array }, coef: CombineCoefficients): CombinedEpisode {
  const distinct = [...new Set(messages.filter((m) => m !== ''))];
  const scores = distinct.length ? model.score(distinct) : new Float32Array(0);
  const byMessage = new Map(distinct.map((m, i) => [m, scores[i]!]));
  const rInt = Float32Array.from(messages, (m) => (m === '' ? 0 : byMessage.get(m) ?? 0));
  return combineRewards(messages, rExt, rInt, coef);
}
