/**
 * Per-episode reward combination in the learner thread. With a reward model it is ONI's
 *   r_t = c_ext · r_ext,t + c_int · r_int(m_t) · N(m_t)^(−β)
 * as implemented by rewards/ (combineWithModel); without one (extrinsic-only experiments) r_t = r_ext,t.
 */
import type { RewardModelLike } from '../rooms.ts';

export interface Coefficients {
  cExt: number;
  cInt: number;
  beta: number;
}

export interface Combined {
  rewards: Float32Array;
  intrinsic: Float32Array;
  intrinsicSum: number;
  extrinsicSum: number;
  total: number;
}

type CombineFn = (messages: readonly string[], rExt: ArrayLike<number>, model: { score(c: string[]): Float32Array }, coef: Coefficients) => {
  rewards: Float32Array; intrinsic: Float32Array; intrinsicSum: number; extrinsicSum: number;
};

let combineWithModel: CombineFn | null = null;

/** Installs rewards/' combineWithModel (called once the rewards room is loaded). */
export function setCombiner(fn: CombineFn | null): void {
  combineWithModel = fn;
}

export function combineEpisode(messages: readonly string[], rExt: Float32Array, model: RewardModelLike | null, coef: Coefficients): Combined {
  if (!model) {
    let s = 0;
    for (const r of rExt) s += r;
    return { rewards: rExt, intrinsic: new Float32Array(rExt.length), intrinsicSum: 0, extrinsicSum: s, total: s };
  }
  if (!combineWithModel) throw new Error('rewards/index.ts does not export combineWithModel (needed for intrinsic rewards)');
  const c = combineWithModel(messages, rExt, model, coef);
  let total = 0;
  for (const r of c.rewards) total += r;
  return { ...c, total };
}
