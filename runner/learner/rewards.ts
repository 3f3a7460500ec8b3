/**
 * Per-episode reward combination in the learner thread. With a reward model it is ONI's
 *   r_t = c_ext · r_ext,t + c_int · r_int(m_t) · N(m_t)^(−β)
 * as implemented by rewards/ (combineWithModel); without one (extrinsic-only experiments) r_t = r_ext,t.
 */
import type { AnnotationLabel, RewardModelLike, RewardsRoom } from '../rooms.ts';

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

type CombineRewardsFn = (messages: readonly string[], rExt: ArrayLike<number>, rInt: ArrayLike<number>, coef: Coefficients) => {
  rewards: Float32Array; intrinsic: Float32Array; intrinsicSum: number; extrinsicSum: number;
};

let combineRewards: CombineRewardsFn | null = null;

/** Installs rewards/' combineRewards (perceptual judge: combination over frame keys). */
export function setKeyCombiner(fn: CombineRewardsFn | null): void {
  combineRewards = fn;
}

/**
 * ONI's combination with m_t = the frame key of step t instead of its caption: r_int(m_t) is the reward
 * model's label of that frame (scoreKeys) and N(m_t) counts the frame's occurrences in this episode.
 */
export function combineEpisodeByKeys(keys: readonly string[], rExt: Float32Array, model: { scoreKeys(k: string[]): Float32Array }, coef: Coefficients): Combined {
  if (!combineRewards) throw new Error('rewards/index.ts does not export combineRewards (needed for perceptual intrinsic rewards)');
  const c = combineRewards(keys, rExt, model.scoreKeys(keys as string[]), coef);
  let total = 0;
  for (const r of c.rewards) total += r;
  return { ...c, total };
}

type ScheduleFn = (cInt: number, schedule: never, progress: { updates: number; envSteps: number }) => number;
interface UnseenTracker {
  observe(envId: string, captions: readonly string[]): void;
  labelled(labels: readonly AnnotationLabel[]): void;
  metrics(model: { score(c: string[]): Float32Array }): object;
}

/**
 * What the learner thread adds around the combination: c_int's schedule (`rewards.cIntSchedule`, applied
 * before each update and logged as cIntNow) and the reward model's label accuracy on captions the judge
 * never labelled (`rm_unseen*`, against the rubric oracle). `base` is the progress already made before
 * this thread started (a resumed run), so a schedule continues where it was.
 */
export class RewardExtras {
  private readonly schedule: ScheduleFn | null;
  private readonly unseen: UnseenTracker | null;

  constructor(room: RewardsRoom, private readonly rewards: Record<string, unknown>,
    private readonly base: { updates: number; envSteps: number }) {
    const s = rewards.cIntSchedule as { kind?: string } | undefined;
    if (s && s.kind !== 'constant' && !room.scheduledCInt) throw new Error('rewards/index.ts does not export scheduledCInt (needed by rewards.cIntSchedule)');
    this.schedule = s && s.kind !== 'constant' ? room.scheduledCInt! as unknown as ScheduleFn : null;
    this.unseen = room.UnseenCaptionAccuracy ? new room.UnseenCaptionAccuracy() : null;
  }

  /** c_int for the next update, after `done` updates and env steps in this thread. */
  cInt(done: { updates: number; envSteps: number }): number {
    const c0 = Number(this.rewards.cInt);
    if (!this.schedule) return c0;
    return this.schedule(c0, this.rewards.cIntSchedule as never, { updates: this.base.updates + done.updates, envSteps: this.base.envSteps + done.envSteps });
  }

  /** The captions of this update's rollouts and the labels that reached the model. */
  observe(records: ReadonlyArray<{ envId: string; messages: readonly string[] }>, labels: readonly AnnotationLabel[]): void {
    if (!this.unseen) return;
    this.unseen.labelled(labels);
    for (const r of records) this.unseen.observe(r.envId, r.messages);
  }

  /** unseenCaptions, unseenPositives, unseenAccuracy, unseenBalancedAccuracy of `model`. */
  metrics(model: { score(c: string[]): Float32Array } | null): Record<string, number> {
    if (!this.unseen || !model) return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.unseen.metrics(model))) if (typeof v === 'number') out[k] = v;
    return out;
  }
}
