/**
 * Per-episode reward combination in the learner thread. With a reward model it is ONI's
 *   r_t = c_ext · r_ext,t + c_int · r_int(m_t) · N(m_t)^(−β)
 * as implemented by rewards/ (combineWithModel; combineRewards over frame keys for the perceptual judge);
 * without one (extrinsic-only experiments) r_t = r_ext,t.
 */
import {
  combineRewards, combineWithModel, scheduledCInt, UnseenCaptionAccuracy, type AnnotationLabel, type CombineCoefficients,
  type CombinedEpisode, type EnvContext, type RewardModel, type RewardsConfig,
} from '../../rewards/index.ts';

export interface Combined extends CombinedEpisode {
  /** Σ_t r_t: the episode's return. */
  total: number;
}

function withTotal(c: CombinedEpisode): Combined {
  let total = 0;
  for (const r of c.rewards) total += r;
  return { ...c, total };
}

/** One episode's rewards from its captions (ONI), or its extrinsic rewards alone when there is no model. */
export function combineEpisode(messages: readonly string[], rExt: Float32Array, model: RewardModel | null, coef: CombineCoefficients): Combined {
  if (!model) {
    let s = 0;
    for (const r of rExt) s += r;
    return { rewards: rExt, intrinsic: new Float32Array(rExt.length), intrinsicSum: 0, extrinsicSum: s, total: s };
  }
  return withTotal(combineWithModel(messages, rExt, model, coef));
}

/**
 * ONI's combination with m_t = the frame key of step t instead of its caption: r_int(m_t) is the reward
 * model's label of that frame (scoreKeys) and N(m_t) counts the frame's occurrences in this episode.
 */
export function combineEpisodeByKeys(keys: readonly string[], rExt: Float32Array, model: { scoreKeys(k: string[]): Float32Array }, coef: CombineCoefficients): Combined {
  return withTotal(combineRewards(keys, rExt, model.scoreKeys(keys as string[]), coef));
}

/**
 * What the learner thread adds around the combination: c_int's schedule (`rewards.cIntSchedule`, applied
 * before each update and logged as cIntNow) and the reward model's label accuracy on captions the judge
 * never labelled (`rm_unseen*`, against the rubric oracle for `env`, the run's env as its spec describes it).
 * `base` is the progress already made before this thread started (a resumed run), so a schedule continues
 * where it was.
 */
export class RewardExtras {
  private readonly unseen = new UnseenCaptionAccuracy();

  constructor(private readonly rewards: Pick<RewardsConfig, 'cInt' | 'cIntSchedule'>,
    private readonly base: { updates: number; envSteps: number }, private readonly env: EnvContext) {}

  /** c_int for the next update, after `done` updates and env steps in this thread. */
  cInt(done: { updates: number; envSteps: number }): number {
    return scheduledCInt(this.rewards.cInt, this.rewards.cIntSchedule,
      { updates: this.base.updates + done.updates, envSteps: this.base.envSteps + done.envSteps });
  }

  /** The captions of this update's rollouts and the labels that reached the model. */
  observe(records: ReadonlyArray<{ messages: readonly string[] }>, labels: readonly AnnotationLabel[]): void {
    this.unseen.labelled(labels);
    for (const r of records) this.unseen.observe(this.env, r.messages);
  }

  /** unseenCaptions, unseenPositives, unseenAccuracy, unseenBalancedAccuracy of `model`. */
  metrics(model: { score(c: string[]): Float32Array } | null): Record<string, number> {
    return model ? { ...this.unseen.metrics(model) } : {};
  }
}
